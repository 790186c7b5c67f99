"""How written addresses are reduced to one form (no database)."""
from __future__ import annotations

import pytest

from civicloop.addresses.normalize import address_key, admin_names, cn_number, estate_key, normalize, number_key


@pytest.mark.parametrize("numeral, value", [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("三十五", 35),
                                            ("一百零三", 103), ("两百", 200), ("一二零三", 1203), ("零五", 5)])
def test_chinese_numerals(numeral, value):
    assert cn_number(numeral) == value


@pytest.mark.parametrize("written, expected", [
    ("翠柳苑３栋２单元", "翠柳苑3栋2单元"),                 # full-width digits
    ("ＡＢＣ花园Ａ座", "abc花园a栋"),                       # full-width letters, 座
    ("翠柳苑三号楼二单元", "翠柳苑3栋2单元"),               # Chinese numerals, 号楼
    ("翠柳苑十二幢", "翠柳苑12栋"),                         # 幢
    ("东湖路一百二十三号", "东湖路123号"),
    ("翠柳苑 3栋，2单元。", "翠柳苑3栋2单元"),              # spaces and punctuation
    ("翠柳苑3栋附近", "翠柳苑3栋"),                         # trailers
    ("东湖路12号门口旁边", "东湖路12号"),
    ("地址：翠柳苑3栋", "翠柳苑3栋"),                       # leading words
    ("我家住在翠柳苑3栋对面", "翠柳苑3栋"),
    ("翠柳苑3-2-1203", "翠柳苑3栋2单元1203室"),             # building-unit-room shorthand
    ("翠柳苑3栋2单元1203", "翠柳苑3栋2单元1203室"),
    ("东湖路12-1号", "东湖路12-1号"),                       # a door number with a sub-number stays
    ("中北一路5号院", "中北1路5号"),
])
def test_normalize(written, expected):
    assert normalize(written) == expected


def test_normalize_empty_and_foreign():
    assert normalize("") == "" and normalize(None) == ""
    assert normalize("   ，。！") == ""
    assert normalize("10 Downing Street") == "10downingstreet"


def test_keys():
    assert number_key("03") == "3" and number_key("3号楼") == "3" and number_key(None) is None
    assert estate_key("翠柳苑小区") == estate_key("翠柳苑") == "翠柳苑"
    assert estate_key("小区") == "小区"  # a bare word is not emptied
    assert address_key(road="东湖路", door_number="123", estate="翠柳苑小区", building="三", unit="02", room=None) \
        == address_key(road="东湖路", door_number="123号", estate="翠柳苑", building="3栋", unit="2", room="")


def test_admin_names():
    names = admin_names("湖北省武汉市武昌区")
    assert set(names) == {"湖北省", "湖北", "武汉市", "武汉", "武昌区", "武昌"}
    assert names.index("武汉市") < names.index("武汉")  # longest first: 武汉市 is cut whole
    assert set(admin_names("上海市徐汇区")) == {"上海市", "上海", "徐汇区", "徐汇"}

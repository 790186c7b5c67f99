"""Report files as they come: UTF-8 with or without BOM, UTF-16, GB18030/GBK — read the
same; binary, empty, other languages and encodings the reader cannot vouch for — refused
naming the file, never garbled."""
from __future__ import annotations

import random

import pytest

from civicloop.errors import InvalidInput, NotFound, TooLarge, UnsupportedType
from civicloop.reports import service
from civicloop.reports.reader import read, read_bytes
from civicloop.reports.text import decode
from tests.reports.conftest import DATA, report_text

STEM = "004_d4abb190f6768d14"


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    lambda t: t.encode("utf-16"),                 # with its BOM
    lambda t: t.encode("utf-16-le"),              # without
    lambda t: t.encode("utf-16-be"),
    lambda t: t.encode("gb18030"),
    lambda t: t.encode("gbk"),
], ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"])
def test_every_encoding_reads_the_same(encode):
    text = report_text(STEM).replace("\xa0", " ")      # GBK has no no-break space
    assert decode(encode(text)) == text
    assert read_bytes(encode(text), "x.txt") == read(text)


def test_binary_is_refused_naming_the_file():
    garbage = bytes(range(256)) * 40
    with pytest.raises(UnsupportedType) as refused:
        read_bytes(garbage, "scan.pdf")
    assert refused.value.field == "scan.pdf"


@pytest.mark.parametrize("data", [b"", b"   \n\r\n"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(InvalidInput, match="empty"):
        read_bytes(data, "empty.txt")


def test_another_language_is_refused():
    with pytest.raises(UnsupportedType):
        read_bytes(("The government work report of the district. " * 50).encode("latin-1"), "en.txt")


def test_latin1_bytes_of_chinese_mojibake_are_refused():
    """UTF-8 bytes once misread as Latin-1 and saved again: the text is garbled, so refused."""
    mojibake = report_text(STEM)[:3000].encode("utf-8").decode("latin-1").encode("utf-8")
    with pytest.raises(UnsupportedType):
        read_bytes(mojibake, "mojibake.txt")


def test_read_file(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(report_text(STEM).encode("gb18030"))
    assert service.read_file(path) == read(report_text(STEM))
    with pytest.raises(NotFound):
        service.read_file(tmp_path / "missing.txt")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (service.MAX_REPORT_BYTES + 1))
    with pytest.raises(TooLarge) as refused:
        service.read_file(huge)
    assert refused.value.field == str(huge)


def test_offsets_are_into_the_decoded_text_whatever_the_encoding():
    text = (DATA / f"{STEM}.txt").read_text(encoding="utf-8")
    reading = read_bytes(text.encode("utf-16"), "x.txt")
    item = reading.commitments[0]
    assert text[item.source.start:item.source.end] == item.source.text


def test_any_piece_of_any_report_with_noise_reads_without_error_and_exact_offsets():
    """Slices of the real reports with punctuation, numbers and key words thrown in."""
    texts = [report_text(stem) for stem in ("000_ffec1ac142b8e965", "002_63741cc1e03311a7", STEM)]
    noise = [*"，。；：、（）①②③1234567890%亿元万人个 \n\t—-:;,.()", "实事", "主要预期目标是：", "名词解释：", "增长",
             "以内", "分别", "达到"]
    rng = random.Random(11)
    for _ in range(300):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        chars = list(text[start:start + rng.randrange(1, 3000)])
        for _ in range(rng.randrange(30)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(noise))
        piece = "".join(chars)
        reading = read(piece)
        for item in [*reading.targets, *reading.commitments, *reading.figures, *reading.glossary, *reading.unparsed]:
            assert piece[item.source.start:item.source.end] == item.source.text

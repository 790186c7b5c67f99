"""The number + unit grammar of reports: 581亿元, 12.6%, 2.6万人, 30个, 十件, with what is
counted (建设口袋公园30个 → 30 个 口袋公园)."""
from __future__ import annotations

import re

from civicloop.reports.reading import Quantity

_DIGITS = "零〇一二两三四五六七八九"
_CHINESE_NUMBER = rf"[{_DIGITS}十百千]+"
NUMBER = rf"\d+(?:\.\d+)?|{_CHINESE_NUMBER}"
# Longest first, so that 万平方米 wins over 万 and 个百分点 over 个.
UNITS = sorted([
    "微克/立方米", "μg/m³", "吨标准煤", "万吨标准煤",
    "个百分点", "百分点", "万平方米", "平方米", "平方公里", "公顷", "亿美元", "万美元", "亿元", "万元", "千元", "元", "万人次", "人次", "万人", "万名",
    "万户", "万册", "万吨", "万亩", "万辆", "万套", "万件", "%", "‰", "个", "家", "所", "处", "条", "套", "台", "名", "人", "户",
    "场", "件", "项", "座", "辆", "册", "副", "次", "天", "小时", "吨", "公里", "千米", "米", "亩", "间", "张", "栋", "幢", "棵",
    "株", "盏", "批", "支", "位", "千瓦", "兆瓦", "片", "块", "期", "站", "宗", "篇", "门", "班", "床", "万", "亿"
], key=len, reverse=True)
UNIT = "|".join(map(re.escape, UNITS))
POST_QUALIFIER = "左右|以上|以内|以下|上下|及以上"
AMOUNT = re.compile(rf"(?P<number>{NUMBER})(?P<about>余|多)?(?P<unit>{UNIT})(?P<qualifier>{POST_QUALIFIER})?")

# Verbs that open a promise; stripped from the front of what is counted.
_VERBS = re.compile(r"^(?:新建|建设|建成|改造|新增|设置|提质改造|改扩建|维修改造|完成|实施|安装|增设|购置|创建|培育|"
                    r"引进|开展|举办|整治|清除|启动|推进|提供|支持|补贴|培训|选派|解决|帮助|打造|实现|送|配备|招录|"
                    r"修建|新改建|改建|扩建|开工|竣工|发放|免费|新开|开通|铺设|种植|栽植|更新|提升|建立|组建|办好)+")
_LAST_VERB = re.compile(rf".*(?:{_VERBS.pattern[4:-2]})")
_THING_STOP = re.compile(r"[,,;;。、:\s(())“”\"]|的|和|及|进行|开展|实行|实施|给予|达到|到|用于|以上|以内|左右")


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十五 → 15, 二十 → 20, 一百零八 → 108, 两千 → 2000."""
    total, digit = 0, 0
    for c in text:
        if c in "零〇":
            digit = 0
        elif c in _DIGITS:
            digit = "一二三四五六七八九".index(c) + 1 if c != "两" else 2
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[c]
            digit = 0
    return total + digit


def to_number(text: str) -> float:
    if text[0].isdigit():
        return float(text)
    return float(chinese_number(text))


def quantities(text: str) -> tuple[Quantity, ...]:
    """Every counted amount in `text` (numbers without a unit, such as years, are not)."""
    found = []
    for m in AMOUNT.finditer(text):
        if not m.group("number")[0].isdigit():     # 一户一表, 二次供水: words, not amounts
            continue
        if text[m.end():m.end() + 1] in ("年", "岁", "周", "月", "日"):
            continue
        found.append(Quantity(value=to_number(m.group("number")), unit=m.group("unit"),
                              thing=_thing(text, m.start(), m.end())))
    return tuple(found)


def _thing(text: str, start: int, end: int) -> str | None:
    """What is counted: the words right after the amount (2个大学生创业孵化基地), else the
    words before it, without the verb (建设口袋公园30个)."""
    after = text[end:]
    stop = _THING_STOP.search(after)
    words = after[:stop.start()] if stop else after
    if len(re.findall(r"[\u4e00-\u9fff]", words)) >= 2:
        return words
    clause_start = max(text.rfind(c, 0, start) for c in ",,;;。、:") + 1
    before = _LAST_VERB.sub("", text[clause_start:start]).strip("“”\"' ")
    before = re.sub(r"^[对为向在给把将]", "", before)
    return before or None

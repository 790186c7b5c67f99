"""Place names in Chinese message text: 小区, 楼盘, 路, 街道, 村, 学校… named by their words.

Citizens name the place of a problem in words (“A5区劳动东路魅力之城小区一楼的夜宵摊”), not
by coordinates. A name is a short run of characters ending in a place word (小区, 苑, 路,
村, 学校 …); the run is cut at punctuation, at the anonymised codes of cities and districts
(A市, A5区) and at the words around a name (投诉, 关于, 附近, 的 …), which never belong to it.

A place's *key* is what two messages must share to be about the same place: the name
without a trailing 小区/社区 (丽发新城小区 = 丽发新城社区 = 丽发新城) and at most the last
six characters before the place word, so that words the cutting missed on the left
(“坚决反对伊景园滨河苑”) do not split one estate into two.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Anonymised administrative codes (A市, A5区, K9县) and the province's name.
ADMIN_CODE = re.compile(r"[A-Z]\d{0,2}[市区县]|西地省")
DISTRICT_CODE = re.compile(r"[A-Z]\d{1,2}[区县]")

# Longest first, so that 小区 wins over 区 and 大道 over 道.
PLACE_WORDS = (
    "小区", "花园", "家园", "公寓", "大厦", "广场", "新城", "新村", "山庄", "公馆", "华府", "名苑", "佳园",
    "雅苑", "国际", "楼盘", "社区", "街道", "大道", "大街", "小学", "中学", "大学", "学院", "学校", "幼儿园",
    "医院", "卫生院", "派出所", "收费站", "机场", "酒店", "商场", "超市", "校区", "附中", "市场", "公园", "地铁站", "高铁站", "车站", "工业园", "产业园", "集团", "公司",
    "苑", "园", "府", "城", "湾", "庭", "郡", "邸", "墅", "路", "街", "巷", "桥", "村", "镇", "乡",
)
# What stands around a name and never belongs to it: verbs of complaint, pointers, the
# commonest function characters, and the words for "near, inside, opposite".
AROUND = (
    "投诉", "反映", "反应", "举报", "关于", "建议", "咨询", "请问", "希望", "要求", "强烈", "坚决", "反对",
    "位于", "坐落", "座落", "住在", "家住", "居住", "购买", "业主", "居民", "我们", "你们", "他们", "这个",
    "那个", "附近", "旁边", "周边", "周围", "对面", "门口", "里面", "内部", "一带", "沿线", "以及", "还有",
    "没有", "问题", "严重", "整个", "所在", "目前", "现在", "已经", "影响", "导致", "造成", "一个", "改善",
    "住宅", "配套", "相关", "临街", "沿街", "过马路", "加快", "经开区", "高新区", "就读", "距离", "距", "未经", "进入", "这些", "老旧", "所有", "多个", "两个", "几个", "很多", "政府", "市委", "区委",
    "的", "在", "和", "与", "及", "对", "于", "是", "了", "把", "被", "给", "从", "到", "将", "我", "你",
    "他", "这", "那", "该", "本", "此", "各", "每", "某", "请", "有", "无", "不", "向", "为", "即", "就",
)
# A name that is only a generic word is no place (公司, 学校, 县城, 该路段 …).
GENERIC = frozenset({"公园", "城区", "县城", "市场", "车站", "乡镇", "农村", "城市", "省城", "进城", "全城",
                     "花园", "家园", "校园", "园区", "学校", "医院", "公司", "集团", "马路", "道路", "公路",
                     "街道", "社区", "小区", "大学", "中学", "小学", "学院", "幼儿园", "新城", "国际",
                     "铁路", "高速公路", "一条路", "出路", "门路", "思路", "线路", "网路", "电路", "水路",
                     "必经之路", "断头路", "水泥路", "十字路", "城市道路", "城际铁路", "过街天桥", "公交线路",
                     "安置小区", "商品房", "人行天桥", "立交桥", "物业公司", "房地产公司", "高架桥",
                     "普惠性幼儿园", "国家中心城", "公办幼儿园", "民办幼儿园", "私立学校", "培训学校", "街道社区"})
# Words that, at the end of a name of three characters or more, add nothing to it:
# 丽发新城小区 is 丽发新城, 绿地海外滩小区 is 绿地海外滩.
TRAILING = ("小区", "社区")
# Places that contain smaller ones: 劳动东路魅力之城小区 is 劳动东路 and 魅力之城小区.
CONTAINERS = ("街道", "大道", "大街", "路", "街", "镇", "乡", "村")
NAME_CHARS = r"[\u4e00-\u9fffA-Za-z0-9]"


def _alternation(words) -> str:
    """Words as one pattern that matches the longest of them, written as a trie
    (投(?:诉)|反(?:映|应|对)…): Python's regex engine then tries one branch per character
    instead of every word at every position."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        either = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{either})?" if "" in node else either

    return pattern(trie)


_BREAK = re.compile("|".join([ADMIN_CODE.pattern, r"[^\u4e00-\u9fffA-Za-z0-9]+", _alternation(AROUND)]))
_WORDS = _alternation(PLACE_WORDS)
# A name ends in a place word, or is an estate named by what follows it: a building or
# phase (恒大御景半岛6栋, 三期), its developer, its management or its sales (…开发商, …物业).
_NAME = re.compile(f"{NAME_CHARS}{{2,10}}(?:{_WORDS})"
                   f"|{NAME_CHARS}{{2,8}}?(?=[0-9一二三四五六七八九十]+(?:栋|期|号楼|幢|单元)|开发商|物业|项目|楼盘|售楼)")
_CONTAINED = re.compile(f".{{2,}}?(?:{_alternation(CONTAINERS)})(?=.{{2}})")
_CONTAINER_CHARS = frozenset("".join(CONTAINERS))
_WORDS_BY_LAST = {last: tuple(w for w in PLACE_WORDS if w[-1] == last) for last in {w[-1] for w in PLACE_WORDS}}
# A piece without one of these characters holds no name (most pieces: a quick test first).
_NAME_ENDS = frozenset(_WORDS_BY_LAST) | frozenset("栋期楼幢元商业目盘")
KEY_BODY = 3  # characters before the place word that a key keeps: brands and leftovers differ


@dataclass(frozen=True)
class Place:
    name: str  # as written, e.g. 魅力之城小区
    key: str   # what two mentions of one place share, e.g. 魅力之城


def is_estate(key: str) -> bool:
    """Whether a place key names one estate, school or institution rather than a road,
    street, town or village, along which many unrelated matters arise."""
    return not key.endswith(CONTAINERS + ("社区", "大桥", "桥", "巷"))


def district_of(text: str) -> str | None:
    """The anonymised district or county a message names first (A5区, K3县)."""
    found = DISTRICT_CODE.search(text)
    return found.group() if found else None


def place_key(name: str) -> str:
    for word in TRAILING:
        rest = name[: -len(word)]
        if name.endswith(word) and len(rest) >= 3:
            name = rest
            break
    word = next((w for w in _WORDS_BY_LAST.get(name[-1], ()) if name.endswith(w)), None)
    if word is None:
        return name[-KEY_BODY - 1:]
    return name[: -len(word)][-KEY_BODY:] + word


def _parts(name: str) -> list[str]:
    """劳动东路魅力之城小区 → 劳动东路, 魅力之城小区; 暮云街道丽发新城 → 暮云街道, 丽发新城."""
    if not _CONTAINER_CHARS.intersection(name[2:-2]):
        return [name]
    parts, rest = [], name
    while (found := _CONTAINED.match(rest)) is not None:
        parts.append(found.group())
        rest = rest[found.end():]
    return parts + [rest]


def find_places(text: str) -> list[Place]:
    """The places a text names, in order of first mention, each once."""
    seen: dict[str, Place] = {}
    for piece in _BREAK.split(text):
        if len(piece) < 3 or _NAME_ENDS.isdisjoint(piece):
            continue
        for found in _NAME.finditer(piece):
            for name in _parts(found.group()):
                if len(name) < 3 or name in GENERIC or name[:-1] in GENERIC:
                    continue
                key = place_key(name)
                if key in GENERIC:  # 公办幼儿园或普惠性幼儿园 is a kind of place, not one
                    continue
                if key not in seen:
                    seen[key] = Place(name, key)
    return list(seen.values())


def blank_places(text: str, places: list[Place]) -> str:
    """The text with its place names and codes taken out, so that what is compared is
    what happened, not where (two problems of one estate share its name)."""
    for place in sorted(places, key=lambda p: len(p.name), reverse=True):
        text = text.replace(place.name, " ")
    return ADMIN_CODE.sub(" ", text)

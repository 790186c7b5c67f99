"""The review of the past year: the achieved figures (全年完成地区生产总值640亿元,增长12.6%),
and the glossary at the end (名词解释 / 注释)."""
from __future__ import annotations

import re
from collections.abc import Callable

from civicloop.reports import indicators
from civicloop.reports.numbers import AMOUNT, to_number
from civicloop.reports.reading import Figure, GlossaryEntry, Source
from civicloop.reports.targets import read_clause
from civicloop.reports.text import Span, clauses, paragraphs, sentences

_GROWTH = re.compile(rf"(?P<verb>增长|增幅|增速|增|提高|上升|下降|降低|减少|降)(?P<amount>{AMOUNT.pattern})")
_SHARE = re.compile(r"占|比重|比例|贡献率|高于|超过.{0,4}增幅")
_GLOSSARY_HEADING = re.compile(r"^[【\[(]?(?:附件?\d*[::]?)?(?:名词解释|注释|注解|名词注释|附注|名词说明)[】\])]?[::]?$")
_GLOSSARY_ENTRY = re.compile(r"^\s*(?:(?:\d{1,3}|[①-⑳])[.、.]?)?\s*(?P<term>[^::。,]{1,40}?)\s*[::]\s*(?P<explanation>.+)$")


_FOLLOWING_CLAUSES = 2                 # clauses after the indicator's that may still give its figures


def find_figures(clean_text: str, source: Callable[[int, int], Source], start: int, end: int) -> list[Figure]:
    """Figures named by a registry indicator, with a level and/or a growth, in clean_text[start:end],
    each once."""
    figures = []
    for para in paragraphs(clean_text):
        if para.end <= start or para.start >= end:
            continue
        estimated_paragraph = False
        for sentence in sentences(para):
            estimated_paragraph = estimated_paragraph or "预计" in sentence.text
            parts = clauses(sentence)
            for k, clause in enumerate(parts):
                figures += _figure(clause, parts[k + 1:k + 1 + _FOLLOWING_CLAUSES], source, estimated_paragraph)
    # A page that prints the report twice gives each figure once.
    unique: dict[tuple, Figure] = {}
    for f in figures:
        unique.setdefault((f.indicator, f.value, f.unit, f.growth), f)
    return list(unique.values())


def _level(text: str, key: str) -> re.Match | None:
    """The first amount in `text` in a unit that can measure the indicator (not a growth rate
    unless the indicator is itself a rate)."""
    rate = indicators.registry()[key].unit in ("%", "‰")
    return next((m for m in AMOUNT.finditer(text) if m.group("number")[0].isdigit()
                 and indicators.fits(key, m.group("unit")) and (rate or m.group("unit") != "%")), None)


def _figure(clause: Span, following: list[Span], source: Callable[[int, int], Source],
            estimated: bool) -> list[Figure]:
    """全年完成地区生产总值640亿元,增长12.6%; 全口径财政收入突破百亿,达到110.6亿元,增长20%:
    the level and the growth may follow in the next clauses, until one names another indicator."""
    found = indicators.find(clause.text)
    if "分别" in clause.text:
        return _respectively(clause, source, estimated)
    if len(found) != 1 or _SHARE.search(clause.text):
        return []
    at, name_end, key = found[0]
    growth = _GROWTH.search(clause.text, name_end)
    level = _level(clause.text[name_end:growth.start() if growth else None], key)
    end = clause.end
    for more in following:
        if (level and growth) or indicators.find(more.text) or _SHARE.search(more.text):
            break
        text = re.sub(r"^(?:同比|比上年|较上年|年均)", "", more.text.strip())
        more_growth = None if growth else _GROWTH.match(text)
        more_level = None if level else _level(text[:more_growth.start() if more_growth else None], key)
        if not (more_growth or more_level):
            break
        growth, level, end = growth or more_growth, level or more_level, more.end
    if level is None and growth is None:
        return []
    rate = None
    if growth:
        rate = to_number(AMOUNT.match(growth.group("amount")).group("number"))
        rate = -rate if growth.group("verb") in ("下降", "降低", "减少", "降") else rate
    return [Figure(indicator=key, name=clause.text[at:name_end],
                   value=to_number(level.group("number")) if level else None,
                   unit=level.group("unit") if level else None, growth=rate, estimated=estimated,
                   source=source(clause.start, end))]


def _respectively(clause: Span, source: Callable[[int, int], Source], estimated: bool) -> list[Figure]:
    """城镇居民、农村居民人均可支配收入分别达到2.8万、1.5万: a level each, read by the target
    grammar; nothing when the names cannot be told apart (城镇居民农村居民…, the 、 lost)."""
    where = source(clause.start, clause.end)
    read = read_clause(clause.text.strip(" ,;。、:"), where) or []
    if len(read) < 2 or len({t.indicator for t in read}) < len(read) or any(t.indicator is None for t in read):
        return []
    return [Figure(indicator=t.indicator, name=t.name, value=t.value if t.kind != "growth" else None,
                   unit=t.unit if t.kind != "growth" else None,
                   growth=(-t.value if t.direction == "down" else t.value) if t.kind == "growth" else None,
                   estimated=estimated, source=where) for t in read]


def find_glossary(clean_text: str, source: Callable[[int, int], Source]) -> list[GlossaryEntry]:
    """Entries after a 名词解释 / 注释 heading, one numbered paragraph each; a term repeated
    (a page that printed the end twice) is kept once."""
    entries: dict[str, GlossaryEntry] = {}
    inside = False
    for para in paragraphs(clean_text):
        if _GLOSSARY_HEADING.match(para.text.strip()):
            inside = True
            continue
        if not inside:
            continue
        m = _GLOSSARY_ENTRY.match(para.text)
        if m is None:
            if entries:
                inside = False
            continue
        term = m.group("term").strip()
        entries.setdefault(term, GlossaryEntry(term=term, explanation=m.group("explanation").strip(),
                                               source=source(para.start, para.end)))
    return list(entries.values())

"""The review of the past year: the achieved figures (全年完成地区生产总值640亿元,增长12.6%),
and the glossary at the end (名词解释 / 注释)."""
from __future__ import annotations

import re
from collections.abc import Callable

from civicloop.reports import indicators
from civicloop.reports.numbers import AMOUNT, to_number
from civicloop.reports.reading import Figure, GlossaryEntry, Source
from civicloop.reports.text import Span, clauses, paragraphs, sentences

_GROWTH = re.compile(rf"(?P<verb>增长|增幅|增速|增|提高|上升|下降|降低|减少|降)(?P<amount>{AMOUNT.pattern})")
_SHARE = re.compile(r"占|比重|比例|贡献率|高于|超过.{0,4}增幅")
_GLOSSARY_HEADING = re.compile(r"^[【\[(]?(?:附件?\d*[::]?)?(?:名词解释|注释|注解|名词注释|附注|名词说明)[】\])]?[::]?$")
_GLOSSARY_ENTRY = re.compile(r"^\s*(?:(?:\d{1,3}|[①-⑳])[.、.]?)?\s*(?P<term>[^::。,]{1,40}?)\s*[::]\s*(?P<explanation>.+)$")


def find_figures(clean_text: str, source: Callable[[int, int], Source], start: int, end: int) -> list[Figure]:
    """Figures named by a registry indicator, with a level and/or a growth, in clean_text[start:end]."""
    figures = []
    for para in paragraphs(clean_text):
        if para.end <= start or para.start >= end:
            continue
        estimated_paragraph = False
        for sentence in sentences(para):
            estimated_paragraph = estimated_paragraph or "预计" in sentence.text
            parts = clauses(sentence)
            for k, clause in enumerate(parts):
                figure = _figure(clause, parts[k + 1] if k + 1 < len(parts) else None, source,
                                 estimated_paragraph)
                if figure:
                    figures.append(figure)
    return figures


def _figure(clause: Span, following: Span | None, source: Callable[[int, int], Source],
            estimated: bool) -> Figure | None:
    found = indicators.find(clause.text)
    if len(found) != 1 or _SHARE.search(clause.text[:found[0][0]]) or _SHARE.search(clause.text):
        return None
    at, name_end, key = found[0]
    after = clause.text[name_end:]
    growth = _GROWTH.search(after)
    level = next((m for m in AMOUNT.finditer(after) if m.group("unit") not in ("%", "个百分点", "百分点")
                  and m.group("number")[0].isdigit()
                  and (growth is None or m.start() < growth.start())), None)
    end = clause.end
    if growth is None and following is not None and not indicators.find(following.text):
        growth = _GROWTH.match(re.sub(r"^(?:同比|比上年|较上年|年均)", "", following.text.strip()))
        end = following.end if growth else end
    if level is None and growth is None:
        return None
    rate = None
    if growth:
        rate = to_number(AMOUNT.match(growth.group("amount")).group("number"))
        rate = -rate if growth.group("verb") in ("下降", "降低", "减少", "降") else rate
    return Figure(indicator=key, name=clause.text[at:name_end],
                  value=to_number(level.group("number")) if level else None,
                  unit=level.group("unit") if level else None, growth=rate, estimated=estimated,
                  source=source(clause.start, end))


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

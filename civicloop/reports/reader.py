"""The reader: `read(text) -> ReportReading`, the one entry point for whoever builds on reports.

    from civicloop.reports.reader import read
    reading = read(text)                 # text as found: CMS headers, forum chrome and all
    for target in reading.targets:       # Target: indicator (registry key), value, unit, kind …
        ...
    for item in reading.commitments:     # Commitment: number, title, text, quantities, owner
        text[item.source.start:item.source.end] == item.source.text   # always true

`read_bytes(data, name)` decodes a file first (UTF-8, UTF-16, GB18030) or refuses it with
an `InvalidInput`/`UnsupportedType` naming the file. Reading is pure: no database, no I/O.
"""
from __future__ import annotations

import re
from datetime import date

from civicloop.reports.commitments import find_commitments
from civicloop.reports.reading import Metadata, ReportReading
from civicloop.reports.review import find_figures, find_glossary
from civicloop.reports.targets import find_targets, target_spans
from civicloop.reports.text import Clean, Span, clean, decode, paragraphs

_FRONT_PARAGRAPHS = 40              # where the title, meeting and speaker are looked for
_DATE = r"(?P<y>\d{4})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})"
_MEETING = re.compile(r"在(?P<meeting>(?P<district>[\u4e00-\u9fff]{1,12}?[区县市旗])第?(?P<term>[一二三四五六七八九十]{1,3})届"
                      r"(?:人民代表大会|人大)第?[一二三四五六七八九十]{1,3}次(?:全体)?会议)上")
_DELIVERED = re.compile(_DATE + r"日?\s*在[^\n]{0,40}?(?:人民代表大会|人大)")
_SPEAKER_LINE = re.compile(r"(?:人民政府)?(?<!副)(?P<title>代理区长|代区长|区长|代理县长|县长|代理市长|市长)"
                           r"(?P<name>[\u4e00-\u9fff·]{2,4})$")
_SPEAKER_TEXT = re.compile(r"由(?P<name>[\u4e00-\u9fff]{2,3})(?P<title>代理区长|区长|县长|市长)(?:所)?作的")
_DISTRICT = (re.compile(r"代表(?P<d>[\u4e00-\u9fff]{2,8}?[区县市])人民政府"),
             re.compile(r"(?P<d>[\u4e00-\u9fff]{2,8}?[区县])人民政府(?:代理)?[区县]长"),
             re.compile(r"\d{4}年(?:度)?(?P<d>[\u4e00-\u9fff]{2,10}?[区县])政府工作报告"),
             re.compile(r"(?P<d>[\u4e00-\u9fff]{2,3}[区县])(?:人代会|人大|政府工作报告|政府)"))
_TITLE = re.compile(r"^[^:]{0,40}报告$")
_PUBLISHED_ON = re.compile(r"(?:公开日期|发布时间|发表于|发布日期|日期|来源[::][^\n\d]{0,20})\s*[::]?\s*" + _DATE)
_PUBLISHED_BY = re.compile(r"来源\s*[::]\s*(?!作者|发布)(?P<by>[^\s\d::]{2,30}?)(?=\s|\d|$)")
_REVIEW_YEAR = re.compile(r"(?P<y>\d{4})年(?:度)?(?:政府)?工作回顾")
_PLAN_YEAR = re.compile(r"(?P<y>\d{4})年(?:度)?(?:政府)?(?:工作的?)?(?:总体要求|总体思路|工作打算|主要任务|工作安排|"
                        r"全区经济社会发展的?(?:主要)?预期目标|经济社会发展的?主要预期目标)")
_PLAN_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、)?(?:\d{4}年|今年|明年)?(?:政府)?(?:工作的?)?"
                           r"(?:总体要求|总体思路|工作打算|主要任务|工作安排|工作任务)")


def read_bytes(data: bytes, name: str = "file") -> ReportReading:
    return read(decode(data, name))


def read(text: str) -> ReportReading:
    cleaned = clean(text)
    body = cleaned.text
    source = cleaned.source
    spans = target_spans(body)
    plan_start = _plan_start(body, spans)
    targets, missed_targets = find_targets(spans, source)
    commitments, missed_commitments = find_commitments(body, source, 0 if plan_start is None else plan_start)
    return ReportReading(
        metadata=_metadata(cleaned),
        targets=tuple(targets),
        commitments=tuple(commitments),
        figures=tuple(find_figures(body, source, 0, len(body) if plan_start is None else plan_start)),
        glossary=tuple(find_glossary(body, source)),
        unparsed=tuple(missed_targets + missed_commitments),
        characters=len(text),
    )


def _plan_start(body: str, spans: list[Span]) -> int | None:
    """Where the plan for the coming year begins: its heading, or the announcement of its
    targets; None when neither is found."""
    starts = [p.start for p in paragraphs(body) if _PLAN_HEADING.match(p.text) or _PLAN_YEAR.search(p.text[:40])]
    starts += [s.start for s in spans]
    review = _REVIEW_YEAR.search(body)
    starts = [s for s in starts if review is None or s > review.start()]
    return min(starts, default=None)


def _date(m: re.Match | None) -> date | None:
    if m is None:
        return None
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _metadata(cleaned: Clean) -> Metadata:
    body = cleaned.text
    front_paras = paragraphs(body)[:_FRONT_PARAGRAPHS]
    front = "".join(p.text for p in front_paras)      # a meeting's name may run over two lines
    header = cleaned.original[:2000].translate({0xFF1A: ":"})
    meeting = _MEETING.search(front)
    delivered = _date(_DELIVERED.search(front))
    speaker = next((m for p in front_paras if (m := _SPEAKER_LINE.search(p.text))), None) or _SPEAKER_TEXT.search(body)
    district = meeting.group("district") if meeting else _district(body)
    published_on = _date(_PUBLISHED_ON.search(header))
    published_by = _PUBLISHED_BY.search(header)
    report_year = _year(_REVIEW_YEAR.search(body))
    plan_year = _year(_PLAN_YEAR.search(body))
    known = delivered or published_on
    if report_year is None and plan_year is None and known:
        # Reports are delivered at the turn of the year: December reviews this year, January–March the last.
        report_year = known.year if known.month >= 10 else known.year - 1
    report_year = report_year or (plan_year - 1 if plan_year else None)
    plan_year = plan_year or (report_year + 1 if report_year else None)
    title = next((p.text.strip() for p in front_paras if _TITLE.match(p.text.strip())), None)
    return Metadata(
        title=re.sub(r"^\[[^\]]*\]", "", title) if title else (front_paras[0].text if front_paras else None),
        district=district, meeting=meeting.group("meeting") if meeting else None, delivered_on=delivered,
        report_year=report_year, plan_year=plan_year,
        speaker=speaker.group("name") if speaker else None, speaker_title=speaker.group("title") if speaker else None,
        published_by=published_by.group("by") if published_by else None, published_on=published_on)


def _district(body: str) -> str | None:
    """The first pattern that names a district; of its readings (但城关区, 城关区) the one
    the text repeats most, the longer on a tie."""
    for pattern in _DISTRICT:
        names = {m.group("d") for m in pattern.finditer(body)}
        readings = {name[i:] for name in names for i in range(len(name) - 2)}
        if readings:
            return max(readings, key=lambda r: (body.count(r), len(r)))
    return None


def _year(m: re.Match | None) -> int | None:
    return int(m.group("y")) if m else None

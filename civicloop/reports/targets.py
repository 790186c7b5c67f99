"""The year's 主要预期目标: found after its announcement (主要预期目标是:), read clause by
clause with the number + unit grammar, indicators normalised through the registry."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from civicloop.reports import indicators
from civicloop.reports.numbers import AMOUNT, POST_QUALIFIER, to_number
from civicloop.reports.reading import Quantity, Source, Target, Unparsed
from civicloop.reports.text import SENTENCE_END, Span, clauses, paragraphs, sentences

ANNOUNCEMENT = re.compile(r"(?:主要|预期|发展|奋斗|经济社会发展的?|主要经济)?(?:预期)?目标(?:任务)?"
                          r"(?:建议|拟|初步)?(?:确定|安排|设定|定)?(?:是|为)?\s*[::]|"
                          r"(?:主要预期|预期|主要)目标(?:是|为)(?=[^,,。]{0,12}\d)")
_ACHIEVED = re.compile(r"完成|实现了|超额|圆满|达到了")
_PLAN_MARK = re.compile(r"(?:主要)?预期目标|发展目标|主要目标")
_ENUMERATOR = re.compile(r"^\s*(?:\(?[一二三四五六七八九十\d]+[)、.]|[①-⑳]|[一二三四五六七八九十]是|——|[-—•·●◆■★])")
_FOLLOWING_LIMIT = 15              # paragraphs a list of targets may run on after its announcement

_PREFIX = "力争|确保|争取|努力|预计"
_UP = "增长|增速|增幅|增加|提高|提升|上升|增"
_DOWN = "下降|降低|减少|压减|降"
_CEILING = "控制在|控制|不超过|不高于|低于"
_FLOOR = "不低于|不少于|高于"
_LEVEL = "达到|达|突破|超过|实现|完成|保持在|稳定在|保持|为"
CLAUSE = re.compile(
    rf"^(?P<prefix>{_PREFIX})?(?P<name>.*?)(?P<prefix2>{_PREFIX})?"
    rf"(?P<verb>{_UP}|{_DOWN}|{_CEILING}|{_FLOOR}|{_LEVEL})?(?P<prefix3>{_PREFIX})?"
    rf"(?P<amount>{AMOUNT.pattern})(?P<rest>.*)$")
_QUALITATIVE_VERB = re.compile(r"同步|高于|改善|提升|完成|下降|增长|降低|优化|提高|稳步")
_FILLER = re.compile(r"^(?:其中|全年|全区|全社会的?|实现|完成|力争|确保|争取|努力|预计|年均|)+")
# Words of work, not of a measure: a clause naming no known indicator with these is no target.
_WORK = re.compile(r"抓好|做好|推进|实施|加快|开展|打造|推动|落实|坚持|以下|上述|方面")
_TURN = re.compile(r"(?:为实现|为完成|为此|围绕|实现上述|完成上述|要|我们要|重点)")
_JOINERS = re.compile(r"[和及与、]")
# A share of an indicator (数字经济增加值占GDP比重) is not the indicator.
_SHARE = re.compile(r"占|比重|比例|占比|贡献率")


def find_targets(spans: list[Span], source: Callable[[int, int], Source]) -> tuple[list[Target], list[Unparsed]]:
    """Targets of every announcement's span (a duplicated opening gives each once)."""
    targets: list[Target] = []
    unparsed: list[Unparsed] = []
    seen: set[tuple] = set()
    for span in spans:
        found, missed = read_targets(span, source)
        for t in found:
            key = (t.indicator, t.name, t.value, t.kind)
            if key not in seen:
                seen.add(key)
                targets.append(t)
        unparsed += missed
    return targets, unparsed


def target_spans(clean_text: str) -> list[Span]:
    """The text after each announcement: the rest of its paragraph, sentence by sentence
    while sentences hold figures or indicators, then (when the announcement ends its
    paragraph) the following list paragraphs."""
    paras = paragraphs(clean_text)
    spans = []
    for i, para in enumerate(paras):
        m = ANNOUNCEMENT.search(para.text)
        if not m or not _PLAN_MARK.search(para.text[max(0, m.start() - 12):m.end()]):
            continue
        opening = re.split(SENTENCE_END, para.text[:m.start()])[-1]
        if _ACHIEVED.search(opening):       # 完成了…确定的主要目标: the review, not the plan
            continue
        rest = Span(para.text[m.end():], para.start + m.end(), para.end)
        kept = []
        for sentence in sentences(rest):
            # After the first, a sentence goes on with the targets only if it names an
            # indicator and does not turn to the work (为实现上述目标,要抓好以下10个方面).
            if not _looks_like_targets(sentence.text) or kept and (
                    not indicators.find(sentence.text) or _TURN.match(sentence.text)):
                break
            kept.append(sentence)
        if kept:
            spans.append(Span(clean_text[kept[0].start:kept[-1].end], kept[0].start, kept[-1].end))
            continue
        for k, following in enumerate(paras[i + 1:i + 1 + _FOLLOWING_LIMIT]):
            numbered = bool(_ENUMERATOR.match(following.text))
            if not _looks_like_targets(following.text) or not (numbered or k == 0):
                break
            spans.append(following)
            if not numbered:               # the targets as one paragraph of their own
                break
    return spans


def _looks_like_targets(text: str) -> bool:
    return bool(re.search(r"\d", text) or indicators.find(text))


def read_targets(span: Span, source: Callable[[int, int], Source]) -> tuple[list[Target], list[Unparsed]]:
    targets: list[Target] = []
    unparsed: list[Unparsed] = []
    previous_clause_target: Target | None = None
    previous_start = span.start
    for clause in clauses(span):
        text = _ENUMERATOR.sub("", clause.text).strip(" ,;。、:")
        found = read_clause(text, source(clause.start, clause.end))
        if found is None:
            if re.search(r"\d", text) or _QUALITATIVE_VERB.search(text):
                unparsed.append(Unparsed("target", "no indicator or figure could be read", source(clause.start, clause.end)))
            previous_clause_target = None
            continue
        if len(found) == 1 and not found[0].name and previous_clause_target is not None:
            merged = _merge(previous_clause_target, found[0], source(previous_start, clause.end))
            if merged is not None:
                targets[targets.index(previous_clause_target)] = merged
                previous_clause_target = None
                continue
        if any(not t.name for t in found):
            unparsed.append(Unparsed("target", "a figure without an indicator", source(clause.start, clause.end)))
            found = [t for t in found if t.name]
        targets += found
        previous_clause_target = found[-1] if len(found) == 1 else None
        previous_start = clause.start
    return targets, unparsed


def _merge(first: Target, second: Target, joined: Source) -> Target | None:
    """增10%,达到581亿元 and 区级财政收入118亿元,增长8%: one target, a growth with its level."""
    if first.kind == "growth" and second.kind == "level" and first.level is None and second.unit != first.unit:
        return replace(first, level=Quantity(second.value, second.unit), source=joined)
    if first.kind == "level" and second.kind == "growth":
        return replace(second, indicator=first.indicator, name=first.name,
                       level=Quantity(first.value, first.unit), source=joined)
    return None


def read_clause(text: str, where: Source) -> list[Target] | None:
    """One clause by the target grammar: one target, several (joint names, 分别 with a value
    each), qualitative ones (an indicator, no figure), or None."""
    m = CLAUSE.match(text)
    if m is None:
        found = indicators.find(text)
        if not found:
            return None
        names = [text[a:b] for a, b, _ in found]
        return [Target(indicators.lookup(n), n, "qualitative", None, None, None, None, None, where) for n in names]
    name = _FILLER.sub("", m.group("name").lstrip(" —-•·●◆■★")).strip(" “”\"")
    verb = m.group("verb") or ""
    amount = AMOUNT.match(m.group("amount"))
    qualifier = amount.group("qualifier") or m.group("prefix") or m.group("prefix2") or m.group("prefix3")
    unit = amount.group("unit")
    values = [to_number(amount.group("number"))]
    respectively = "分别" in name or m.group("rest").startswith("、")
    if respectively:
        name = name.replace("分别", "")
        for more in AMOUNT.finditer(m.group("rest")):
            values.append(to_number(more.group("number")))
    names = _split_names(name)
    if len(names) > 1 and respectively and len(values) != len(names):
        return None
    if not respectively:
        values = values * len(names)
    kind, direction = _kind(verb, unit, amount.group("qualifier"))
    result = []
    for n, value in zip(names, values, strict=False):
        if n and not indicators.lookup(n) and (len(n) > 20 or not re.search(r"[\u4e00-\u9fffA-Za-z]", n)
                                               or _WORK.search(n)):
            return None
        result.append(Target(_indicator(n), n, kind, value, unit, qualifier,
                             direction, None, where))
    return result


def _indicator(name: str) -> str | None:
    """The registry key of a target's name; none for a share of an indicator (…占GDP比重),
    unless the share is the indicator's own name (空气质量优良天数比例)."""
    if not name:
        return None
    outside = name
    for start, end, _ in indicators.find(name):
        outside = outside[:start] + " " * (end - start) + outside[end:]
    return None if _SHARE.search(outside) else indicators.lookup(name)


def _kind(verb: str, unit: str, qualifier: str | None) -> tuple[str, str | None]:
    if re.fullmatch(_DOWN, verb):
        return "growth", "down"
    if re.fullmatch(_UP, verb):
        return "growth", "up"
    if re.fullmatch(_CEILING, verb) or qualifier in ("以内", "以下"):
        return "ceiling", None
    if re.fullmatch(_FLOOR, verb):
        return "floor", None
    return "level", None


def _split_names(name: str) -> list[str]:
    """全口径和区级财政收入 → 全口径财政收入, 区级财政收入; 城镇居民、农村居民人均可支配收入 and
    城镇和农村居民… → 城镇居民人均可支配收入, 农村居民人均可支配收入; 城乡居民… likewise.
    Each part that names no indicator of its own borrows an ending of the last part: one that
    makes it a registry name, else the shortest registry name the last part ends with."""
    if name.startswith("城乡居民"):
        name = "城镇居民、农村居民" + name[len("城乡居民"):]
    parts = [p for p in _JOINERS.split(name) if p]
    if len(parts) < 2 or any(re.search(POST_QUALIFIER, p) for p in parts):
        return [name]
    last = parts[-1]
    tails = [last[i:] for i in range(1, len(last)) if indicators.lookup(last[i:]) and
             indicators.find(last[i:])[0][:2] == (0, len(last) - i)]
    names = []
    for part in parts[:-1]:
        if indicators.lookup(part) or not tails:
            names.append(part)
        else:
            exact = [t for t in tails if indicators.is_name(part + t)]
            names.append(part + (exact[0] if exact else tails[-1]))
    return [*names, last]

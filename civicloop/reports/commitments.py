"""实事 commitments: a sentence announcing them (为居民群众办好以下实事:, 认真办好十件实事),
then the numbered items — inline (①… ②…, (1)…, 一是…) or one paragraph each (1、… 2、…).
Where numbers were lost on the way to the web (①② … ⑤ with ③④ gone), the sentences in the
gap become the missing items, as many as the gap holds."""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from civicloop.reports.numbers import chinese_number, quantities
from civicloop.reports.reading import Commitment, Source, Unparsed
from civicloop.reports.text import SENTENCE_END, Span, paragraphs, sentences, split

# 实事, or a counted or listed set of 民生工程 / 惠民项目 (十大民生工程, 以下民生项目).
ANNOUNCEMENT = re.compile(r"实事|(?:\d+|[一二两三四五六七八九十]+)(?:件|项|个|大)(?:民生|惠民|为民)(?:工程|项目)|"
                          r"(?:以下|如下|下列)(?:民生|惠民|为民)(?:工程|项目)")
_NOT_AN_ANNOUNCEMENT = re.compile(r"全面完成|圆满完成|全部完成|如期完成|已完成|完成了|均已|办结|兑现|落实到位|实事求是|讲实话|"
                                  r"办实事、|求实效")
_COUNT = re.compile(r"(?P<n>\d+|[一二两三四五六七八九十]+)(?:件|项|个方面|方面|大类)")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Numbering styles, each with the way to read its number.
STYLES: dict[str, re.Pattern] = {
    "circled": re.compile(rf"(?P<n>[{_CIRCLED}])"),
    "paren_digit": re.compile(r"\((?P<n>\d{1,2})\)"),
    "paren_chinese": re.compile(r"\((?P<n>[一二三四五六七八九十]{1,3})\)"),
    "digit": re.compile(r"(?<![\d.])(?P<n>\d{1,2})(?:[、.](?!\d)|\s)"),
    "chinese_is": re.compile(r"(?P<n>[一二三四五六七八九十]{1,3})是"),
    "ordinal": re.compile(r"第(?P<n>[一二三四五六七八九十]{1,3})(?:[,、]|是)"),
    "chinese": re.compile(r"(?P<n>[一二三四五六七八九十]{1,3})、"),
}
_OWNER_NAME = r"[\u4e00-\u9fff]{2,20}?(?:局|委员会|委|办公室|办|中心|街道办事处|街道|公司|政府|部)"
_OWNER = re.compile(rf"(?:由|牵头单位[::]?|责任单位[::]?|责任部门[::]?|承办单位[::]?)(?P<owner>{_OWNER_NAME})"
                    rf"|(?<![\u4e00-\u9fff])(?P<leading>[区县市]{_OWNER_NAME})(?:牵头|负责)")
_TITLE_MAX = 30
_LIST_LIMIT = 30
_ITEM_PARAGRAPHS = 3                 # unnumbered paragraphs an item may run on over


def _number(style: str, token: str) -> int:
    if style == "circled":
        return _CIRCLED.index(token) + 1
    return int(token) if token.isdigit() else chinese_number(token)


def find_commitments(clean_text: str, source: Callable[[int, int], Source],
                     plan_start: int = 0) -> tuple[list[Commitment], list[Unparsed]]:
    items: list[Span] = []
    unparsed: list[Unparsed] = []
    paras = paragraphs(clean_text)
    for i, para in enumerate(paras):
        for sentence in sentences(para):
            if (sentence.start < plan_start or not ANNOUNCEMENT.search(sentence.text)
                    or _NOT_AN_ANNOUNCEMENT.search(sentence.text)):
                continue
            count = _COUNT.search(sentence.text)
            announced = _number("digit", count.group("n")) if count else None
            # The list starts after the announcement's colon (…实事:一是…) or its full stop.
            colon = re.compile(r"[::]").search(sentence.text, ANNOUNCEMENT.search(sentence.text).end())
            end = sentence.start + colon.end() if colon else sentence.end
            rest = Span(para.text[end - para.start:], end, para.end)
            says_a_list = announced or re.search(r"以下|如下|下列", sentence.text)
            # A section heading that names 实事 (五、办好惠民实事) heads prose, not a list.
            heading = STYLES["chinese"].match(para.text) or re.match(r"\(([一二三四五六七八九十]+)\)", para.text)
            found = _inline_items(rest, announced) or (
                _paragraph_items(paras[i + 1:]) if says_a_list or not heading else [])
            fresh = [s for s in found if all(s.text != seen.text for seen in items)]
            if found and not fresh:
                continue
            items += fresh
            if not found and says_a_list:
                unparsed.append(Unparsed("commitment", "实事 announced but no list of items follows",
                                         source(sentence.start, sentence.end)))
    return [_commitment(n, item, source(item.start, item.end)) for n, item in enumerate(items, 1)], unparsed


def _marks(span: Span, style: str) -> list[tuple[int, int, int]]:
    """(start, end, number) of each numbering mark of `style` in `span`, at item starts only:
    the start of the text or after a sentence or clause end."""
    marks = []
    for m in STYLES[style].finditer(span.text):
        before = span.text[:m.start()].rstrip()
        if before and before[-1] not in "。;;:!!??\n)”":
            continue
        marks.append((m.start(), m.end(), _number(style, m.group("n"))))
    return marks


def _increasing(marks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The run of marks that starts at 1 and keeps counting up."""
    run = []
    for mark in marks:
        if (not run and mark[2] == 1) or (run and mark[2] > run[-1][2]):
            run.append(mark)
    return run


def _inline_items(span: Span, announced: int | None) -> list[Span]:
    for style in STYLES:
        marks = _increasing(_marks(span, style))
        if len(marks) < 2 and not (style == "circled" and marks):
            continue
        pieces = []
        for k, (_, end, number) in enumerate(marks):
            stop = marks[k + 1][0] if k + 1 < len(marks) else len(span.text)
            piece = Span(span.text[end:stop], span.start + end, span.start + stop)
            following = marks[k + 1][2] if k + 1 < len(marks) else max(announced or number, number) + 1
            pieces += _fill_gap(piece, following - number)
        return pieces
    return _unnumbered_items(span, announced)


def _unnumbered_items(span: Span, announced: int | None) -> list[Span]:
    """办好十件实事:新建…;改造…;…: no marks, but as many pieces between semicolons as were
    announced."""
    pieces = split(span, r"[;;]")
    return pieces if announced and len(pieces) == announced > 1 else []


# Where a lost mark took its full stop with it, a new item's verb follows the last word of
# the one before (…管理服务通过麻布山…): a place to split, in a gap only.
_RUN_ON = re.compile(r"(?<=[\u4e00-\u9fff”])(?=(?:通过|新建|建设|改造|改扩建|提质改造|实施|推进|开展|启动|解决|新增|建成|设置|"
                     r"打造|完善|加快|组织|举办)(?!任务|工作|项目|资金|水平|进度|标准|管理|力度|规划|用地|单位|情况)"
                     r"[^,,。;;:]{4,})")
_RUN_ON_MIN_CLAUSE = 6


def _fill_gap(piece: Span, holds: int) -> list[Span]:
    """A piece that should hold `holds` items because their marks were lost, cut in
    `holds - 1` places: first where one item runs into the next, then at sentence ends from
    the last one back (the first sentences stay together)."""
    if holds <= 1:
        return [piece]
    run_ons = [m.start() for m in _RUN_ON.finditer(piece.text)
               if len(re.split(r"[,,;;。、:]", piece.text[:m.start()])[-1]) >= _RUN_ON_MIN_CLAUSE]
    sentence_ends = [p.end - piece.start for p in split(piece, SENTENCE_END)][:-1]
    cuts = sorted((run_ons + sentence_ends[::-1])[:holds - 1])
    bounds = [0, *cuts, len(piece.text)]
    return [Span(piece.text[a:b], piece.start + a, piece.start + b) for a, b in itertools.pairwise(bounds)
            if piece.text[a:b].strip(" ,;。、:")]


def _paragraph_items(following: list[Span]) -> list[Span]:
    """Items numbered 1, 2, 3 … at the start of the paragraphs right after the announcement.
    An item may run on over a few unnumbered paragraphs (its heading, then its details) when
    the next number follows them; the last item runs on over as many as every other item
    did (a list of heading + details), no further."""
    for style, mark in STYLES.items():
        items: list[Span] = []
        pending: list[Span] = []
        run_ons: set[int] = set()
        for para in following[:_LIST_LIMIT * (_ITEM_PARAGRAPHS + 1)]:
            m = mark.match(para.text)
            if m and _number(style, m.group("n")) == len(items) + 1:
                if items:
                    items[-1] = _run_on(items[-1], pending)
                    run_ons.add(len(pending))
                items.append(Span(para.text[m.end():], para.start + m.end(), para.end))
                pending = []
            elif items and len(pending) < _ITEM_PARAGRAPHS and not m:
                pending.append(para)
            else:
                break
        if len(items) >= 2:
            if len(run_ons) == 1:
                items[-1] = _run_on(items[-1], pending[:run_ons.pop()])
            return items
    return []


def _run_on(item: Span, paras: list[Span]) -> Span:
    if not paras:
        return item
    return Span(item.text + "".join("\n" + p.text for p in paras), item.start, paras[-1].end)


def _commitment(number: int, item: Span, where: Source) -> Commitment:
    text = item.text.strip(" ,;。、:")
    title = re.split(r"[,;,;。:\n]", text, maxsplit=1)[0][:_TITLE_MAX]
    owner = _OWNER.search(text)
    return Commitment(number=number, title=title, text=text, quantities=quantities(text),
                      owner=(owner.group("owner") or owner.group("leading")) if owner else None, source=where)

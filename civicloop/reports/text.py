"""Report text as found on the web, made readable: bytes decoded (or refused), the text
cleaned of page chrome and width variants, with a map from every cleaned character back
to the original, so that whatever is found carries its exact original sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from civicloop.errors import InvalidInput, UnsupportedType
from civicloop.reports.reading import Source

# Decodings tried in order after the byte-order marks; GB18030 is a superset of GBK and GB2312.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_MIN_CHINESE_SHARE = 0.2            # of the letters: a report is Chinese text


def decode(data: bytes, field: str = "file") -> str:
    """The text of a report file: UTF-8 (with or without BOM), UTF-16 (with a BOM, or
    without one: text files hold NUL bytes only then), or GB18030/GBK. Bytes that are valid
    UTF-8 are UTF-8 (Chinese in GB18030 is practically never valid UTF-8); only bytes that are
    not are tried as GB18030. The result must be Chinese prose; anything else is refused
    naming `field`, never guessed at."""
    if not data.strip():
        raise InvalidInput(field, "is empty")
    bom = next((encoding for mark, encoding in _BOMS if data.startswith(mark)), None)
    if bom:
        candidates = [bom]
    elif b"\x00" in data:
        little_endian = data[1::2].count(0) >= data[0::2].count(0)
        candidates = ["utf-16-le", "utf-16-be"] if little_endian else ["utf-16-be", "utf-16-le"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.removeprefix("\ufeff")
        if looks_like_chinese_text(text):
            return text
        if encoding == "utf-8":
            break
    raise UnsupportedType(field, "is not Chinese text in UTF-8, UTF-16 or GB18030 "
                                 "(binary, another language, or another encoding)")


# Control characters (but tab, line ends, form feed), private-use ones, lone surrogates, U+FFFD.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")
_DROP_CHINESE = dict.fromkeys(range(0x4E00, 0xA000))


def looks_like_chinese_text(text: str) -> bool:
    """No control, private-use or replacement characters, and a fair share of Chinese."""
    if _NOT_TEXT.search(text):
        return False
    letters = sum(map(str.isalpha, text))
    chinese = len(text) - len(text.translate(_DROP_CHINESE))
    return letters > 0 and chinese / letters >= _MIN_CHINESE_SHARE


# One character for one: full-width ASCII to ASCII, odd spaces to a space, dot variants.
_WIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20, 0x200B: 0x20, 0xFEFF: 0x20,
    0x2022: 0x20}

# Whole lines that are page furniture, not report text: short lines that are exactly a
# menu word, or short lines that start like a page's header or footer.
_CHROME_WORD = re.compile(
    r"^(?:设为首页收藏本站|设为首页|收藏本站|关闭|主题|帖子|积分|版主|在线时间|周一~周五|联系电话|在线咨询|客服中心|快速回复|"
    r"返回顶部|返回列表|本版积分规则|打印本页|分享到|[\d.:\-~ ]*(?:万|小时前|天)?)[\s\d:]*$")
_CHROME_START = re.compile(
    r"^(?:查看:\s*\d|\[复制链接\]|签到天数|发表于|显示全部楼层|TA的每日心情|您需要登录|Powered by|Rank:|\[LV\.|"
    r"推荐访问|浏览量|阅读量|责任编辑|上一篇|下一篇|相关阅读|打印本页|快速回复)")
_CHROME_LINE_MAX = 80


def is_chrome(line: str) -> bool:
    line = line.strip()
    return len(line) <= _CHROME_LINE_MAX and bool(_CHROME_WORD.match(line) or _CHROME_START.match(line))


# Dropped from inside lines: thousands separators (1,200个), and essay-site sentences put into
# the text ("下面是小编为大家整理的…,供大家参考。").
_CHROME_SPAN = re.compile(r"(?<=\d),(?=\d{3}(?!\d))|下面是小编[^。\n]*?(?:参考|阅读|借鉴)[。!]?|\?*打印本页.*$|[??]{2,}|更多[^。\n]{0,20}请访问[^。\n]*")


@dataclass(frozen=True)
class Clean:
    """The cleaned text and, for each of its characters, its index in the original."""
    original: str
    text: str
    origin: tuple[int, ...]

    def source(self, start: int, end: int) -> Source:
        """The original span behind cleaned[start:end], trimmed of the cleaned ends' spaces."""
        while start < end and self.text[start] in " \n":
            start += 1
        while end > start and self.text[end - 1] in " \n":
            end -= 1
        if start >= end:
            raise ValueError("empty span")
        a, b = self.origin[start], self.origin[end - 1] + 1
        return Source(text=self.original[a:b], start=a, end=b)


def _keep_space(before: str, after: str) -> bool:
    """Spaces are noise in Chinese text except between two Latin words or numbers."""
    return before.isascii() and after.isascii() and before.isalnum() and after.isalnum()


def clean(original: str) -> Clean:
    """Width variants folded, chrome lines and spans dropped, spaces inside Chinese removed,
    one paragraph per line; every kept character mapped back to the original."""
    parts: list[str] = []
    origin: list[int] = []
    for line in re.finditer(r"[^\n]+", original):
        folded = line.group().translate(_WIDTH)
        if not folded.strip() or is_chrome(folded):
            continue
        # What stays of the line: its pieces between chrome spans, as (text, original offset).
        pieces, at = [], 0
        for span in _CHROME_SPAN.finditer(folded):
            pieces.append((folded[at:span.start()], line.start() + at))
            at = span.end()
        pieces.append((folded[at:], line.start() + at))
        text = "".join(p for p, _ in pieces)
        where: list[int] = []
        for piece, start in pieces:
            where.extend(range(start, start + len(piece)))
        kept_from = 0
        for blank in re.finditer(r"[ \t\r]+", text):
            parts.append(text[kept_from:blank.start()])
            origin.extend(where[kept_from:blank.start()])
            before, after = text[blank.start() - 1:blank.start()], text[blank.end():blank.end() + 1]
            if before and after and _keep_space(before, after):
                parts.append(" ")
                origin.append(where[blank.start()])
            kept_from = blank.end()
        parts.append(text[kept_from:])
        origin.extend(where[kept_from:])
        if origin and (not parts or parts[-1] != "\n"):
            parts.append("\n")
            origin.append(origin[-1])
    cleaned = "".join(parts)
    return Clean(original=original, text=cleaned, origin=tuple(origin))


@dataclass(frozen=True)
class Span:
    """A stretch of the cleaned text: a paragraph, a sentence or a clause."""
    text: str
    start: int
    end: int


def paragraphs(clean_text: str) -> list[Span]:
    return [Span(m.group(), m.start(), m.end()) for m in re.finditer(r"[^\n]+", clean_text)]


def split(span: Span, pattern: str) -> list[Span]:
    """`span` cut after each match of `pattern` (the separator stays with the piece before)."""
    pieces, at = [], 0
    for m in re.finditer(pattern, span.text):
        if m.end() > at:
            pieces.append(Span(span.text[at:m.end()], span.start + at, span.start + m.end()))
            at = m.end()
    if at < len(span.text):
        pieces.append(Span(span.text[at:], span.start + at, span.end))
    return [p for p in pieces if p.text.strip(" ,;。、:")]


SENTENCE_END = r"[。!?!?]+[”\"’)]?"
CLAUSE_END = r"[,;,;。!?!?:]+"


def sentences(span: Span) -> list[Span]:
    return split(span, SENTENCE_END)


def clauses(span: Span) -> list[Span]:
    return split(span, CLAUSE_END)

"""Chinese full-text search over case titles and texts.

Chinese is written without spaces, so text is cut the way CJK search engines cut it when
they have no dictionary (Lucene's CJKAnalyzer, pg_bigm): every run of Chinese characters
gives its single characters and its overlapping pairs, so '路灯不亮' is found by '路灯' and
by '不亮'; Latin letters and digits give lower-cased words. A query matches a case when
every one of its terms is among the case's tokens (pairs for runs of two or more, the
character for a run of one). The database does the matching: PostgreSQL with a GIN index
over to_tsvector('simple', tokens), SQLite with FTS5.
"""
from __future__ import annotations

import re

from sqlalchemy import literal_column, select, text as sql_text
from sqlalchemy.orm import Session

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(f"[{_CJK}]+|[A-Za-z0-9]+")
_IS_CJK = re.compile(f"[{_CJK}]")
QUERY_MAX = 100


def _terms(text: str, *, for_query: bool) -> list[str]:
    out: list[str] = []
    for run in _RUNS.findall(text or ""):
        if not _IS_CJK.match(run):
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            pairs = list(map(str.__add__, run, run[1:]))  # run[i] + run[i + 1], in C
            out.extend(pairs if for_query else list(run) + pairs)
    return out


def tokens(text: str) -> str:
    """The space-separated tokens stored for a case (case_search.tokens)."""
    return " ".join(dict.fromkeys(_terms(text, for_query=False)))


def terms(text: str) -> list[str]:
    """Every term of a text, repeats kept, cut as queries are (pairs for runs of Chinese):
    what texts are compared by (duplicates/)."""
    return _terms(text, for_query=True)


def query_terms(query: str) -> list[str]:
    return list(dict.fromkeys(_terms(query[:QUERY_MAX], for_query=True)))


def matching_ids(session: Session, query: str):
    """A subquery of the ids of cases matching every term of `query`, or None when the
    query has no searchable term (only punctuation, say)."""
    return _ids(session, query_terms(query), every=True)


def any_term_ids(session: Session, terms: list[str]):
    """A subquery of the ids of cases holding at least one of `terms` (tokens as `query_terms`
    gives them), or None for no terms: for finding texts alike rather than texts that match."""
    return _ids(session, terms, every=False)


def _ids(session: Session, terms: list[str], *, every: bool):
    if not terms:
        return None
    if session.get_bind().dialect.name == "postgresql":
        condition = ("to_tsvector('simple', tokens) @@ plainto_tsquery('simple', :search_terms)" if every
                     else "to_tsvector('simple', tokens) @@ to_tsquery('simple', :search_terms)")
        return (select(literal_column("case_id")).select_from(sql_text("case_search"))
                .where(sql_text(condition).bindparams(search_terms=(" " if every else " | ").join(terms))))
    # terms hold no quotes: letters, digits, CJK
    fts = (" " if every else " OR ").join('"' + t + '"' for t in terms)
    return (select(literal_column("rowid")).select_from(sql_text("case_search_fts"))
            .where(sql_text("case_search_fts MATCH :search_terms").bindparams(search_terms=fts)))

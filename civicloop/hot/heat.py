"""The heat index (热度指数) of a topic: how many people raise it, how many others back
them, how far it spreads, how long it lasts and how fresh it is. docs/hot.md says why.

    volume  = reporters + ½ × (reports − reporters)   a second report by one person counts half
    base    = log2(1 + volume) + 0.3·log2(1 + support) + ½·log2(grids) + ¼·log2(1 + span_days)
    heat    = 10 × base × ½^(age_days / half_life_days)      (no decay without a half-life)

support = Σ likes − Σ dislikes of the reports (0 when negative or where there are none);
grids = distinct grid cells of the reports (1 when none are known); span_days = last − first
report; age_days = now − last report. Logarithms: the tenth complaint adds less than the
second, and 2,000 likes on one post do not drown fifty separate complaints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SUPPORT_WEIGHT = 0.3
SPREAD_WEIGHT = 0.5
SPAN_WEIGHT = 0.25
REPEAT_WEIGHT = 0.5


@dataclass(frozen=True)
class Heat:
    reports: int
    reporters: int
    support: int
    grids: int
    span_days: float
    age_days: float
    index: float


def heat(*, reports: int, reporters: int, support: int, grids: int, span_days: float, age_days: float,
         half_life_days: float | None) -> Heat:
    volume = reporters + REPEAT_WEIGHT * (reports - reporters)
    base = (math.log2(1 + volume) + SUPPORT_WEIGHT * math.log2(1 + max(support, 0))
            + SPREAD_WEIGHT * math.log2(max(grids, 1)) + SPAN_WEIGHT * math.log2(1 + max(span_days, 0.0)))
    decay = 0.5 ** (max(age_days, 0.0) / half_life_days) if half_life_days else 1.0
    return Heat(reports=reports, reporters=reporters, support=max(support, 0), grids=grids,
                span_days=round(span_days, 1), age_days=round(age_days, 1), index=round(10 * base * decay, 1))

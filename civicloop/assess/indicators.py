"""The indicators of 考核 (assessment): every count and rate, as data.

Plain Python on purpose (no database): service.py turns these definitions into SQL, the
tests re-count them by hand, and docs/indicators.md explains each one.

Every figure is built from **additive counts**: a count is the number of cases whose
facts match all of `where` (or the sum of one fact over them), with the case placed in a
period by one date, its `anchor`. Because each case contributes to exactly one period and
one slice value per count, counts of days, months or grid cells add up to the counts of
weeks, years or streets, and a table of counts per (period, slice) can later stand in
for the case table. Rates are a numerator count over a denominator count (or a sum of
counts); they are never added, always recomputed from the summed counts.

The facts a count may name are computed per case by service.py (`FACTS`):

- `merged` 1 when the case was merged into another (合并: a duplicate; its master counts)
- `registered`, `rejected`, `dispatched`, `closed` (state 已结案, not merged), `open`
- `overdue` 1 when the case was ever past its handling deadline (cases.overdue)
- `due` closed, or open and overdue: the case had to be closed by now (应结案)
- `fed_back` the department reported back at least once; `handling_due` fed back, or overdue
- `replied` the department's reply stands (reported back, not sent back for rework)
- `reworked` sent back at verification (返工) or reopened after a 不满意 (重办) at least once
- `returned` the department asked to return it (退回申请) at least once
- `wrongly_dispatched` a return was approved: the first department was the wrong one (误派)
- `first_time` no return, no rework, no reopening (一次办结)
- `extended` an extension was approved; `extensions` how many were
- `rated`, `satisfied`, `satisfied_or_basic` the callback's rating (回访评价)
- `patrol` reported by a grid worker on patrol (网格巡查)
- `registered_on_time`, `dispatched_on_time` 立案 / the first 派遣 before the first step's deadline
- `verified_on_time` the verification that closed the case came before its deadline
- `verified_by_grid_worker` that verification was the grid worker's (核查)
- `check_requested` the grid's worker was asked to check the matter on site before 立案 (派核实)
- `checked_on_time` the worker's first 核实 came by the first request's deadline
- `check_requested_on_time` the operator's first 派核实 came before the first step's deadline
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# The date that places a case in a period.
REPORTED = "reported_at"  # the intake cohort: the case's whole story counts in the period it came in
CLOSED = "closed_at"      # the work of the period: cases closed in it

# Whose figure a case is when slicing by grid worker (网格员).
GRID_OWNER = "grid"       # the worker of the case's grid cell (一格一员)
REPORTER = "reporter"     # the worker who reported it
VERIFIER = "verifier"     # the worker who verified it on site (核查)


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    where: dict[str, int]
    anchor: str = REPORTED
    measure: str | None = None  # sum this fact instead of counting cases
    worker: str = GRID_OWNER
    note: str = ""

    def matches(self, facts: dict) -> bool:
        return all(facts[name] == value for name, value in self.where.items())


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    numerator: str
    denominator: tuple[str, ...]  # one count, or counts whose sum is the denominator
    source: str
    higher_is_better: bool = True
    role: str | None = None  # the role it assesses, for the role tables

    @property
    def counts(self) -> tuple[str, ...]:
        return (self.numerator, *self.denominator)


C = Count
NOT_MERGED = {"merged": 0}
COUNTS: tuple[Count, ...] = (
    C("reported", "受理数", NOT_MERGED, note="merged duplicates are counted once, as their master"),
    C("merged", "合并数", {"merged": 1}),
    C("rejected", "不予立案数", {"rejected": 1, **NOT_MERGED}),
    C("registered_all", "立案数(含作废)", {"registered": 1}),
    C("registered", "立案数", {"registered": 1, **NOT_MERGED}),
    C("registered_on_time", "按时立案数", {"registered": 1, "registered_on_time": 1}),
    C("dispatched", "派遣数", {"dispatched": 1, **NOT_MERGED}),
    C("dispatched_on_time", "按时派遣数", {"dispatched": 1, "dispatched_on_time": 1, **NOT_MERGED}),
    C("dispatched_right", "准确派遣数", {"dispatched": 1, "wrongly_dispatched": 0, **NOT_MERGED}),
    C("returned", "退回申请数", {"returned": 1, **NOT_MERGED}),
    C("wrongly_dispatched", "误派数", {"wrongly_dispatched": 1, **NOT_MERGED}),
    C("due", "应结案数", {"registered": 1, "due": 1, **NOT_MERGED}),
    C("closed_cohort", "已结案数", {"closed": 1}),
    C("closed_on_time", "按期结案数", {"closed": 1, "overdue": 0}),
    C("closed_verified_on_time", "按时结案数", {"closed": 1, "verified_on_time": 1}),
    C("handling_due", "应处置数", {"dispatched": 1, "handling_due": 1, **NOT_MERGED}),
    C("handled_on_time", "按期处置数", {"fed_back": 1, "overdue": 0, **NOT_MERGED}),
    C("fed_back", "反馈数", {"fed_back": 1, **NOT_MERGED}),
    C("reworked", "返工数", {"reworked": 1, **NOT_MERGED}),
    C("replied", "办复数", {"replied": 1, **NOT_MERGED}),
    C("first_time", "一次办结数", {"closed": 1, "first_time": 1}),
    C("overdue", "超期数", {"overdue": 1, **NOT_MERGED}),
    C("overdue_open", "超期未结数", {"overdue": 1, "open": 1, **NOT_MERGED}),
    C("extended", "延期案件数", {"extended": 1, **NOT_MERGED}),
    C("extensions", "批准延期次数", {"extended": 1, **NOT_MERGED}, measure="extensions"),
    C("rated", "评价数", {"rated": 1, **NOT_MERGED}),
    C("satisfied", "满意数", {"satisfied": 1, **NOT_MERGED}),
    C("satisfied_or_basic", "满意和基本满意数", {"satisfied_or_basic": 1, **NOT_MERGED}),
    C("patrol_reports", "巡查上报数", {"patrol": 1}, worker=REPORTER, note="duplicates included: they are reports"),
    C("patrol_valid", "有效上报数", {"patrol": 1, "registered": 1, **NOT_MERGED}, worker=REPORTER),
    C("missed", "漏报数", {"patrol": 0, "registered": 1, **NOT_MERGED},
      note="registered cases in the slice found by anyone but a grid worker on patrol"),
    C("verified_by_worker", "核查数", {"closed": 1, "verified_by_grid_worker": 1}, worker=VERIFIER),
    C("verified_by_worker_on_time", "按时核查数", {"closed": 1, "verified_by_grid_worker": 1, "verified_on_time": 1},
      worker=VERIFIER),
    C("check_requested", "派核实数", {"check_requested": 1},
      note="the grid's worker is asked to check before 立案; duplicates included: the check was made"),
    C("checked_on_time", "按时核实数", {"check_requested": 1, "checked_on_time": 1}),
    C("check_requested_on_time", "按时派核实数", {"check_requested": 1, "check_requested_on_time": 1},
      note="the operator sent the 核实 before the first step's deadline"),
    C("closed", "结案数(本期办结)", {"closed": 1}, anchor=CLOSED),
)
COUNT_KEYS = tuple(c.key for c in COUNTS)  # the order of every counts dict
COUNT = {c.key: c for c in COUNTS}

GBT = "GB/T 30428.4 数字化城市管理信息系统 绩效评价; CJ/T 292 数字化城市管理信息系统 监管案件立案、处置和结案"
HOTLINE = "12345 政务服务便民热线 practice (国办发〔2020〕53号 and local 考核办法)"
R = Rate
RATES: tuple[Rate, ...] = (
    R("closure_rate", "结案率", "closed_cohort", ("due",), GBT),
    R("on_time_closure_rate", "按期结案率", "closed_on_time", ("due",), GBT),
    R("on_time_handling_rate", "按期处置率", "handled_on_time", ("handling_due",), GBT),
    R("rework_rate", "返工率", "reworked", ("fed_back",), GBT, higher_is_better=False),
    R("reply_rate", "办复率", "replied", ("dispatched",), HOTLINE),
    R("first_contact_rate", "一次解决率", "first_time", ("closed_cohort",), HOTLINE),
    R("satisfaction_rate", "满意率", "satisfied", ("rated",), HOTLINE),
    R("satisfaction_broad_rate", "满意和基本满意率", "satisfied_or_basic", ("rated",), HOTLINE),
    R("valid_report_rate", "有效上报率", "patrol_valid", ("patrol_reports",), GBT, role="监督员"),
    R("timely_verification_rate", "按时核查率", "verified_by_worker_on_time", ("verified_by_worker",), GBT,
      role="监督员"),
    R("timely_check_rate", "按时核实率", "checked_on_time", ("check_requested",), GBT, role="监督员"),
    R("missed_report_rate", "漏报率", "missed", ("patrol_valid", "missed"), GBT, higher_is_better=False,
      role="监督员"),
    R("timely_check_request_rate", "按时派发核实率", "check_requested_on_time", ("check_requested",), GBT,
      role="受理员"),
    R("timely_registration_rate", "按时立案率", "registered_on_time", ("registered_all",), GBT, role="值班长"),
    R("accurate_registration_rate", "准确立案率", "registered", ("registered_all",), GBT, role="值班长"),
    R("timely_close_rate", "按时结案率", "closed_verified_on_time", ("closed_cohort",), GBT, role="值班长"),
    R("timely_dispatch_rate", "按时派遣率", "dispatched_on_time", ("dispatched",), GBT, role="派遣员"),
    R("accurate_dispatch_rate", "准确派遣率", "dispatched_right", ("dispatched",), GBT, role="派遣员"),
)
RATE = {r.key: r for r in RATES}
INDICATORS = tuple(COUNT) + tuple(RATE)
# What the data cannot give, and why (docs/indicators.md): nothing of the standards' list today.
NOT_COMPUTED: dict[str, str] = {}

# The department 综合指标值: a weighted mean of rates (a lower-is-better rate counts as
# 1 − rate). The practice adds a banded score for the number of cases; here volume is
# handled by ranking on the score's lower confidence bound instead (`score`).
DEFAULT_WEIGHTS = {"closure_rate": 0.3, "on_time_handling_rate": 0.3, "rework_rate": 0.3,
                   "satisfaction_broad_rate": 0.1}
Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval
SMALL_SAMPLE = 30  # below this many registered cases a unit is marked 样本少 in rankings


def rate_value(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1]; None (shown “—”) when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def denominator_of(rate: Rate, counts: dict[str, int]) -> int:
    return sum(counts[key] for key in rate.denominator)


_RATE_PARTS = tuple((r.key, r.numerator, r.denominator) for r in RATES)


def rates_of(counts: dict[str, int]) -> dict[str, float | None]:
    """Every rate of these counts (rate_value and denominator_of, inlined: a table of years
    by department and month asks it for thousands of cells)."""
    out = {}
    for key, numerator, denominator in _RATE_PARTS:
        below = counts[denominator[0]] if len(denominator) == 1 else sum(counts[k] for k in denominator)
        out[key] = counts[numerator] / below if below else None
    return out


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when there are no trials: no
    evidence either way."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    scale = 1 + z * z / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def check_weights(weights: dict[str, float]) -> dict[str, float]:
    from civicloop.errors import InvalidInput

    for key, weight in weights.items():
        if key not in RATE:
            raise InvalidInput("weights", f"unknown rate {key!r}; one of {', '.join(RATE)}")
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 0):
            raise InvalidInput("weights", f"{key}: a weight must be a number ≥ 0, got {weight!r}")
    if not any(weights.values()):
        raise InvalidInput("weights", "at least one weight must be above 0")
    return weights


@dataclass(frozen=True)
class Score:
    """综合指标值 on a 0–100 scale, with the 95 % interval that ranks it."""
    value: float | None  # the weighted mean of the rates that have cases (None: none has)
    low: float           # the weighted mean of each rate's Wilson lower bound: what ranks
    high: float
    parts: dict[str, float | None] = field(default_factory=dict)


def score(counts: dict[str, int], weights: dict[str, float] | None = None) -> Score:
    """The weighted score and its interval. A good share counts as k/n, a bad one (返工率)
    as (n − k)/n. The interval combines each rate's Wilson interval with the same weights;
    a rate without cases contributes its widest interval (0 to 1), so a unit with few
    cases has a low lower bound and cannot top the ranking by luck."""
    weights = {k: w for k, w in (weights or DEFAULT_WEIGHTS).items() if w}
    total = sum(weights.values())
    value_sum = value_weight = low = high = 0.0
    parts: dict[str, float | None] = {}
    for key, weight in weights.items():
        rate = RATE[key]
        trials = denominator_of(rate, counts)
        good = counts[rate.numerator] if rate.higher_is_better else trials - counts[rate.numerator]
        lo, hi = wilson(good, trials)
        low += weight * lo
        high += weight * hi
        parts[key] = rate_value(good, trials)
        if trials:
            value_sum += weight * good / trials
            value_weight += weight
    value = 100 * value_sum / value_weight if value_weight else None
    return Score(value, 100 * low / total, 100 * high / total, parts)

"""HTTP endpoints of assessment (考核) for leaders and assessors: the indicators by slice,
the cases behind any figure (paged), rankings, the 讲评 (JSON, Excel, printable page) and
the year's paragraph. Shapes: assess/schemas.py and docs/indicators.md."""
from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from civicloop.api.deps import allowed, read
from civicloop.assess import export, rollup, service
from civicloop.assess import indicators as ind
from civicloop.assess.periods import Period, parse_period, span
from civicloop.assess.schemas import (
    AnnualOut,
    BehindOut,
    CaseLineOut,
    ChangeOut,
    CountDefinition,
    DefinitionsOut,
    FiguresOut,
    HotOut,
    IndicatorsOut,
    OverdueOut,
    PeriodOut,
    RankedOut,
    RankingOut,
    RateDefinition,
    ReviewOut,
)
from civicloop.errors import InvalidInput
from civicloop.settings import local_now

router = APIRouter(prefix="/assess", tags=["assess"])
Assessor = allowed("assess.read")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RANKING_RULE = ("ranked on the lower bound of the 综合指标值's 95 % interval (each rate's Wilson interval, "
                "weighted), then on registered cases: few cases give a wide interval and a low bound")

From = Annotated[str | None, Query(alias="from", max_length=40, description="first day, YYYY-MM-DD")]
To = Annotated[str | None, Query(alias="to", max_length=40, description="last day, YYYY-MM-DD (included)")]
PeriodText = Annotated[str | None, Query(max_length=40, description="2026-11, 2026-Q4, 2026-W47 or 2026; "
                                                                    "instead of from/to")]
SliceText = Annotated[str | None, Query(alias="slice", max_length=120,
                                        description="only one slice, DIMENSION:KEY, e.g. department:cg, "
                                                    "street:420106001, category:0101, grid_worker:wangwu")]
District = Annotated[str | None, Query(pattern=r"^\d{6}$", description="default: every case")]


def read_figures(request: Request):
    """A read-only transaction for the figures, once the rollup has caught up with every
    change committed (rollup.catch_up)."""
    rollup.catch_up(request.app.state.engine)
    return read(request)


def _period(period: str | None, start: str | None, end: str | None) -> Period:
    if period:
        if start or end:
            raise InvalidInput("period", "give period, or from and to, not both")
        return parse_period(period)
    if not start or not end:
        raise InvalidInput("from" if not start else "to", "give from and to (YYYY-MM-DD), or period")
    return span(start, end)


def _slice(session, text: str | None) -> service.Slice | None:
    if not text:
        return None
    dimension, sep, ref = text.partition(":")
    if not sep:
        raise InvalidInput("slice", f"write DIMENSION:KEY, e.g. department:cg, got {text!r}")
    return service.resolve_slice(session, dimension, ref)


def period_out(p: Period) -> PeriodOut:
    return PeriodOut(start=p.start, end=p.end, kind=p.kind, label=p.label)


def figures_out(f: service.Figures) -> FiguresOut:
    return FiguresOut(key=f.key, label=f.label, counts=f.counts, rates=f.rates)


def ranked_out(r: service.Ranked) -> RankedOut:
    return RankedOut(rank=r.rank, key=r.figures.key, label=r.figures.label, cases=r.cases, score=r.score.value,
                     low=r.score.low, high=r.score.high, small_sample=r.small_sample, parts=r.score.parts)


def _weights(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    weights = {}
    for item in text.split(","):
        key, _, value = item.partition(":")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise InvalidInput("weights", f"write RATE:NUMBER,…, e.g. closure_rate:0.3, got {item!r}") from None
    return ind.check_weights(weights)


@router.get("/definitions", response_model=DefinitionsOut, summary="Every count and rate, with its formula")
def definitions(principal: Assessor) -> DefinitionsOut:
    return DefinitionsOut(
        dimensions=service.DIMENSION_LABELS,
        counts=[CountDefinition(key=c.key, label=c.label, anchor=c.anchor, where=c.where, sums=c.measure,
                                grid_worker=c.worker) for c in ind.COUNTS],
        rates=[RateDefinition(key=r.key, label=r.label, numerator=r.numerator, denominator=list(r.denominator),
                              higher_is_better=r.higher_is_better, role=r.role, source=r.source) for r in ind.RATES],
        default_weights=ind.DEFAULT_WEIGHTS, not_computed=ind.NOT_COMPUTED)


@router.get("/indicators", response_model=IndicatorsOut, summary="Counts and rates of a period, by slice")
def indicators(
    request: Request, principal: Assessor, start: From = None, end: To = None, period: PeriodText = None,
    by: Annotated[str, Query(max_length=20, description=", ".join(service.DIMENSIONS))] = "district",
    level: Annotated[int, Query(ge=1, le=3, description="category level when by=category")] = 1,
    where: SliceText = None, district: District = None,
) -> IndicatorsOut:
    """One row per slice value that has cases in the period, and the total. Every count and
    rate is there by key; a rate whose denominator is 0 is null."""
    chosen = _period(period, start, end)
    with read_figures(request) as session:
        chosen_slice = _slice(session, where)
        rows, total = service.figures(session, chosen, by=by, level=level, where=chosen_slice, district=district)
    return IndicatorsOut(period=period_out(chosen), by=by, level=level if by == "category" else None,
                         slice=f"{chosen_slice.dimension}:{chosen_slice.key}" if chosen_slice else None,
                         rows=[figures_out(r) for r in rows], total=figures_out(total))


@router.get("/indicators/{indicator}/cases", response_model=BehindOut, summary="The cases behind one figure")
def cases_behind(
    request: Request, principal: Assessor, indicator: Annotated[str, Path(max_length=40)],
    start: From = None, end: To = None, period: PeriodText = None, where: SliceText = None,
    district: District = None,
    part: Annotated[str | None, Query(pattern="^(numerator|denominator)$",
                                      description="a rate's numerator cases only, or (default) its "
                                                  "denominator cases, each marked in_numerator")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.PAGE_MAX)] = 50,
    after: Annotated[int | None, Query(ge=1, description="the last case id of the page before: the next page "
                                                         "(oldest first), as fast deep in the list as at its top")]
    = None,
) -> BehindOut:
    """The list re-counts to the figure: `total` cases (for a rate, `denominator` of them,
    `numerator` marked in_numerator). Reporters are not in it."""
    service.check_indicator(indicator)
    chosen = _period(period, start, end)
    with read_figures(request) as session:
        behind = service.cases_behind(session, indicator, chosen, _slice(session, where), part=part, offset=offset,
                                      limit=limit, after=after, district=district)
    return BehindOut(indicator=behind.indicator, label=behind.label, value=behind.value, numerator=behind.numerator,
                     denominator=behind.denominator, total=behind.total, offset=offset, limit=limit,
                     cases=[CaseLineOut(**c.__dict__) for c in behind.cases])


@router.get("/ranking", response_model=RankingOut, summary="Departments or streets ranked, fair to volume")
def ranking(
    request: Request, principal: Assessor, start: From = None, end: To = None, period: PeriodText = None,
    by: Annotated[str, Query(max_length=20, description="department or street")] = "department",
    weights: Annotated[str | None, Query(max_length=400, description="RATE:WEIGHT,… e.g. closure_rate:0.5,"
                                                                     "rework_rate:0.5 (default: the practice's)")]
    = None,
    district: District = None,
) -> RankingOut:
    chosen = _period(period, start, end)
    chosen_weights = _weights(weights)
    with read_figures(request) as session:
        ranked = service.ranking(session, chosen, by=by, weights=chosen_weights, district=district)
    return RankingOut(period=period_out(chosen), by=by, weights=chosen_weights or ind.DEFAULT_WEIGHTS,
                      rule=RANKING_RULE, rows=[ranked_out(r) for r in ranked])


ReviewPeriod = Annotated[str, Query(max_length=40, description="2026-11 (a month), 2026-Q4, 2026-W47")]


Hot = Annotated[bool, Query(description="include the hot issues (grouping them takes seconds)")]


def _review(request: Request, period: str, district: str | None, hot: bool) -> service.Review:
    chosen = parse_period(period)
    with read_figures(request) as session:
        return service.review(session, chosen, now=local_now(), district=district, hot=hot)


@router.get("/review", response_model=ReviewOut, summary="The 讲评 of a period")
def review(request: Request, principal: Assessor, period: ReviewPeriod, district: District = None,
           hot: Hot = True) -> ReviewOut:
    """The period's figures against the period before, by department, street, channel and
    category, the rankings and the longest-overdue open cases."""
    made = _review(request, period, district, hot)
    return ReviewOut(
        period=period_out(made.period), previous=period_out(made.previous), district_code=made.district_code,
        district_name=made.district_name, made_at=made.made_at,
        headline=[ChangeOut(key=c.key, label=c.label, now=c.now, before=c.before, delta=c.delta)
                  for c in made.headline],
        total=figures_out(made.total), before=figures_out(made.before),
        departments=[figures_out(r) for r in made.departments], streets=[figures_out(r) for r in made.streets],
        channels=[figures_out(r) for r in made.channels], categories=[figures_out(r) for r in made.categories],
        department_ranking=[ranked_out(r) for r in made.department_ranking],
        street_ranking=[ranked_out(r) for r in made.street_ranking],
        worst_overdue=[OverdueOut(**c) for c in made.worst_overdue], hot=[HotOut(**t) for t in made.hot],
        gaps=made.gaps)


@router.get("/review.xlsx", summary="The 讲评 as an Excel workbook",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def review_workbook(request: Request, principal: Assessor, period: ReviewPeriod, district: District = None,
                    hot: Hot = True) -> Response:
    made = _review(request, period, district, hot)
    buffer = io.BytesIO()
    export.workbook(made).save(buffer)
    name = f"review-{made.period.start:%Y%m%d}-{made.period.end:%Y%m%d}.xlsx"
    return Response(buffer.getvalue(), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/review.html", summary="The 讲评 as a printable page", response_class=HTMLResponse)
def review_page(request: Request, principal: Assessor, period: ReviewPeriod, district: District = None,
                hot: Hot = True) -> HTMLResponse:
    """ECharts is loaded from /static/vendor/echarts.min.js, as the web console serves it."""
    return HTMLResponse(export.html_page(_review(request, period, district, hot)))


@router.get("/annual", response_model=AnnualOut, summary="The year's paragraph for the work report")
def annual(request: Request, principal: Assessor, year: Annotated[int, Query(ge=2000, le=2100)],
           district: District = None) -> AnnualOut:
    with read_figures(request) as session:
        code, _ = service.only_district(session, district)
        return AnnualOut(year=year, district_code=code, text=service.annual_paragraph(session, code, year))

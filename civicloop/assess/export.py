"""The 讲评 as an Excel workbook (one sheet per view, native Excel charts) and as a
printable HTML page with Apache ECharts charts (prints to PDF from the browser).

Both are drawn from one `service.Review`, so their figures are the API's figures."""
from __future__ import annotations

import html
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from civicloop.assess import indicators as ind
from civicloop.assess.service import Figures, Ranked, Review, label_of, percent
from civicloop.cases.lifecycle import STATE_LABELS, State

ECHARTS_SRC = "/static/vendor/echarts.min.js"  # served by the web console
ECHARTS_FILE = Path(__file__).resolve().parents[2] / "node_modules/echarts/dist/echarts.min.js"  # npm
# The columns of the per-unit sheets: every count, then every rate.
COUNT_COLUMNS = tuple(c.key for c in ind.COUNTS)
RATE_COLUMNS = tuple(r.key for r in ind.RATES)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
PERCENT = "0.00%"
CHART_UNITS = 15  # the largest units shown in a sheet's chart
# Headline figures where a rise is bad news (shown red).
LOWER_IS_BETTER = {"rework_rate", "overdue_open", "returned", "wrongly_dispatched"}


def _title(sheet, text: str, width: int) -> None:
    sheet.append([text])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 1))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])


def _table(sheet, header: list[str], rows: list[list], percent_columns: set[int] = frozenset()) -> int:
    """Write a boxed table below what is there; returns its header's row number."""
    sheet.append(header)
    top = sheet.max_row
    for cell in sheet[top]:
        cell.font, cell.fill, cell.border = BOLD, HEAD_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in rows:
        sheet.append(values)
        for index, cell in enumerate(sheet[sheet.max_row], start=1):
            cell.border = BOX
            if index in percent_columns:
                cell.number_format = PERCENT
    for index, title in enumerate(header, start=1):
        longest = max([len(str(title))] + [len(str(r[index - 1])) for r in rows if r[index - 1] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(40, max(9, 1.6 * longest + 2))
    sheet.freeze_panes = sheet.cell(row=top + 1, column=2)
    return top


def _bar(sheet, title: str, top: int, rows: int, label_col: int, value_cols: list[int], anchor: str,
         percent_axis: bool = False) -> None:
    if rows == 0:
        return
    chart = BarChart()
    chart.type, chart.title, chart.height, chart.width = "bar", title, max(7.5, 0.6 * rows + 3), 18
    for col in value_cols:
        chart.add_data(Reference(sheet, min_col=col, min_row=top, max_row=top + rows), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=label_col, min_row=top + 1, max_row=top + rows))
    chart.y_axis.scaling.orientation = "minMax"
    chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
    if percent_axis:
        chart.y_axis.number_format = "0%"
    sheet.add_chart(chart, anchor)


def _unit_rows(rows: list[Figures]) -> list[list]:
    return [[r.label, r.key] + [r.counts[k] for k in COUNT_COLUMNS] + [r.rates[k] for k in RATE_COLUMNS]
            for r in rows]


def _unit_sheet(book: Workbook, name: str, title: str, rows: list[Figures], total: Figures) -> None:
    sheet = book.create_sheet(name)
    header = [name, "代码"] + [label_of(k) for k in COUNT_COLUMNS] + [label_of(k) for k in RATE_COLUMNS]
    _title(sheet, title, len(header))
    rates_from = 3 + len(COUNT_COLUMNS)
    percent_columns = set(range(rates_from, rates_from + len(RATE_COLUMNS)))
    top = _table(sheet, header, _unit_rows(rows), percent_columns)
    sheet.append(["合计", None] + [total.counts[k] for k in COUNT_COLUMNS] + [total.rates[k] for k in RATE_COLUMNS])
    for index, cell in enumerate(sheet[sheet.max_row], start=1):
        cell.font, cell.border = BOLD, BOX
        if index in percent_columns:
            cell.number_format = PERCENT
    shown = min(len(rows), CHART_UNITS)
    reported = 3 + COUNT_COLUMNS.index("reported")
    _bar(sheet, f"{name}受理数（前{shown}）", top, shown, 1, [reported], f"A{sheet.max_row + 3}")


def figures_workbook(title: str, name: str, rows: list[Figures], total: Figures) -> Workbook:
    """One sheet of every count and rate per slice value, with its total row and a chart."""
    book = Workbook()
    book.remove(book.active)
    _unit_sheet(book, name, title, rows, total)
    return book


def _ranking_sheet(book: Workbook, name: str, title: str, ranked: list[Ranked]) -> None:
    sheet = book.create_sheet(name)
    header = ["名次", "单位", "立案数", "综合指标值", "区间下限(排名依据)", "区间上限", "样本"] + \
             [ind.RATE[k].label for k in ind.DEFAULT_WEIGHTS]
    _title(sheet, title, len(header))
    rows = [[r.rank, r.figures.label, r.cases, _round(r.score.value), _round(r.score.low), _round(r.score.high),
             "样本少" if r.small_sample else ""] + [r.score.parts.get(k) for k in ind.DEFAULT_WEIGHTS] for r in ranked]
    top = _table(sheet, header, rows, set(range(8, 8 + len(ind.DEFAULT_WEIGHTS))))
    _bar(sheet, f"{title}（前{min(len(rows), CHART_UNITS)}）", top, min(len(rows), CHART_UNITS), 2, [5, 4],
         f"A{sheet.max_row + 3}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def workbook(review: Review) -> Workbook:
    """概况, 承办单位, 单位排名, 街道, 街道排名, 渠道, 类别, 超期案件, 热点问题, 说明: one sheet per view."""
    book = Workbook()
    sheet = book.active
    sheet.title = "概况"
    title = f"{review.district_name}{review.period.label}讲评"
    _title(sheet, title, 5)
    rows = []
    for change in review.headline:
        delta = change.delta
        rows.append([change.label, change.now, change.before,
                     None if delta is None else (round(delta, 2) if change.is_rate else delta),
                     "百分点" if change.is_rate else "件"])
    top = _table(sheet, ["指标", review.period.label, f"上期 {review.previous.label}", "变化", "单位"], rows)
    for row, change in enumerate(review.headline, start=top + 1):
        if change.is_rate:
            sheet.cell(row=row, column=2).number_format = PERCENT
            sheet.cell(row=row, column=3).number_format = PERCENT
    sheet.append([])
    sheet.append([f"统计时点 {review.made_at:%Y-%m-%d %H:%M}；期间 {review.period.start} 至 {review.period.end}"])
    chart = BarChart()
    chart.title, chart.height, chart.width = "主要比率：本期与上期", 9, 18
    rate_rows = [top + 1 + i for i, c in enumerate(review.headline) if c.is_rate]
    for column, name in ((2, review.period.label), (3, review.previous.label)):
        chart.series.append(Series(Reference(sheet, min_col=column, min_row=rate_rows[0], max_row=rate_rows[-1]),
                                   title=name))
    chart.set_categories(Reference(sheet, min_col=1, min_row=rate_rows[0], max_row=rate_rows[-1]))
    chart.y_axis.number_format = "0%"
    sheet.add_chart(chart, "G3")

    _unit_sheet(book, "承办单位", f"{title}：承办单位", review.departments, review.total)
    _ranking_sheet(book, "单位排名", "承办单位综合指标值排名", review.department_ranking)
    _unit_sheet(book, "街道", f"{title}：街道", review.streets, review.total)
    _ranking_sheet(book, "街道排名", "街道综合指标值排名", review.street_ranking)
    _unit_sheet(book, "渠道", f"{title}：渠道", review.channels, review.total)
    pie = PieChart()
    pie.title = "受理渠道"
    channels = book["渠道"]
    reported = 3 + COUNT_COLUMNS.index("reported")
    pie.add_data(Reference(channels, min_col=reported, min_row=3, max_row=3 + len(review.channels)),
                 titles_from_data=True)
    pie.set_categories(Reference(channels, min_col=1, min_row=4, max_row=3 + len(review.channels)))
    channels.add_chart(pie, f"D{channels.max_row + 20}")
    _unit_sheet(book, "类别", f"{title}：一级类别", review.categories, review.total)

    overdue = book.create_sheet("超期案件")
    _title(overdue, "超期未结案件（超期最久者在前）", 8)
    _table(overdue, ["案件编号", "标题", "状态", "承办单位", "处置时限", "超期天数", "督办次数", "升级层级"],
           [[c["number"], c["title"], STATE_LABELS[State(c["state"])], c["department"],
             c["handle_deadline"], c["days_late"], c["supervision_count"], c["escalation_level"]]
            for c in review.worst_overdue])

    hot = book.create_sheet("热点问题")
    _title(hot, "热点问题（按热度）", 6)
    _table(hot, ["热点", "地点", "诉求件数", "反映人数", "热度", "案件"],
           [[t["title"], t["place"], t["reports"], t["reporters"], t["heat"], len(t["case_ids"])] for t in review.hot])

    notes = book.create_sheet("说明")
    _title(notes, "指标口径（docs/indicators.md）", 4)
    _table(notes, ["指标", "分子", "分母", "依据"],
           [[r.label, label_of(r.numerator), "+".join(label_of(k) for k in r.denominator), r.source]
            for r in ind.RATES])
    notes.append([])
    for line in (*review.gaps, *(f"{k}: {why}" for k, why in ind.NOT_COMPUTED.items())):
        notes.append([line])
    return book


def write_workbook(review: Review, path: str | Path) -> Path:
    path = Path(path)
    workbook(review).save(path)
    return path


# ---------------------------------------------------------------- the printable page

PAGE_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 2px solid #4472c4; padding-bottom: .2em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; font-size: .9em; }
th, td { border: 1px solid #bfbfbf; padding: .25em .5em; text-align: right; }
th { background: #ddebf7; } td:first-child, th:first-child { text-align: left; }
.chart { width: 100%; height: 360px; } .up { color: #2e7d32; } .down { color: #c62828; }
.note { color: #666; font-size: .85em; } .named td:nth-child(2) { text-align: left; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid; } .chart { height: 300px; } }
"""


def _cell(value, is_rate: bool) -> str:
    if value is None:
        return "—"
    return percent(value) if is_rate else f"{value:,}" if isinstance(value, int) else f"{value:.2f}"


def _rows_html(rows: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)


def _head_html(names: list[str]) -> str:
    return "<tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"


def _chart(chart_id: str, option: dict) -> str:
    return (f'<div class="chart" id="{chart_id}"></div><script>echarts.init(document.getElementById("{chart_id}"))'
            f".setOption({json.dumps(option, ensure_ascii=False)});</script>")


def _bar_option(title: str, labels: list[str], series: dict[str, list], percent_axis: bool = False) -> dict:
    axis = {"type": "value", "axisLabel": {"formatter": "{value}%"}} if percent_axis else {"type": "value"}
    return {"title": {"text": title, "left": "center"}, "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0}, "grid": {"left": 160, "right": 30, "bottom": 40},
            "xAxis": axis, "yAxis": {"type": "category", "data": labels, "inverse": True},
            "series": [{"name": name, "type": "bar", "data": data} for name, data in series.items()],
            "animation": False}


def html_page(review: Review, *, script_src: str | None = ECHARTS_SRC, inline_script: str | None = None) -> str:
    """The 讲评 as one HTML page. The console links ECharts from `script_src`; a file
    written for printing carries the library inline (`inline_script`) and works offline."""
    esc = html.escape
    title = f"{review.district_name}{review.period.label}讲评"
    script = f"<script>{inline_script}</script>" if inline_script is not None \
        else f'<script src="{esc(script_src or ECHARTS_SRC)}"></script>'
    headline = []
    for change in review.headline:
        delta = change.delta
        css = "" if not delta else "up" if (delta > 0) == (change.key not in LOWER_IS_BETTER) else "down"
        shown = "—" if delta is None else (f"{delta:+.2f} 个百分点" if change.is_rate else f"{delta:+,}")
        headline.append([esc(change.label), _cell(change.now, change.is_rate), _cell(change.before, change.is_rate),
                         f'<span class="{css}">{shown}</span>'])
    rates = [c for c in review.headline if c.is_rate]
    parts = [
        f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>",
        f"<style>{PAGE_CSS}</style>{script}</head><body>",
        (f"<h1>{esc(title)}</h1><p class=\"note\">期间 {review.period.start} 至 {review.period.end}；"
        f"上期 {esc(review.previous.label)}；统计时点 {review.made_at:%Y-%m-%d %H:%M}。口径见“指标说明”。</p>"),
        "<section><h2>一、总体情况</h2><table>",
        _head_html(["指标", review.period.label, review.previous.label, "变化"]), _rows_html(headline), "</table>",
        _chart("rates", _bar_option("主要比率", [c.label for c in rates],
                                    {review.period.label: [_pct(c.now) for c in rates],
                                     review.previous.label: [_pct(c.before) for c in rates]}, percent_axis=True)),
        "</section>",
        _ranking_html("二、承办单位排名", "department_ranking", review.department_ranking),
        _ranking_html("三、街道排名", "street_ranking", review.street_ranking),
        "<section><h2>四、受理渠道与诉求类别</h2>",
        _chart("channels", {"title": {"text": "受理渠道", "left": "center"}, "tooltip": {"trigger": "item"},
                            "animation": False,
                            "series": [{"type": "pie", "radius": "60%",
                                        "data": [{"name": r.label, "value": r.counts["reported"]}
                                                 for r in review.channels if r.counts["reported"]]}]}),
        _chart("categories", _bar_option("诉求类别（一级）", [r.label for r in review.categories[:CHART_UNITS]],
                                         {"受理数": [r.counts["reported"] for r in review.categories[:CHART_UNITS]]})),
        "</section><section><h2>五、超期未结案件</h2><table class=\"named\">",
        _head_html(["案件编号", "标题", "状态", "承办单位", "处置时限", "超期天数", "督办"]),
        _rows_html([[esc(c["number"]), esc(c["title"]), STATE_LABELS[State(c["state"])], esc(c["department"] or "—"),
                     f"{c['handle_deadline']:%Y-%m-%d %H:%M}" if c["handle_deadline"] else "—",
                     _cell(c["days_late"], False), str(c["supervision_count"])] for c in review.worst_overdue]),
        "</table></section><section><h2>六、热点问题</h2><table>",
        _head_html(["热点", "地点", "诉求件数", "反映人数", "热度"]),
        _rows_html([[esc(t["title"]), esc(t["place"]), str(t["reports"]), str(t["reporters"]), f"{t['heat']:.2f}"]
                    for t in review.hot]),
        "</table></section>",
        "<section><h2>指标说明</h2><table>", _head_html(["指标", "分子", "分母"]),
        _rows_html([[esc(r.label), esc(label_of(r.numerator)), esc("+".join(label_of(k) for k in r.denominator))]
                    for r in ind.RATES]),
        "</table>", "".join(f'<p class="note">{esc(line)}</p>' for line in review.gaps), "</section>",
        "</body></html>",
    ]
    return "".join(parts)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def _ranking_html(heading: str, chart_id: str, ranked: list[Ranked]) -> str:
    esc = html.escape
    rows = [[str(r.rank), esc(r.figures.label), f"{r.cases:,}", _cell(r.score.value, False), _cell(r.score.low, False),
             _cell(r.score.high, False), "样本少" if r.small_sample else ""] for r in ranked]
    shown = ranked[:CHART_UNITS]
    chart = _chart(chart_id, _bar_option(f"综合指标值（前{len(shown)}）", [r.figures.label for r in shown],
                                         {"区间下限": [_round(r.score.low) for r in shown],
                                          "综合指标值": [_round(r.score.value) for r in shown]}))
    return (f"<section><h2>{esc(heading)}</h2><p class=\"note\">按综合指标值95%区间的下限排名：样本少的单位区间宽、下限低，"
            f"不因偶然的满分排在前列。</p><table class=\"named\">"
            + _head_html(["名次", "单位", "立案数", "综合指标值", "区间下限", "区间上限", "样本"])
            + _rows_html(rows) + "</table>" + chart + "</section>")


def write_html(review: Review, path: str | Path, *, echarts_file: str | Path = ECHARTS_FILE) -> Path:
    """A standalone page for printing: ECharts inline, read from the npm package."""
    source = Path(echarts_file)
    if not source.is_file():
        from civicloop.errors import NotFound

        raise NotFound("echarts", f"{source} is missing: run `npm install` in the project folder")
    path = Path(path)
    path.write_text(html_page(review, inline_script=source.read_text(encoding="utf-8")), encoding="utf-8")
    return path

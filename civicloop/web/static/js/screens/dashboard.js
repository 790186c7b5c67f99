// 大屏 for leaders and assessors: counts by state and queue, the district map coloured by the
// open cases of each cell, the trend of new and closed cases, all from GET /api/v1/dashboard;
// every number and cell opens the list behind it. Ranking, hot issues and targets come from
// their own APIs when the server has them.
import { paths, request } from "../api.js";
import { states as STATES } from "../labels.js";
import { districtCode, echartsReady, gridMap } from "../map.js";
import { h } from "../ui.js";

const QUEUE_LABELS = { overdue: "超期", red: "红牌", yellow: "黄牌", extension_requests: "延期申请" };
const TREND_DAYS = 14;
// The other parts of civicloop that feed the board: each panel shows when the server has its
// API (looked up in /openapi.json), 尚未提供 otherwise.
const PANELS = [
  { title: "部门排名（近 30 天）", path: "/api/v1/assess/ranking", query: () => ({ from: isoDay(-30), to: isoDay(0) }),
    rows: (d) => d.rows, columns: [["rank", "名次"], ["label", "单位"], ["cases", "立案数"], [(r) => (r.score == null ? "—" : r.score.toFixed(1)), "综合得分"]] },
  { title: "热点问题（近 7 天）", path: "/api/v1/hot-issues", query: () => ({}),
    rows: (d) => d.topics, columns: [["rank", "序"], ["title", "问题"], [(t) => t.heat?.reports, "件数"], [(t) => t.heat?.index, "热度"]] },
  { title: "目标与实事", path: "/api/v1/commitments", query: () => ({}),
    rows: (d) => d, columns: [["title", "事项"], [(i) => i.status?.label || i.status?.status, "状态"], [(i) => i.lead_department?.name, "牵头单位"]] },
];

function isoDay(offset) {
  return new Date(Date.now() + offset * 86400e3).toISOString().slice(0, 10);
}

function listLink(query, label, value) {
  return h("a", { href: `#/cases?${new URLSearchParams(query)}`, "data-kpi": label }, h("strong", {}, value), label);
}

async function trend(el, days) {
  const chart = (await echartsReady()).init(el);
  chart.setOption({
    animation: false, tooltip: { trigger: "axis" }, legend: { data: ["新增", "结案"], top: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 30 },
    xAxis: { type: "category", data: days.map((d) => d.day.slice(5)) }, yAxis: { type: "value" },
    series: [{ name: "新增", type: "line", data: days.map((d) => d.reported) },
      { name: "结案", type: "line", data: days.map((d) => d.closed) }],
  });
  // A point of either line opens its day's list: the cases reported, or the cases closed.
  chart.on("click", (p) => {
    const { day } = days[p.dataIndex];
    const by = p.seriesIndex === 1 ? "closed" : "reported";
    location.hash = `#/cases?${by}_from=${day}T00:00:00&${by}_to=${day}T23:59:59`;
  });
}

/** A panel fed by another part's API: shown when the server has it, "尚未提供" otherwise. */
async function otherPanel({ title, path, query, rows, columns }) {
  const box = h("section.panel", { "data-panel": path }, h("h2", {}, title));
  if (!(await paths())[path]) {
    box.append(h("p.muted", {}, "尚未提供"));
    return box;
  }
  try {
    const items = (rows(await request(path, { query: query() })) || []).slice(0, 10);
    const cell = (row, key) => (typeof key === "function" ? key(row) : row[key]) ?? "—";
    box.append(items.length ? h("table.grid", {},
      h("thead", {}, h("tr", {}, columns.map(([, label]) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, items.map((row) => h("tr", {}, columns.map(([key]) => h("td", {}, cell(row, key)))))))
      : h("p.muted", {}, "暂无数据"));
  } catch (error) {
    box.append(h("p.muted", {}, `暂不可用：${error.message}`));
  }
  return box;
}

export function dashboardScreen(root) {
  const kpis = h("div.kpis", { "aria-label": "案件数" });
  const mapBox = h("div.map#dashboard-map");
  const trendBox = h("div.chart", { role: "img", "aria-label": `近 ${TREND_DAYS} 天新增与结案趋势` });
  const side = h("div");
  root.replaceChildren(h("div.dashboard", {},
    h("div", {}, h("section.panel", {}, h("h2", {}, "案件总览"), kpis),
      h("section.panel", {}, h("h2", {}, "网格未结案件（点击网格查看案件）"), mapBox)),
    h("div", {}, h("section.panel", {}, h("h2", {}, "趋势"), trendBox), side)));

  // One answer counted by the database (GROUP BY), not pages of case lists: the counts first
  // (the page is usable with them), then the map and the trend from the same figures.
  const figures = request("/api/v1/dashboard", { query: { days: TREND_DAYS } });
  const counts = figures.then(({ by_state: byState, queues }) => {
    kpis.replaceChildren(
      ...Object.entries(byState).map(([s, n]) => listLink({ state: s }, STATES[s], n)),
      ...Object.entries(QUEUE_LABELS).map(([q, label]) => listLink({ queue: q }, label, queues[q] ?? 0)));
  });
  const map = counts.then(() => Promise.all([districtCode(), figures])).then(([district, { cells }]) =>
    gridMap(mapBox, { district, values: Object.fromEntries(cells.map((c) => [c.grid, c.open])),
      label: "网格未结案件地图：点击网格查看该网格的案件",
      onCell: (code) => { location.hash = `#/cases?grid=${code}`; } }));
  Promise.all(PANELS.map(otherPanel)).then((panels) => side.append(...panels));
  counts.then(() => figures).then(({ days }) => trend(trendBox, days));
  return { ready: counts, map };
}

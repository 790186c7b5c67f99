// A queue beside the case it opens: tabs of queues with their counts, a keyboard-driven list
// (J/K or ↑/↓ to move, Enter to open), the case panel, and optionally the district map.
import { request } from "../api.js";
import { showCase } from "../case-panel.js";
import { districtCode, gridMap } from "../map.js";
import { h, warningMark, when } from "../ui.js";

const PER_PAGE = 30;

/** queues: [{key, label, query}]; sort: the list's order; withMap: the district map between list and case. */
export function workbench(root, { title, queues, sort = "-reported_at", withMap = false, extra, initial = {} }) {
  let current = queues.find((q) => q.key === initial.queue) || queues[0];
  let filter = initial.filter || {};
  let page = 1;
  let items = [];
  let selected = -1;
  let map;
  let shown;  // the case open in the panel

  function highlight() {
    if (map && shown?.grid_code) map.highlight(shown.grid_code, shown.lon != null ? [shown.lon, shown.lat] : null);
  }

  const tabs = h("div.tabs", { role: "group", "aria-label": "队列" });
  const list = h("ol.cases", { role: "listbox", tabindex: 0, "aria-label": "案件列表" });
  const pager = h("div.pager");
  const detail = h("section.panel", { "aria-live": "polite", "aria-label": "案件详情" },
    h("p.muted", {}, "选择左侧案件查看详情"));
  const listPanel = h("section.panel", {}, h("h2", {}, title), extra || "", tabs,
    h("p.keys", {}, h("kbd", {}, "J"), "/", h("kbd", {}, "K"), " 上下选择 ", h("kbd", {}, "Enter"), " 打开 ",
      h("kbd", {}, "R"), " 刷新"),
    list, pager);
  const mapBox = withMap ? h("section.panel", {}, h("h2", {}, "辖区网格"), h("div.map#district-map")) : null;
  root.replaceChildren(h("div" + (withMap ? ".workbench.with-map" : ".workbench"), {}, listPanel, mapBox || "", detail));

  async function counts() {
    const { counts: n } = await request("/api/v1/cases/queues");
    tabs.replaceChildren(...queues.map((q) => h("button", {
      type: "button", "aria-pressed": String(q === current), "data-queue": q.key,
      onclick: () => { current = q; page = 1; selected = -1; counts(); load(); },
    }, q.label, h("span.count", {}, q.count ? q.count(n) : n[q.key] ?? ""))));
  }

  async function load() {
    const answer = await request("/api/v1/cases", {
      query: { ...current.query, ...filter, sort: current.sort || sort, page, per_page: PER_PAGE },
    });
    items = answer.items;
    list.replaceChildren(...items.map((c, i) => h("li", {
      role: "option", id: `case-${c.id}`, "aria-selected": String(i === selected), "data-id": c.id,
      onclick: () => select(i, true),
    }, h("div.title", {}, warningMark(c), " ", c.title),
    h("div.meta", {}, `${c.number} · ${c.state_label} · ${c.lead_department?.name || "未派遣"} · 时限 ${when(c.deadline)}`))));
    if (!items.length) list.append(h("li.muted", { role: "option", "aria-selected": "false" }, "队列为空"));
    if (items[selected]) list.setAttribute("aria-activedescendant", `case-${items[selected].id}`);
    else list.removeAttribute("aria-activedescendant");
    pager.replaceChildren(
      h("button.secondary", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "上一页"),
      h("span", {}, `第 ${answer.page}/${Math.max(answer.pages, 1)} 页 · 共 ${answer.total} 件`),
      h("button.secondary", { type: "button", disabled: page >= answer.pages, onclick: () => { page++; load(); } }, "下一页"));
    if (filter.grid) pager.append(h("button.secondary", { type: "button", onclick: () => { filter = {}; load(); } }, `清除网格筛选 ${filter.grid}`));
    root.dispatchEvent(new CustomEvent("loaded", { detail: answer }));
  }

  async function select(i, open) {
    if (i < 0 || i >= items.length) return;
    selected = i;
    list.querySelectorAll("li").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    const li = list.children[i];
    list.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
    if (!open) return;
    shown = await showCase(detail, items[i].id, { onChange: () => { counts(); load(); } });
    highlight();
    detail.querySelector("#case-title")?.focus();
  }

  list.addEventListener("keydown", (e) => {
    if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); select(Math.min(selected + 1, items.length - 1), false); }
    else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); select(Math.max(selected - 1, 0), false); }
    else if (e.key === "Enter") { e.preventDefault(); select(Math.max(selected, 0), true); }
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "r" && !e.target.closest("input, textarea, select")) { counts(); load(); }
  });

  if (withMap) {
    districtCode().then((district) => gridMap(root.querySelector("#district-map"), {
      district, label: "辖区网格地图：点击网格筛选该网格的案件",
      onCell: (code) => { filter = { grid: code }; page = 1; load(); },
    })).then((m) => { map = m; highlight(); });
  }
  const ready = Promise.all([counts(), load()]);
  return { ready, reload: () => Promise.all([counts(), load()]), list };
}

// 受理员: the new-call form beside the queue of cases taken in. Keyboard only: N starts a call,
// Ctrl+Enter sends it, Esc leaves the map; the draft stays in the browser until the case exists.
import { hasPath, request } from "../api.js";
import { categoryOptions } from "../case-panel.js";
import { channels as CHANNELS, intakeChannels as INTAKE } from "../labels.js";
import { districtCode, gridMap } from "../map.js";
import { field, formValues, h, keepDraft, submitting, toast } from "../ui.js";
import { workbench } from "./workbench.js";


export function callForm(channels, { onCreated } = {}) {
  const channel = h("select", { name: "channel", required: true },
    channels.map((c) => h("option", { value: c }, CHANNELS[c] || c)));
  const lon = h("input", { name: "lon", inputmode: "decimal", autocomplete: "off" });
  const lat = h("input", { name: "lat", inputmode: "decimal", autocomplete: "off" });
  const mapBox = h("div.map", { hidden: true, style: "height: 360px" });
  const form = h("form.panel#call-form", { novalidate: true, "aria-label": "新来电登记" },
    h("h2", {}, "新来电 ", h("span.keys", {}, h("kbd", {}, "N"), " 新建 ", h("kbd", {}, "Ctrl"), "+", h("kbd", {}, "Enter"), " 提交")),
    field("渠道", channel),
    field("标题", h("input", { name: "title", required: true, maxlength: 200, autocomplete: "off" })),
    field("诉求内容", h("textarea", { name: "body", required: true, rows: 4 })),
    h("div.row", {},
      field("反映人姓名", h("input", { name: "reporter_name", autocomplete: "off" })),
      field("联系电话", h("input", { name: "reporter_phone", type: "tel", autocomplete: "off" }))),
    field("地址", h("input", { name: "address", autocomplete: "off" }), "填写地址，或在地图上选点（经纬度）"),
    h("div.row", {}, field("经度（GCJ-02）", lon), field("纬度（GCJ-02）", lat)),
    h("button.secondary", { type: "button", id: "pick-on-map", onclick: () => toggleMap() }, "地图选点"),
    mapBox,
    field("分类", h("input", { name: "category", list: "category-names", autocomplete: "off" }), "可留空，由派遣员判定"),
    h("datalist#category-names"),
    h("p.form-error", { role: "alert" }),
    h("div.actions", {}, h("button", { type: "submit" }, "提交受理"),
      h("button.secondary", { type: "reset" }, "清空")),
    h("section#suggestions", { "aria-live": "polite", "aria-label": "智能建议" }));
  const draft = keepDraft(form, "call");
  suggestWhileTyping(form);
  categoryOptions().then((options) => form.querySelector("#category-names").replaceChildren(...options));

  let map;
  async function toggleMap() {
    mapBox.hidden = !mapBox.hidden;
    if (mapBox.hidden || map) return;
    map = await gridMap(mapBox, {
      district: await districtCode(), label: "选点地图：点击问题所在位置",
      onPick: ([x, y]) => { lon.value = x; lat.value = y; map.pin([x, y]); draft.save(); },
    });
  }
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === "Escape" && !mapBox.hidden) { mapBox.hidden = true; form.querySelector("#pick-on-map").focus(); }
  });
  form.addEventListener("reset", () => { draft.forget(); setTimeout(() => form.elements.title.focus()); });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const values = formValues(form);
      if (values.lon) values.lon = Number(values.lon);
      if (values.lat) values.lat = Number(values.lat);
      const created = await request("/api/v1/cases", {
        method: "POST", json: values, headers: { "Idempotency-Key": draft.idempotencyKey },
      });
      draft.forget();
      form.reset();
      toast(`已受理：${created.number}`);
      onCreated?.(created);
    });
  });
  return form;
}

/** Where the call is: the pin's cell (`/locate`) or the written address's, when the registry
 *  of standard addresses resolves it (`/addresses/match`). {grid, said} or null. */
async function placeOf(values) {
  if (values.lon && values.lat) {
    const found = await request("/api/v1/locate", { query: { lon: values.lon, lat: values.lat } })
      .catch((error) => ({ error }));
    if (found.error) return { grid: null, said: `地点：${found.error.message}` };
    return { grid: found.grid.code, said: `网格：${found.grid.code}（${found.street.name || ""} ${found.community.name || ""}）` };
  }
  if (!values.address || !(await hasPath("/api/v1/addresses/match"))) return null;
  const match = await request("/api/v1/addresses/match", { method: "POST",
    json: { text: values.address, district_code: await districtCode() } }).catch(() => null);
  if (!match) return null;
  if (match.status === "resolved") return { grid: match.grid_code, said: `网格：${match.grid_code}（${match.address.text}）` };
  if (match.status === "ambiguous") return { grid: null, said: `地址有 ${match.candidates.length} 处可能，请补充门牌或楼栋，或在地图上选点` };
  return { grid: null, said: `地址未能定位到网格（${match.reasons.join("，")}），可在地图上选点` };
}

/** What the call is and where, while it is typed: the classifier's category (filled in when it is
 *  confident and the operator has chosen none) with the department it routes to, the grid of the
 *  pin or the address, and the open cases the call may repeat, from the intake, address and
 *  duplicates APIs when the server has them. The operator confirms by sending, or corrects. */
function suggestWhileTyping(form) {
  const box = form.querySelector("#suggestions");
  let timer;
  let asked = "";
  const keyOf = (values) => ["title", "body", "address", "lon", "lat"].map((k) => values[k] || "").join("|");
  const ask = async () => {
    const values = formValues(form);
    const key = keyOf(values);
    if (!values.body || key === asked) return;
    asked = key;
    const [classify, duplicates] = await Promise.all([hasPath("/api/v1/intake/classify"), hasPath("/api/v1/duplicates/check")]);
    const parts = [];
    if (classify) {
      const answer = await request("/api/v1/intake/classify", { method: "POST", json: { title: values.title, text: values.body } })
        .catch(() => null);
      const best = answer?.alternatives?.[0];
      if (best?.category) {
        const category = form.elements.category;
        if (!category.value && !answer.low_confidence) { category.value = best.category.code; category.dispatchEvent(new Event("change", { bubbles: true })); }
        parts.push(h("p", {}, `建议分类：${best.category.name}（${Math.round(best.confidence * 100)}%）`,
          best.department ? ` → ${best.department.name}` : "", answer.low_confidence ? "（把握不大，请人工判定）" : ""));
      }
    }
    const place = await placeOf(values);
    if (place) parts.push(h("p#suggested-grid", {}, place.said));
    if (duplicates) {
      const draft = { title: values.title || values.body.slice(0, 20), text: values.body };
      if (values.lon && values.lat) Object.assign(draft, { lon: Number(values.lon), lat: Number(values.lat) });
      else if (place?.grid) draft.grid_code = place.grid;
      const answer = await request("/api/v1/duplicates/check", { method: "POST", json: draft }).catch(() => null);
      const candidates = answer?.candidates || [];
      parts.push(candidates.length
        ? h("div", {}, h("p", {}, `可能重复（${candidates.length}）：`), h("ul", {}, candidates.slice(0, 5).map((c) =>
          h("li", {}, `${c.case.number} ${c.case.title}（${c.reasons.join("，")}）`))))
        : h("p.muted", {}, "未发现可能重复的案件"));
    }
    if (keyOf(formValues(form)) !== key) return;  // typed on meanwhile: the next answer says it
    box.replaceChildren(...parts);
    box.className = parts.length ? "panel" : "";
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 700); });
  form.addEventListener("reset", () => { asked = ""; box.replaceChildren(); box.className = ""; });
}

export function intakeScreen(root, initial, me) {
  const channels = INTAKE[me.role] || [];
  const form = callForm(channels, { onCreated: () => bench.reload() });
  const side = h("div");
  root.replaceChildren(h("div.workbench", {}, form, side));
  const bench = workbench(side, {
    title: "受理队列", initial,
    queues: [
      { key: "to_register", label: "待立案", query: { queue: "to_register" } },
      { key: "mine", label: "待我处理（回访、改类）", query: { queue: "mine" } },
      { key: "all", label: "全部", query: {} },
    ],
  });
  // The workbench draws its own two columns; in this screen it is the right-hand column.
  side.querySelector(".workbench").style.gridTemplateColumns = "1fr";
  document.addEventListener("keydown", function start(e) {
    if (!root.isConnected) { document.removeEventListener("keydown", start); return; }
    if (e.key.toLowerCase() === "n" && !e.ctrlKey && !e.altKey && !e.target.closest("input, textarea, select")) {
      e.preventDefault();
      form.elements.title.focus();
    }
  });
  form.elements.title.focus();
  return bench;
}

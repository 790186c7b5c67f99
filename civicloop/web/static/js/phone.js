// What the two phone pages share: tabs at the top, a report form with photos and the phone's
// position, and a list of cases that opens one.
import { request } from "./api.js";
import { showCase } from "./case-panel.js";
import { pinMap } from "./pin-map.js";
import { field, fileField, h, keepDraft, warningMark, when } from "./ui.js";

/** Tabs: [{key, label, render(main)}]; the first is shown. */
export function phoneShell(app, tabs, { header, initial } = {}) {
  let main = h("main");
  const nav = h("nav.bottom", { "aria-label": "功能" });
  const show = (tab) => {
    nav.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tab === tab.key)));
    // A fresh <main> per tab: a slow tab that answers after the user moved on writes into a detached one.
    const fresh = h("main", { id: "screen", "data-screen": tab.key });
    main.replaceWith(fresh);
    main = fresh;
    window.civicloopReady = Promise.resolve(tab.render(main));
  };
  tabs.forEach((tab) => nav.append(h("button", { type: "button", "data-tab": tab.key, onclick: () => show(tab) }, tab.label)));
  app.replaceChildren(...[header, nav, main].filter(Boolean));
  show(tabs.find((t) => t.key === initial) || tabs[0]);
}

/** Where the problem is: the phone's position (WGS-84: the API converts it to the stored GCJ-02
 *  when told crs=wgs84) or a pin on the district's map (GCJ-02 already); the latest one counts.
 *  Kept in hidden fields, so the draft keeps it too. */
export function placeField(form) {
  const lon = h("input", { type: "hidden", name: "lon" });
  const lat = h("input", { type: "hidden", name: "lat" });
  const crs = h("input", { type: "hidden", name: "crs" });
  const status = h("span.muted", { id: "position-status", "aria-live": "polite" }, "未定位");
  const mapBox = h("div.map.pin-map#pin-map", { hidden: true });
  let map;
  const place = (point, system, said) => {
    [lon.value, lat.value] = point.map((x) => x.toFixed(6));
    crs.value = system;
    status.textContent = said;
    form.dispatchEvent(new Event("change"));
  };
  const pinned = () => (crs.value === "gcj02" && lon.value ? [Number(lon.value), Number(lat.value)] : null);
  const locate = h("button.secondary", { type: "button", onclick: () => {
    if (!navigator.geolocation) { status.textContent = "此设备不能定位，请在地图上选点或填写地址"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition((p) => {
      place([p.coords.longitude, p.coords.latitude], "wgs84", `已定位（±${Math.round(p.coords.accuracy)} 米）`);
      map?.pin(null);
    }, () => { status.textContent = "定位失败，请在地图上选点或填写地址"; }, { enableHighAccuracy: true, timeout: 15000 });
  } }, "获取当前位置");
  const toggle = h("button.secondary", { type: "button", id: "pick-on-map", "aria-expanded": "false",
    "aria-controls": "pin-map", onclick: async () => {
      mapBox.hidden = !mapBox.hidden;
      toggle.setAttribute("aria-expanded", String(!mapBox.hidden));
      if (mapBox.hidden || map) return;
      status.textContent = "正在载入地图…";
      try {
        map = await pinMap(mapBox, { pinned: pinned(), label: "辖区地图：点击问题所在位置放置标记",
          onPick: (point) => place(point, "gcj02", `已在地图上选点（${point[0].toFixed(5)}, ${point[1].toFixed(5)}）`) });
        if (!lon.value) status.textContent = "请点击地图上问题所在位置";
      } catch (error) {
        mapBox.hidden = true;
        status.textContent = error.message || "地图载入失败，请填写地址";
      }
    } }, "地图选点");
  // The draft fills the hidden fields after this is built: say so once it has. (A reset leaves
  // hidden fields as they are: they are emptied here.)
  queueMicrotask(() => { if (lon.value) status.textContent = crs.value === "gcj02" ? "已在地图上选点" : "已定位"; });
  form.addEventListener("reset", () => {
    lon.value = ""; lat.value = ""; crs.value = "";
    status.textContent = "未定位";
    map?.pin(null);
  });
  return h("div.field", {}, h("p", {}, locate, " ", toggle, " ", status), mapBox, lon, lat, crs);
}

/** The report form: title, text, (contact), address or position, photos; kept as a draft until sent. */
export function reportForm({ draftKey, withContact, submitLabel, send }) {
  const photos = h("input", { type: "file", name: "photos", accept: "image/*", multiple: true, capture: "environment" });
  const form = h("form#report-form", { novalidate: true, "aria-label": "上报问题" });
  form.append(
    field("标题", h("input", { name: "title", required: true, maxlength: 200 })),
    field("问题描述", h("textarea", { name: "body", required: true, rows: 4 })),
    withContact ? field("您的称呼", h("input", { name: "reporter_name", autocomplete: "name" })) : "",
    withContact ? field("联系电话", h("input", { name: "reporter_phone", type: "tel", autocomplete: "tel" }), "只有办理人员能看到") : "",
    field("地址", h("input", { name: "address", autocomplete: "street-address" }), "填写地址，或获取当前位置、在地图上选点"),
    placeField(form), fileField("照片", photos, "拍照或选择照片"),
    h("p.form-error", { role: "alert" }),
    h("button", { type: "submit" }, submitLabel));
  const draft = keepDraft(form, draftKey);
  form.addEventListener("submit", (e) => { e.preventDefault(); send(form, photos, draft); });
  return form;
}

/** A list of cases (by `query`) that opens one below it; after an action the list is read
 *  again and the case stays open. */
export async function caseList(main, title, query, detail = h("section", { "aria-live": "polite", "aria-label": "案件详情" })) {
  const page = await request("/api/v1/cases", { query: { per_page: 50, ...query } });
  const list = h("ol.cases", { "aria-label": title }, page.items.map((c) => h("li", {},
    h("button.secondary", { type: "button", "data-id": c.id, style: "width:100%;text-align:left", onclick: async () => {
      detail.className = "panel";
      await showCase(detail, c.id, { onChange: () => caseList(main, title, query, detail) });
      detail.querySelector("#case-title")?.focus();
    } }, warningMark(c), " ", c.title, h("div.meta", {}, `${c.state_label} · ${when(c.reported_at)}`)))));
  main.replaceChildren(h("h2", {}, `${title}（${page.total}）`), page.items.length ? list : h("p.muted", {}, "没有案件"), detail);
}

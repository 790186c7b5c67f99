// One case: what it is, who reported it (as the API shows it to this role: masked or not,
// never unmasked here), its deadlines, the actions the caller may take, its photos and history.
import { currentSession, hasPath, request } from "./api.js";
import { actions as ACTIONS, channels as CHANNELS, events as EVENTS, ratings as RATINGS, roles as ROLES } from "./labels.js";
import { field, fileField, formValues, h, photoThumbs, submitting, toast, warningMark, when, withPhotos } from "./ui.js";

// Actions whose record is worth a photo (the work done, the site as found, 核实 on site).
const WITH_PHOTOS = new Set(["feedback", "assist_feedback", "verify_pass", "verify_fail", "check", "comment", "suspend"]);
let departments;
let categoryNames;

/** The categories one can choose (level 3, by path), as <option>s for a datalist. */
export function categoryOptions() {
  categoryNames ||= request("/api/v1/categories", { query: { level: 3 } })
    .then((items) => items.map((c) => h("option", { value: c.path })));
  return categoryNames;
}

function departmentList() {
  departments ||= request("/api/v1/departments", { query: { active: true } }).then((d) => d.items || d);
  return departments;
}

async function findMaster(value) {
  if (/^\d{1,9}$/.test(value)) return Number(value);
  return (await request(`/api/v1/cases/${encodeURIComponent(value)}`)).id;
}

/** The inline form for one action, asking for exactly what the rule needs; `preset` fills fields
 *  in (a suggested category, the master case of a duplicate). Ctrl+Enter sends it. */
async function actionForm(c, action, done, preset = {}) {
  const rule = ACTIONS[action];
  const form = h("form.action-form", { "aria-label": rule.label, novalidate: true });
  form.append(h("h3", {}, rule.label));
  if (rule.needs.includes("department")) {
    const select = h("select", { name: "department_id", required: true }, h("option", { value: "" }, "请选择"));
    for (const d of await departmentList()) select.append(h("option", { value: d.id }, d.name));
    const why = h("p.muted#routing-why", { "aria-live": "polite" });
    form.append(field("承办单位", select), why);
    if (c.category && c.grid_code) {
      // The routing rules' owner is filled in, with the rule that made it so.
      request("/api/v1/routing/explain", { query: { category: c.category.code, grid: c.grid_code } })
        .then((e) => {
          if (!e.department || select.value) return;
          select.value = e.department.id;
          why.textContent = `按分派规则：${e.candidates?.[0]?.why || e.department.name}`;
        })
        .catch(() => {});
    }
  }
  if (rule.needs.includes("master")) {
    form.append(field("主案件（编号或 ID）", h("input", { name: "master_case_id", required: true, autocomplete: "off",
      value: preset.master })));
  }
  if (rule.needs.includes("category")) {
    const list = h("datalist", { id: `categories-${c.id}` });
    categoryOptions().then((options) => list.replaceChildren(...options.map((o) => o.cloneNode())));
    form.append(field("新分类（编码、路径或名称）", h("input", { name: "category", required: true, autocomplete: "off",
      list: list.id, value: preset.category })), list);
  }
  if (rule.needs.includes("extension_hours")) {
    form.append(field("延期小时数", h("input", { name: "extension_hours", type: "number", min: 1, step: 1, required: true })));
  }
  if (rule.needs.includes("rating")) {
    const group = h("fieldset", {}, h("legend", {}, "评价"));
    for (const [value, label] of Object.entries(RATINGS)) {
      const id = `rate-${c.id}-${value}`;
      group.append(h("input", { type: "radio", name: "rating", value, id }), h("label.inline", { for: id, style: "display:inline;margin-right:1em" }, label));
    }
    form.append(group);
  }
  const reasonRequired = rule.needs.includes("reason");
  form.append(field(reasonRequired ? "说明（必填）" : "说明", h("textarea", { name: "note", required: reasonRequired, rows: 3 })));
  let photos;
  if (WITH_PHOTOS.has(action)) {
    photos = h("input", { type: "file", name: "photos", accept: "image/*", multiple: true });
    form.append(fileField("照片", photos, "选择照片"));
  }
  form.append(h("p.form-error", { role: "alert" }),
    h("div.actions", {}, h("button", { type: "submit" }, `确认${rule.label}`),
      h("button.secondary", { type: "button", onclick: () => form.remove() }, "取消")));
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === "Escape") { e.preventDefault(); form.remove(); done(null); }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const values = { ...formValues(form), expected_version: c.version };
      if (values.master_case_id) values.master_case_id = await findMaster(values.master_case_id);
      const body = await withPhotos(values, photos);
      const updated = await request(`/api/v1/cases/${c.id}/actions/${action}`, { method: "POST", ...body });
      toast(`${rule.label}：已完成`);
      done(updated);
    });
  });
  return form;
}

function facts(c) {
  const rows = [
    ["编号", c.number], ["状态", h("span.state", {}, c.state_label)], ["来源", CHANNELS[c.channel] || c.channel],
    ["分类", c.category ? c.category.name : "未分类"], ["承办单位", c.lead_department ? c.lead_department.name : "—"],
    ["地址", c.address || "—"], ["网格", c.grid_code || "—"],
    ["反映人", [c.reporter_name || "—", c.reporter_phone ? ` ${c.reporter_phone}` : ""].join("")],
    ["上报时间", when(c.reported_at)], ["当前时限", [when(c.deadline), " ", warningMark(c)]],
    ["处置时限", when(c.handle_deadline)],
  ];
  if (c.extension_requested_hours) rows.push(["申请延期", `${c.extension_requested_hours} 小时`]);
  if (c.rating) rows.push(["评价", RATINGS[c.rating]]);
  return h("dl.facts", {}, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export async function timeline(ref) {
  const events = await request(`/api/v1/cases/${ref}/events`);
  return h("ol.timeline", { "aria-label": "办理经过" }, events.map((e) => h("li", {},
    h("div.when", {}, `${when(e.at)} · ${e.actor.name || ROLES[e.actor.role] || e.actor.role}`),
    h("strong", {}, EVENTS[e.action] || e.action), e.note ? `：${e.note}` : "")));
}

// Cases not yet dispatched, for the roles that take them in and register them: what intake
// worked out (the classifier's category and the department it routes to; the open cases it may
// repeat), with the action that takes each up.
const ADVISED_STATES = new Set(["reported", "registered"]);
const ADVISED_ROLES = new Set(["operator", "dispatcher"]);

async function intakeAdvice(c, allowed, open) {
  if (!ADVISED_STATES.has(c.state) || !ADVISED_ROLES.has(currentSession()?.role)) return null;
  const ask = async (path, url) => ((await hasPath(path)) ? request(url).catch(() => null) : null);
  const [suggested, repeats] = await Promise.all([
    ask("/api/v1/cases/{ref}/suggestion", `/api/v1/cases/${c.id}/suggestion`),
    ask("/api/v1/cases/{ref}/duplicates", `/api/v1/cases/${c.id}/duplicates`)]);
  const parts = [];
  const best = suggested?.suggestion?.alternatives?.[0];
  if (best?.category) {
    const same = best.category.id === c.category?.id;
    parts.push(h("p#advice-category", {}, `建议分类：${best.category.name}（${Math.round(best.confidence * 100)}%）`,
      best.department ? ` → ${best.department.name}` : "",
      same ? h("span.muted", {}, "（已采用）") : "",
      !same && allowed.includes("reclassify") ? [" ", h("button.secondary", { type: "button", "data-adopt": best.category.code,
        onclick: () => open("reclassify", { category: best.category.code }) }, "采用此分类")] : ""));
  }
  const candidates = repeats?.candidates || [];
  if (repeats) {
    parts.push(candidates.length ? h("div", {}, h("p", {}, `可能重复（${candidates.length}）：`),
      h("ul#advice-duplicates", {}, candidates.slice(0, 5).map((d) => h("li", {},
        `${d.case.number} ${d.case.title} · ${d.case.state_label}（${d.reasons.join("，")}）`,
        allowed.includes("merge") ? [" ", h("button.secondary", { type: "button", "data-merge": d.case.number,
          onclick: () => open("merge", { master: d.case.number }) }, "合并到此案")] : ""))))
      : h("p.muted", {}, "未发现可能重复的案件"));
  }
  return parts.length ? h("section.advice", { "aria-label": "智能研判" }, h("h3", {}, "智能研判"), ...parts) : null;
}

/** Render case `ref` into `box`; onChange(case) after an action. */
export async function showCase(box, ref, { onChange } = {}) {
  const c = await request(`/api/v1/cases/${ref}`);
  const buttons = h("div.actions", { role: "group", "aria-label": "可办理操作（数字键打开）" });
  const forms = h("div");
  const opened = {};
  const open = async (action, preset) => {
    forms.replaceChildren(await actionForm(c, action, (updated) => {
      if (!updated) { opened[action]?.focus(); return; }  // cancelled with Esc
      onChange?.(updated);
      showCase(box, updated.id, { onChange });
    }, preset));
    forms.querySelector("input:not([type=hidden]), select, textarea")?.focus();
  };
  const shown = c.allowed_actions.filter((action) => ACTIONS[action]);
  shown.forEach((action, i) => {
    opened[action] = h("button", { type: "button", "data-action": action, "aria-keyshortcuts": i < 9 ? String(i + 1) : null,
      onclick: () => open(action) }, i < 9 ? h("kbd", {}, String(i + 1)) : "", " ", ACTIONS[action].label);
    buttons.append(opened[action]);
  });
  // A digit opens its action while the focus is in the panel but not in a field.
  box.onkeydown = (e) => {
    const action = shown[Number(e.key) - 1];
    if (!action || e.ctrlKey || e.altKey || e.metaKey || e.target.closest("input, textarea, select")) return;
    e.preventDefault();
    open(action);
  };
  // Everything is fetched first and shown at once: nothing moves (or takes the focus) under the user's hand.
  const [attachments, advice, history] = await Promise.all([request(`/api/v1/cases/${c.id}/attachments`),
    intakeAdvice(c, shown, open), timeline(c.id)]);
  box.replaceChildren(h("h2", { tabindex: -1, id: "case-title" }, c.title), facts(c), h("p#case-body", {}, c.body),
    attachments.length ? await photoThumbs(attachments) : "", advice || "", buttons, forms, h("h3", {}, "办理经过"), history);
  return c;
}

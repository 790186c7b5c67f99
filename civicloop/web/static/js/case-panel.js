// One case: what it is, who reported it (as the API shows it to this role: masked or not,
// never unmasked here), its deadlines, the actions the caller may take, its photos and history.
import { request } from "./api.js";
import { actions as ACTIONS, channels as CHANNELS, events as EVENTS, ratings as RATINGS, roles as ROLES } from "./labels.js";
import { field, formValues, h, photoThumbs, submitting, toast, warningMark, when, withPhotos } from "./ui.js";

// Actions whose record is worth a photo (the work done, the site as found).
const WITH_PHOTOS = new Set(["feedback", "assist_feedback", "verify_pass", "verify_fail", "comment", "suspend"]);
let departments;

function departmentList() {
  departments ||= request("/api/v1/departments", { query: { active: true } }).then((d) => d.items || d);
  return departments;
}

async function findMaster(value) {
  if (/^\d{1,9}$/.test(value)) return Number(value);
  return (await request(`/api/v1/cases/${encodeURIComponent(value)}`)).id;
}

/** The inline form for one action, asking for exactly what the rule needs. */
async function actionForm(c, action, done) {
  const rule = ACTIONS[action];
  const form = h("form.action-form", { "aria-label": rule.label, novalidate: true });
  form.append(h("h3", {}, rule.label));
  if (rule.needs.includes("department")) {
    const select = h("select", { name: "department_id", required: true }, h("option", { value: "" }, "请选择"));
    for (const d of await departmentList()) select.append(h("option", { value: d.id }, d.name));
    form.append(field("承办单位", select));
    if (c.category && c.grid_code) {
      request("/api/v1/routing/explain", { query: { category: c.category.code, grid: c.grid_code } })
        .then((e) => { const id = (e.department || e.winner || e.candidates?.[0]?.department)?.id; if (id && !select.value) select.value = id; })
        .catch(() => {});
    }
  }
  if (rule.needs.includes("master")) {
    form.append(field("主案件（编号或 ID）", h("input", { name: "master_case_id", required: true, autocomplete: "off" })));
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
    form.append(field("照片", photos));
  }
  form.append(h("p.form-error", { role: "alert" }),
    h("div.actions", {}, h("button", { type: "submit" }, `确认${rule.label}`),
      h("button.secondary", { type: "button", onclick: () => form.remove() }, "取消")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const values = { ...formValues(form), expected_version: c.version };
      if (values.master_case_id) values.master_case_id = await findMaster(values.master_case_id);
      const body = withPhotos(values, photos);
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

/** Render case `ref` into `box`; onChange(case) after an action. */
export async function showCase(box, ref, { onChange } = {}) {
  const c = await request(`/api/v1/cases/${ref}`);
  const attachments = await request(`/api/v1/cases/${c.id}/attachments`);
  box.replaceChildren(
    h("h2", { tabindex: -1, id: "case-title" }, c.title),
    facts(c),
    h("p#case-body", {}, c.body),
  );
  if (attachments.length) box.append(await photoThumbs(attachments));
  const buttons = h("div.actions", { role: "group", "aria-label": "可办理操作" });
  const forms = h("div");
  for (const action of c.allowed_actions) {
    if (!ACTIONS[action]) continue;
    buttons.append(h("button", { type: "button", "data-action": action, onclick: async () => {
      forms.replaceChildren(await actionForm(c, action, (updated) => { onChange?.(updated); showCase(box, updated.id, { onChange }); }));
      forms.querySelector("input, select, textarea")?.focus();
    } }, ACTIONS[action].label));
  }
  box.append(buttons, forms, h("h3", {}, "办理经过"), await timeline(c.id));
  return c;
}

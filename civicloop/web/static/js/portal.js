// The citizen portal: report a problem (with or without an account), follow it by its number,
// and — signed in — see one's own reports with the replies and rate the result.
import { ApiError, currentSession, request, signOut } from "./api.js";
import { caseList, phoneShell, reportForm } from "./phone.js";
import { signInForm } from "./signin.js";
import { field, formValues, h, submitting, when, withPhotos } from "./ui.js";

const app = document.getElementById("app");

function reportTab(main) {
  const me = currentSession();
  const form = reportForm({ draftKey: "portal", withContact: !me, submitLabel: "提交", send: (f, photos, draft) => submitting(f, async () => {
    const values = formValues(f);
    const path = me ? "/api/v1/cases" : "/api/v1/public/cases";
    if (me) values.channel = "web";
    const created = await request(path, { method: "POST", ...(await withPhotos(values, photos)), anonymous: !me,
      headers: { "Idempotency-Key": draft.idempotencyKey } });
    draft.forget();
    main.replaceChildren(h("h2", {}, "已收到您的反映"),
      h("p", {}, "查询编号：", h("strong#tracking-number", {}, created.number)),
      h("p.muted", {}, "请记下编号，在“查询进度”中随时查看办理情况。"));
  }) });
  main.replaceChildren(h("h2", {}, "我要反映"), form);
}

function trackTab(main) {
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true, "aria-label": "查询进度" },
    field("查询编号", h("input", { name: "number", required: true, autocomplete: "off" })),
    h("p.form-error", { role: "alert" }), h("button", { type: "submit" }, "查询"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const number = form.elements.number.value.trim();
      if (!number) throw new ApiError(422, { field: "number", detail: "请填写查询编号" });
      const c = await request(`/api/v1/public/cases/${encodeURIComponent(number)}`, { anonymous: true });
      result.replaceChildren(h("dl.facts#tracked", {},
        h("dt", {}, "事项"), h("dd", {}, c.title), h("dt", {}, "状态"), h("dd", {}, h("span.state", {}, c.state_label)),
        h("dt", {}, "承办单位"), h("dd", {}, c.lead_department?.name || "—"),
        h("dt", {}, "反映时间"), h("dd", {}, when(c.reported_at)), h("dt", {}, "办结时间"), h("dd", {}, when(c.closed_at)),
        h("dt", {}, "答复"), h("dd", {}, c.reply || "—")));
    });
  });
  main.replaceChildren(h("h2", {}, "查询进度"), form, result);
}

function mineTab(main) {
  if (currentSession()) return caseList(main, "我的诉求", {});
  const form = signInForm({ heading: h("p.muted", {}, "登录后可查看答复并评价"), boxed: false,
    accept: (me) => me.role === "citizen", refusal: "请使用市民账号登录；工作人员请使用工作台（/）",
    onSignedIn: () => start("mine") });
  main.replaceChildren(h("h2", {}, "我的诉求"), form);
  return undefined;
}

function start(first) {
  const me = currentSession();
  const header = h("header.shell", {}, h("h1", {}, "市民诉求"),
    me ? h("span.who", {}, me.name) : "",
    me ? h("button", { type: "button", onclick: () => { signOut(); start(); } }, "退出") : "");
  const tabs = [
    { key: "report", label: "我要反映", render: reportTab },
    { key: "track", label: "查询进度", render: trackTab },
    { key: "mine", label: "我的诉求", render: mineTab },
  ];
  phoneShell(app, tabs, { header, initial: first });
}

start();

// 网格员 on a phone: report what the patrol finds (photo and position), the open cases of
// the worker's cells, 核实 (is the reported matter there? asked before 立案) and 核查 on site.
import { currentSession, request, signOut } from "./api.js";
import { states as STATES } from "./labels.js";
import { caseList, phoneShell, reportForm } from "./phone.js";
import { signInForm } from "./signin.js";
import { formValues, h, submitting, toast, withPhotos } from "./ui.js";

const app = document.getElementById("app");
const OPEN = Object.keys(STATES).filter((s) => !["closed", "rejected", "merged"].includes(s));

function signInPage(message) {
  app.replaceChildren(h("main", {}, signInForm({
    heading: h("h1", {}, "网格员登录"), message, accept: (me) => me.role === "grid_worker",
    refusal: "此页面供网格员使用；其他岗位请使用工作台（/）", onSignedIn: start })));
}

function start() {
  const me = currentSession();
  if (!me) return signInPage();
  if (me.role !== "grid_worker") return signInPage("此页面供网格员使用；其他岗位请使用工作台（/）");
  const header = h("header.shell", {}, h("h1", {}, "网格巡查"), h("span.who", {}, me.name),
    h("button", { type: "button", onclick: () => { signOut(); signInPage(); } }, "退出"));
  return phoneShell(app, [
    { key: "report", label: "上报", render: (main) => {
      const form = reportForm({ draftKey: "patrol", submitLabel: "上报", send: (f, photos, draft) => submitting(f, async () => {
        const values = { ...formValues(f), channel: "patrol" };
        const created = await request("/api/v1/cases", { method: "POST", ...(await withPhotos(values, photos)),
          headers: { "Idempotency-Key": draft.idempotencyKey } });
        draft.forget();
        f.reset();
        toast(`已上报：${created.number}`);
      }) });
      main.replaceChildren(h("h2", {}, "巡查上报"), form);
    } },
    { key: "grid", label: "我的网格", render: (main) => caseList(main, "网格内未结案件", { state: OPEN, sort: "deadline" }) },
    { key: "check", label: "核实", render: (main) => caseList(main, "待核实", { queue: "to_check", sort: "reported_at" }) },
    { key: "verify", label: "核查", render: (main) => caseList(main, "待核查", { queue: "to_verify", sort: "deadline" }) },
  ], { header });
}

window.addEventListener("civicloop:signed-out", () => signInPage("登录已失效，请重新登录"));
start();

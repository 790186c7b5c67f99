// The staff console: sign-in, then a shell with the screens of the signed-in role only.
// Screens live in the address (#/screen?key=value) so a number of the dashboard can link to
// the list behind it.
import { currentSession, signOut } from "./api.js";
import { roles as ROLES } from "./labels.js";
import { signInForm } from "./signin.js";
import { h } from "./ui.js";
import { casesScreen } from "./screens/cases.js";
import { dispatchScreen } from "./screens/dispatch.js";
import { handlerScreen } from "./screens/handler.js";
import { intakeScreen } from "./screens/intake.js";

const SCREENS = {
  intake: { label: "受理", load: () => intakeScreen },
  dispatch: { label: "调度", load: () => dispatchScreen },
  handle: { label: "承办", load: () => handlerScreen },
  dashboard: { label: "大屏", load: async () => (await import("./screens/dashboard.js")).dashboardScreen },
  cases: { label: "案件查询", load: () => casesScreen },
  admin: { label: "系统管理", load: async () => (await import("./screens/admin.js")).adminScreen },
};
// Which screens each role works in, its home first. Grid workers and citizens have their own pages.
export const ROLE_SCREENS = {
  operator: ["intake", "cases"],
  dispatcher: ["dispatch", "intake", "cases"],
  handler: ["handle", "cases"],
  supervisor: ["dashboard", "cases"],
  assessor: ["dashboard", "cases"],
  admin: ["admin", "dashboard", "cases"],
};
const OWN_PAGES = { grid_worker: "/m", citizen: "/portal" };
const app = document.getElementById("app");

function signInScreen(message) {
  const form = signInForm({ heading: h("h1", {}, "civicloop 城市运行管理平台"), message, onSignedIn: (me) => {
    if (OWN_PAGES[me.role]) { location.href = OWN_PAGES[me.role]; return; }
    location.hash = "";
    route();
  } });
  app.replaceChildren(h("main", {}, form));
  form.elements.username.focus();
}

function parseHash() {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  return { screen: path, params: Object.fromEntries(new URLSearchParams(search || "")) };
}

async function route() {
  const me = currentSession();
  if (!me) return signInScreen();
  if (OWN_PAGES[me.role]) { location.href = OWN_PAGES[me.role]; return undefined; }
  const allowed = ROLE_SCREENS[me.role] || [];
  let { screen, params } = parseHash();
  if (!allowed.includes(screen)) screen = allowed[0];
  const nav = h("nav", { "aria-label": "功能" }, allowed.map((key) => h("a", {
    href: `#/${key}`, "aria-current": key === screen ? "page" : null,
  }, SCREENS[key].label)));
  const main = h("main", { id: "screen", "data-screen": screen });
  app.replaceChildren(
    h("header.shell", {}, h("h1", {}, "civicloop"), nav,
      h("span.who", {}, me.name || `${me.username}（${ROLES[me.role] || me.role}）`),
      h("button", { type: "button", onclick: () => { signOut(); signInScreen(); } }, "退出")),
    main);
  const { queue, ...filter } = params;
  const render = await SCREENS[screen].load();
  const shown = render(main, { queue, filter }, me);
  window.civicloopReady = Promise.resolve(shown?.ready);
  return shown;
}

window.addEventListener("hashchange", route);
window.addEventListener("civicloop:signed-out", () => signInScreen("登录已失效，请重新登录"));
route();

// 系统管理: users and roles, departments, routing rules, categories' time limits, the grid
// (export and import as GeoJSON, shown on the map). Everything goes through the admin API,
// which names the field at fault; this screen only puts the words next to the field.
import { ApiError, request } from "../api.js";
import { departmentKinds as KINDS, roles as ROLES } from "../labels.js";
import { districtCode, GRID_CACHE, gridMap } from "../map.js";
import { field, fileField, formValues, h, submitting, toast } from "../ui.js";

const SECTIONS = { users: "用户与角色", districts: "辖区", departments: "承办单位", routing: "分派规则", categories: "分类与时限",
  grids: "网格" };

function table(columns, rows) {
  return h("table.grid", {}, h("thead", {}, h("tr", {}, columns.map(([, label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([key]) => h("td", {}, typeof key === "function" ? key(row) : row[key] ?? "—"))))));
}

function options(entries, selected) {
  return entries.map(([value, label]) => h("option", { value, selected: value === selected ? true : null }, label));
}

/** A form that sends its values (through `send`) and shows what the API said was wrong next to each field. */
function adminForm(label, fields, send) {
  const form = h("form.action-form", { novalidate: true, "aria-label": label }, h("h3", {}, label),
    h("div.row", {}, fields), h("p.form-error", { role: "alert" }), h("button", { type: "submit" }, "保存"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => { await send(formValues(form)); form.reset(); toast(`${label}：已保存`); });
  });
  return form;
}

async function departmentOptions() {
  const items = await request("/api/v1/departments");
  return [["", "（无）"], ...items.map((d) => [d.code, d.name])];
}

async function users(box) {
  const role = h("select", { name: "filter-role" }, options(Object.entries(ROLES).filter(([r]) => r !== "grid_worker")));
  const list = h("div");
  const load = async () => {
    const items = await request("/api/v1/users", { query: { role: role.value } });
    list.replaceChildren(table([["username", "用户名"], ["name", "姓名"], [(u) => ROLES[u.role], "角色"],
      [(u) => u.department?.name || "—", "单位"], ["phone", "电话"], [(u) => (u.active ? "启用" : "停用"), "状态"],
      [(u) => h("button.secondary", { type: "button", "data-user": u.username, onclick: async () => {
        await request(`/api/v1/users/${u.username}`, { method: "PATCH", json: { active: !u.active } });
        toast(`${u.name}：已${u.active ? "停用" : "启用"}`);
        load();
      } }, u.active ? "停用" : "启用"), "操作"]], items.slice(0, 200)));
  };
  role.addEventListener("change", load);
  const departments = await departmentOptions();
  box.replaceChildren(field("按角色查看（网格员在“网格”中按网格查看）", role), list,
    adminForm("新增用户", [
      field("用户名", h("input", { name: "username", autocomplete: "off" })),
      field("姓名", h("input", { name: "name", autocomplete: "off" })),
      field("角色", h("select", { name: "role" }, options(Object.entries(ROLES)))),
      field("单位", h("select", { name: "department" }, options(departments))),
      field("电话", h("input", { name: "phone", type: "tel", autocomplete: "off" })),
      field("初始密码", h("input", { name: "password", type: "password", autocomplete: "new-password" })),
    ], async (values) => { await request("/api/v1/users", { method: "POST", json: values }); load(); }));
  return load();
}

const KM2 = (m2) => (m2 == null ? "—" : (m2 / 1e6).toFixed(2));

/** The districts set up, and each one's streets with their communities (built from the national
 *  codes by `civicloop init`; boundaries and grids change through the 网格 section). */
async function districts(box) {
  const items = await request("/api/v1/districts");
  const trees = await Promise.all(items.map((d) => request(`/api/v1/districts/${d.code}`)));
  box.replaceChildren(table([["code", "区划代码"], ["name", "辖区"], ["streets", "街道（乡镇）"], ["communities", "社区（村）"],
    ["cells", "网格数"], [(d) => KM2(d.area_m2), "面积（km²）"]], items),
  ...trees.map((tree) => h("section", { "aria-label": `${tree.name}的街道和社区` }, h("h3", {}, `${tree.name}：街道和社区`),
    table([["code", "代码"], ["name", "街道"], [(s) => s.children.length, "社区"], ["cells", "网格数"],
      [(s) => KM2(s.area_m2), "面积（km²）"],
      [(s) => h("details", {}, h("summary", {}, "查看社区"), h("ul", {}, s.children.map((c) =>
        h("li", {}, `${c.name}（${c.code}，${c.cells} 格，${KM2(c.area_m2)} km²）`)))), "社区名单"]], tree.children))),
  h("p.muted", {}, "新建辖区由命令行 civicloop init --district 区划代码 完成；网格在“网格”中导入或导出。"));
}

async function departments(box) {
  const district = await districtCode();
  const list = h("div");
  const load = async () => {
    const items = await request("/api/v1/departments");
    list.replaceChildren(table([["code", "编码"], ["name", "名称"], ["kind_label", "类别"], ["region_code", "辖区"]], items));
  };
  box.replaceChildren(list, adminForm("新增承办单位", [
    field("编码", h("input", { name: "code", autocomplete: "off" })),
    field("名称", h("input", { name: "name", autocomplete: "off" })),
    field("类别", h("select", { name: "kind" }, options(Object.entries(KINDS)))),
    field("辖区编码（街道、社区必填）", h("input", { name: "region_code", autocomplete: "off" })),
  ], async (values) => {
    await request("/api/v1/departments", { method: "POST", json: { ...values, district_code: district } });
    load();
  }));
  return load();
}

async function routing(box) {
  const list = h("div");
  const load = async () => {
    const rules = await request("/api/v1/routing/rules");
    list.replaceChildren(table([[(r) => r.category?.path || "任意", "分类"], [(r) => r.region_code || "全区", "区域"],
      [(r) => r.department.name, "承办单位"], [(r) => h("button.secondary", { type: "button", onclick: async () => {
        await request(`/api/v1/routing/rules/${r.id}`, { method: "DELETE" });
        load();
      } }, "删除"), "操作"]], rules));
  };
  box.replaceChildren(list, adminForm("新增分派规则", [
    field("分类（编码、路径或名称；空为任意）", h("input", { name: "category", autocomplete: "off" })),
    field("区域编码（空为全区）", h("input", { name: "region_code", autocomplete: "off" })),
    field("承办单位", h("select", { name: "department" }, options(await departmentOptions()))),
  ], async (values) => { await request("/api/v1/routing/rules", { method: "POST", json: values }); load(); }));
  return load();
}

async function categories(box) {
  const level = h("select", { name: "filter-level" }, options([["1", "一级"], ["2", "二级"], ["3", "三级"]]));
  const list = h("div");
  const load = async () => {
    const items = await request("/api/v1/categories", { query: { level: level.value } });
    list.replaceChildren(table([["code", "编码"], ["path", "分类"],
      [(c) => c.limits?.dispatch_limit_hours ?? "继承", "派遣时限(时)"], [(c) => c.limits?.handle_limit_hours ?? "继承", "处置时限(时)"],
      [(c) => c.limits?.time_basis ?? "继承", "计时"]], items));
  };
  level.addEventListener("change", load);
  box.replaceChildren(field("级别", level), list, adminForm("修改时限（只改填写的项）", [
    field("分类编码", h("input", { name: "code", autocomplete: "off" })),
    field("派遣时限（小时）", h("input", { name: "dispatch_limit_hours", type: "number", min: 0, step: "any" })),
    field("处置时限（小时）", h("input", { name: "handle_limit_hours", type: "number", min: 0, step: "any" })),
  ], async ({ code, ...limits }) => {
    if (!code) throw new ApiError(422, { field: "code", detail: "必填" });
    const body = Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, Number(v)]));
    await request(`/api/v1/categories/${encodeURIComponent(code || "")}/limits`, { method: "PATCH", json: body });
    load();
  }));
  return load();
}

async function grids(box) {
  const district = await districtCode();
  const mapBox = h("div.map#admin-map");
  const file = h("input", { type: "file", name: "grid-file", accept: ".geojson,.json,application/geo+json" });
  const form = h("form.action-form", { novalidate: true, "aria-label": "导入网格" }, h("h3", {}, "导入网格（GeoJSON，整体替换）"),
    fileField("网格文件", file, "选择 GeoJSON 文件"), h("p.form-error", { role: "alert" }), h("button", { type: "submit" }, "导入"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const text = await file.files[0]?.text();
      if (!text) throw new ApiError(422, { field: "grid-file", detail: "请选择网格文件" });
      const done = await request(`/api/v1/districts/${district}/grids`, { method: "POST", body: text,
        headers: { "Content-Type": "application/geo+json" } }).catch((error) => {
        // What is wrong is inside the file (features[3].geometry …): each said next to the file field.
        if (error.errors?.length) error.errors = error.errors.map((e) => ({ field: "grid-file", detail: `${e.field}：${e.detail}` }));
        throw error;
      });
      await caches?.delete(GRID_CACHE);
      toast(`网格已导入：${done.cells ?? ""} 格`);
    });
  });
  const exportButton = h("button.secondary", { type: "button", onclick: async () => {
    const blob = await (await request(`/api/v1/districts/${district}/grids`, { raw: true })).blob();
    h("a", { href: URL.createObjectURL(blob), download: `grids-${district}.geojson` }).click();
  } }, "导出网格 GeoJSON");
  box.replaceChildren(h("p", {}, exportButton), form, mapBox);
  return gridMap(mapBox, { district, label: "辖区网格地图" });
}

const LOADERS = { users, districts, departments, routing, categories, grids };

export function adminScreen(root, initial) {
  const section = LOADERS[initial.filter?.section] ? initial.filter.section : "users";
  const box = h("section.panel", { "aria-label": SECTIONS[section] });
  root.replaceChildren(h("div.tabs", { role: "group", "aria-label": "管理项目" }, Object.entries(SECTIONS).map(([key, label]) =>
    h("button", { type: "button", "aria-pressed": String(key === section), "data-section": key,
      onclick: () => { location.hash = `#/admin?section=${key}`; } }, label))), box);
  return { ready: LOADERS[section](box) };
}

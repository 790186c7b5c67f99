// Small DOM helpers shared by every page: elements, field errors next to the field, drafts kept
// in the browser until sent, times in the district's words.
import { ApiError, request } from "./api.js";

/** h("tag.class#id", {attrs, on*: handlers}, ...children) */
export function h(spec, attrs = {}, ...children) {
  const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/);
  const el = document.createElement(tag);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let fieldIds = 0;
/** A labelled form control: <label for> + control + a place for its error. */
export function field(labelText, control, hint) {
  control.id ||= `f-${control.name || "x"}-${++fieldIds}`;
  const wrap = h("div.field", {}, h("label", { for: control.id }, labelText), control);
  if (hint) {
    const hintEl = h("p.muted", { id: `${control.id}-hint` }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    wrap.append(hintEl);
  }
  return wrap;
}

/** A file field whose button and chosen names are in the page's words (the browser's own
 *  "Choose Files" follows the browser's language, not the page's): the input stays the labelled,
 *  focusable control, drawn under a button-like label. */
export function fileField(labelText, input, buttonText = "选择文件") {
  const wrap = field(labelText, input);
  input.classList.add("file-input");
  const chosen = h("span.muted", { "aria-hidden": "true" }, "未选择");
  const say = () => { chosen.textContent = input.files.length ? [...input.files].map((f) => f.name).join("，") : "未选择"; };
  input.addEventListener("change", () => {
    say();
    // A reset empties the input without a change event (the form exists once the field is in it).
    input.form?.addEventListener("reset", () => setTimeout(say), { once: true });
  });
  wrap.append(h("div.file-picker", {}, h("label.file-button", { for: input.id, "aria-hidden": "true" }, buttonText), " ", chosen));
  return wrap;
}

const DETAILS = [
  [/at least 1 character|must not be empty|is required|Field required/i, "必填"],
  [/at most (\d+) character/i, (m) => `最多 ${m[1]} 个字`],
  [/valid number|valid integer/i, "请填写数字"],
  [/greater than or equal to (\S+)/i, (m) => `不能小于 ${m[1]}`],
  [/greater than (\S+)/i, (m) => `须大于 ${m[1]}`],
  [/less than or equal to (\S+)/i, (m) => `不能大于 ${m[1]}`],
  [/needs a place/i, "请填写地址，或获取当前位置、在地图上选点"],
  [/lies outside district/i, "这个位置不在本辖区内，请重新选点或填写地址"],
  [/more than (\d+) requests in (\d+) s.*retry in (\d+) s/i,
    (m) => `提交过于频繁（${m[2]} 秒内最多 ${m[1]} 次），请 ${m[3]} 秒后再试；已填写的内容保留在本机`],
];
/** The server's words about a field, in Chinese where the server spoke pydantic's English. */
export function explain(detail = "") {
  for (const [pattern, said] of DETAILS) {
    const m = detail.match(pattern);
    if (m) return typeof said === "function" ? said(m) : said;
  }
  return detail;
}

// A problem's field names that stand for a control under another name.
const FIELD_ALIASES = { location: "address", lon: "address", lat: "address", photos: "photos", crs: "address" };

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("err-"));
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
  });
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
}

/** Put each error of a failed request next to its field; what has no field goes to the form's error line. */
export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector(".form-error") || form.appendChild(h("p.form-error", { role: "alert" }));
  if (!(error instanceof ApiError)) {
    general.textContent = String(error.message || error);
    return;
  }
  let placed = 0;
  for (const { field: name, detail } of error.errors) {
    const control = form.querySelector(`[name="${name}"]`) || form.querySelector(`[name="${FIELD_ALIASES[name]}"]`);
    if (!control) continue;
    const id = `err-${control.name}-${++fieldIds}`;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", `${control.getAttribute("aria-describedby") || ""} ${id}`.trim());
    const message = h("p.field-error", { id }, explain(detail));
    const wrap = control.closest(".field");
    if (wrap) wrap.append(message); else control.after(message);
    if (!placed++) control.focus();
  }
  general.textContent = placed ? "请改正标出的内容" : explain(error.message);
}

/** Run `work` with the form's submit buttons disabled: a double click sends once. */
export async function submitting(form, work) {
  const buttons = [...form.querySelectorAll("button")];
  if (form.dataset.busy) return undefined;
  form.dataset.busy = "1";
  buttons.forEach((b) => { b.disabled = true; });
  try {
    clearErrors(form);
    return await work();
  } catch (error) {
    showErrors(form, error);
    return undefined;
  } finally {
    delete form.dataset.busy;
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** Keep what is typed into `form` in localStorage under `key` until `forget()`; an Idempotency-Key
 *  made with the draft makes a resend of the same report return the first case. */
export function keepDraft(form, key) {
  const storeKey = `civicloop.draft.${key}`;
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch { saved = {}; }
  for (const [name, value] of Object.entries(saved.values || {})) {
    const control = form.elements[name];
    if (control && control.type !== "file") control.value = value;
  }
  const draft = { idempotencyKey: saved.idempotencyKey || crypto.randomUUID(), restored: Boolean(saved.values) };
  const save = () => {
    const values = {};
    for (const control of form.elements) {
      if (control.name && control.type !== "file" && control.type !== "submit") values[control.name] = control.value;
    }
    localStorage.setItem(storeKey, JSON.stringify({ values, idempotencyKey: draft.idempotencyKey }));
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  draft.save = save;
  draft.forget = () => {
    localStorage.removeItem(storeKey);
    draft.idempotencyKey = crypto.randomUUID();
  };
  return draft;
}

/** The form's filled-in fields as an object (empty ones left out), or as FormData when it carries files. */
export function formValues(form) {
  const values = {};
  for (const control of form.elements) {
    if (!control.name || control.type === "file" || control.type === "submit" || control.disabled) continue;
    if ((control.type === "radio" || control.type === "checkbox") && !control.checked) continue;
    if (control.value.trim() !== "") values[control.name] = control.value.trim();
  }
  return values;
}

// A phone's photo is often 3–8 MB: one larger than this is drawn again at most MAX_SIDE pixels
// wide or high as a JPEG before it is sent (a tenth of the bytes on a slow connection, and its
// EXIF, the place among it, left behind). A smaller or undrawable file goes as it is.
const LARGE_PHOTO = 1_500_000;
const MAX_SIDE = 2048;

async function smaller(file) {
  if (file.size <= LARGE_PHOTO || !file.type.startsWith("image/") || !window.createImageBitmap) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = h("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    return blob && blob.size < file.size ? new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }) : file;
  } catch {
    return file;
  }
}

/** The request body: JSON, or multipart when photos are chosen (large ones made smaller first). */
export async function withPhotos(values, fileInput) {
  const files = fileInput ? [...fileInput.files] : [];
  if (!files.length) return { json: values };
  const form = new FormData();
  for (const [k, v] of Object.entries(values)) form.append(k, v);
  for (const file of await Promise.all(files.map(smaller))) form.append("photos", file);
  return { form };
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getMonth() + 1}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const WARNING_LABELS = { green: "正常", yellow: "黄牌", red: "红牌" };
export function warningMark(c) {
  if (!c.warning || c.warning === "green") return null;
  return h(`span.mark.${c.warning}`, { title: c.overdue ? "已超期" : "将到期" }, WARNING_LABELS[c.warning]);
}

export function toast(message) {
  const el = h("div.toast", { role: "status" }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

/** Photos need the bearer token: fetch them and show object URLs. */
export async function photoThumbs(attachments) {
  const box = h("div.photos");
  for (const a of attachments) {
    if (!a.content_type.startsWith("image/")) {
      box.append(h("span", {}, a.filename));
      continue;
    }
    const img = h("img", { alt: `附件 ${a.filename}` });
    box.append(img);
    request(a.url.replace(/^https?:\/\/[^/]+/, ""), { raw: true })
      .then((r) => r.blob()).then((b) => { img.src = URL.createObjectURL(b); }).catch(() => { img.alt += "（载入失败）"; });
  }
  return box;
}

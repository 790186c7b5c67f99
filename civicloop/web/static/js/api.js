// The HTTP API from the pages: the sign-in kept in localStorage, problem details as ApiError.
const SESSION_KEY = "civicloop.session";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    // Every field at fault, one entry per field (RFC 9457 `field`, or civicloop's `errors`).
    this.errors = problem.errors || (problem.field ? [{ field: problem.field, detail: problem.detail }] : []);
  }
}

export function currentSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    return saved && new Date(saved.expires_at) > new Date() ? saved : null;
  } catch {
    return null;
  }
}

export function signOut() {
  const saved = currentSession();
  localStorage.removeItem(SESSION_KEY);
  if (saved) fetch("/api/v1/auth/revoke", { method: "POST", headers: { Authorization: `Bearer ${saved.token}` } });
}

export async function signIn(username, password) {
  const answer = await request("/api/v1/auth/token", {
    method: "POST", body: new URLSearchParams({ username, password }), anonymous: true,
  });
  const me = await request("/api/v1/auth/me", { token: answer.access_token });
  const saved = { token: answer.access_token, expires_at: answer.expires_at, ...me };
  localStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  return saved;
}

/** fetch with the bearer token; JSON bodies from `json`, multipart from `form`; the answer's JSON. */
export async function request(path, { method = "GET", json, form, body, query, headers = {}, token, anonymous = false,
  raw = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
  }
  const sent = { ...headers };
  const bearer = token || (!anonymous && currentSession()?.token);
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let answer;
  try {
    answer = await fetch(url, { method, headers: sent, body });
  } catch {
    throw new ApiError(0, { title: "offline", detail: "连不上服务器，请检查网络后重试（已填写的内容保留在本机）" });
  }
  if (answer.status === 401 && bearer && !anonymous) {
    localStorage.removeItem(SESSION_KEY);
    window.dispatchEvent(new CustomEvent("civicloop:signed-out"));
  }
  if (!answer.ok) {
    let problem = {};
    try { problem = await answer.json(); } catch { /* not JSON: the status says enough */ }
    throw new ApiError(answer.status, problem);
  }
  if (raw) return answer;
  return answer.status === 204 ? null : answer.json();
}

let openapi;
/** Whether the running server has an operation at this path (other parts of civicloop land over time). */
export async function hasPath(path) {
  openapi ||= fetch("/openapi.json").then((r) => r.json());
  return Boolean((await openapi).paths[path]);
}
export async function paths() {
  openapi ||= fetch("/openapi.json").then((r) => r.json());
  return (await openapi).paths;
}

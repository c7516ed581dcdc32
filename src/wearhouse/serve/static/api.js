// The bearer token and the query API: every fetch sends the token; errors become ApiError.

const TOKEN_KEY = "wearhouse.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value.trim());
  else localStorage.removeItem(TOKEN_KEY);
}

/** Take `#token=...` from the address bar into localStorage, and drop it from the address bar. */
export function adoptTokenFromUrl() {
  const match = location.hash.match(/(?:^#|[#&?])token=([^&]+)/);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  const rest = location.hash.replace(/[#&?]?token=[^&]+/, "").replace(/^#?&?/, "");
  history.replaceState(null, "", location.pathname + location.search + "#" + (rest || "/overview"));
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET a query API path (with params) as JSON; throws ApiError with the server's message. */
export async function get(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new ApiError(0, "unreachable", `the server does not answer (${error.message}): is wearhouse serve running?`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const code = body?.error || `http_${response.status}`;
    const message = body?.message || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, code, message);
  }
  return body;
}

/** Every item of a list endpoint, following `next` (at most `cap` rows). */
export async function all(path, params = {}, cap = 5000) {
  const first = await get(path, { ...params, limit: 1000 });
  const items = [...first.items];
  let next = first.next;
  while (next && items.length < cap) {
    const page = await get(next);
    items.push(...page.items);
    next = page.next;
  }
  return { items, total: first.total };
}

/** The WebSocket URL of the live feed, with the token as a query parameter. */
export function liveUrl(params = {}) {
  const url = new URL("/v1/live", location.origin);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token()) url.searchParams.set("token", token());
  for (const [key, value] of Object.entries(params)) if (value) url.searchParams.set(key, value);
  return url.toString();
}

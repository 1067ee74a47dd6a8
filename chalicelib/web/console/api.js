// The console's only way to the server: the documented API, on this origin. The session is an
// HttpOnly cookie the browser sends itself (this script never sees it); every call says it is the
// console (X-SafeSlot-Client), which the server requires of any call made with the cookie (ADR 0017).
const base = location.pathname.replace(/\/console$/, "");
let lastCall = Date.now();
const listeners = [];

export class ApiError extends Error {
  constructor(status, code, field) {
    super(code || "error");
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function onCall(listener) {
  listeners.push(listener);
}

export function lastCallAt() {
  return lastCall;
}

export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", cache: "no-store",
                 headers: { "X-SafeSlot-Client": "console", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(base + path, init);
  } catch {
    throw new ApiError(0, "network");
  }
  lastCall = Date.now();
  listeners.forEach((listener) => listener(response.status));
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code, error.field);
  }
  if (response.status === 204) return null;
  return response.json();
}

// The public booking API (v1) as the page uses it: JSON in, JSON or RFC 9457 problems out.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request never got an answer
   * @param {{title?: string, detail?: string, code?: string, errors?: {field: string, detail: string}[]}} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export class Api {
  /** @param {string} key partner API key */
  constructor(key) {
    this.key = key;
    this.bookingToken = "";
  }

  /**
   * @param {string} method
   * @param {string} path e.g. "/v1/session-types"
   * @param {{query?: Record<string, string|number|undefined>, body?: unknown, idempotencyKey?: string, manage?: boolean, headers?: Record<string, string>}} [options]
   */
  async request(method, path, options = {}) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(options.query || {})) {
      if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
    }
    const headers = { Accept: "application/json, application/problem+json", "X-Api-Key": this.key };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    if (options.manage) headers["X-Booking-Token"] = this.bookingToken;
    Object.assign(headers, options.headers || {});
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, {
        title: "No connection",
        detail: "The booking service could not be reached. Check your connection and try again.",
        code: "NETWORK",
      });
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const problem = data && typeof data === "object" ? data : { title: response.statusText || `HTTP ${response.status}` };
      if (response.status === 429 || response.status === 409) {
        problem.retryAfter = Number(response.headers.get("Retry-After") || "0");
      }
      throw new ApiError(response.status, problem);
    }
    return data;
  }

  /** Every page of a list route, concatenated (bounded). */
  async listAll(path, field, query = {}) {
    const items = [];
    let token = "";
    let first = null;
    for (let i = 0; i < 50; i += 1) {
      const page = await this.request("GET", path, { query: { ...query, page_size: 100, page_token: token } });
      if (first === null) first = page;
      items.push(...(page[field] || []));
      token = page.next_page_token || "";
      if (!token) break;
    }
    return { first: first || {}, items };
  }

  types(kind) {
    return this.listAll(`/v1/${kind}`, "types").then((r) => r.items);
  }

  type(kind, id) {
    return this.request("GET", `/v1/${kind}/${encodeURIComponent(id)}`);
  }

  /** The studio: name, address, brand colour and logo (GET /v1/studio). */
  studio() {
    return this.request("GET", "/v1/studio");
  }

  locations() {
    return this.listAll("/v1/locations", "locations").then((r) => r.items);
  }

  /** Open slots of a type between two dates (inclusive) in the visitor's time zone. */
  openSlots(kind, id, startDate, endDate, timeZone, location = "") {
    return this.listAll(`/v1/${kind}/${encodeURIComponent(id)}/open-slots`, "slots", {
      start_date: startDate,
      end_date: endDate,
      time_zone: timeZone,
      location,
    }).then((r) => r.items);
  }

  /** The booking as an .ics file (a Blob), read with the manage token. */
  async calendarFile(id) {
    const url = new URL(`/v1/bookings/${encodeURIComponent(id)}/calendar.ics`, window.location.origin);
    const response = await fetch(url, {
      headers: { "X-Api-Key": this.key, "X-Booking-Token": this.bookingToken },
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) throw new ApiError(response.status, { title: "The calendar file could not be made" });
    return response.blob();
  }

  book(body, idempotencyKey) {
    return this.request("POST", "/v1/bookings", { body, idempotencyKey });
  }

  booking(id) {
    return this.request("GET", `/v1/bookings/${encodeURIComponent(id)}`, { manage: true });
  }

  reschedule(id, slotId, idempotencyKey) {
    return this.request("POST", `/v1/bookings/${encodeURIComponent(id)}/reschedule`, {
      body: { slot_id: slotId },
      idempotencyKey,
      manage: true,
    });
  }

  cancel(id, idempotencyKey) {
    return this.request("POST", `/v1/bookings/${encodeURIComponent(id)}/cancel`, {
      body: {},
      idempotencyKey,
      manage: true,
    });
  }
}

/**
 * One Idempotency-Key per attempt: the same request body reuses the key (a retry or a double
 * click books once; the gateway replays the first answer), a changed body gets a new one (the
 * gateway refuses a reused key with a different body).
 */
export class Attempt {
  constructor() {
    this.body = "";
    this.key = "";
  }

  keyFor(body) {
    const text = JSON.stringify(body);
    if (text !== this.body || !this.key) {
      this.body = text;
      this.key = newKey();
    }
    return this.key;
  }
}

function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  // randomUUID needs a secure context; plain-http development hosts other than localhost lack it
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

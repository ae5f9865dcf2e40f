// DOM building and formatting helpers. Everything goes through textContent/attributes, never
// innerHTML, so data from the API can never become markup.

/**
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs] `class`, `text`, `on<event>` handlers, other attributes
 * @param {...(Node|string|number|null|undefined|false|Array<unknown>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = String(value);
    else if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let idCounter = 0;
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** The visitor's IANA time zone (what the open slots are asked and shown in). */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** YYYY-MM-DD of an instant in a time zone. */
export function dateIn(instant, timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(instant);
  const get = (type) => parts.find((p) => p.type === type)?.value || "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** A YYYY-MM-DD date moved by whole days. */
export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const moved = new Date(Date.UTC(y, m - 1, d + days, 12));
  return moved.toISOString().slice(0, 10);
}

/** "Tuesday, December 1, 2026" for a YYYY-MM-DD date (a calendar date, no zone involved). */
export function formatDay(isoDate, options = { weekday: "long", month: "long", day: "numeric", year: "numeric" }) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { ...options, timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/** "9:00 AM" of an instant in a time zone. */
export function formatTime(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone }).format(new Date(iso));
}

/** The zone's short name at an instant, e.g. "CST", or "GMT+1" where there is no abbreviation. */
export function zoneAbbreviation(iso, timeZone) {
  const parts = new Intl.DateTimeFormat(undefined, { timeZone, timeZoneName: "short" }).formatToParts(new Date(iso));
  return parts.find((p) => p.type === "timeZoneName")?.value || timeZone;
}

/** "America/Chicago" -> "America/Chicago (CST)". */
export function zoneLabel(timeZone, iso = new Date().toISOString()) {
  const short = zoneAbbreviation(iso, timeZone);
  return short && short !== timeZone ? `${timeZone.replaceAll("_", " ")} (${short})` : timeZone.replaceAll("_", " ");
}

/** Money {amount_minor, currency_code} in the visitor's locale. */
export function formatMoney(money) {
  if (!money || !money.currency_code) return "";
  try {
    const fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: money.currency_code });
    const digits = fmt.resolvedOptions().maximumFractionDigits;
    return fmt.format(Number(money.amount_minor) / 10 ** digits);
  } catch {
    return `${(Number(money.amount_minor) / 100).toFixed(2)} ${money.currency_code}`;
  }
}

export function formatDuration(minutes) {
  const m = Number(minutes) || 0;
  if (m < 60) return `${m} minutes`;
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  const hourText = hours === 1 ? "1 hour" : `${hours} hours`;
  return rest ? `${hourText} ${rest} minutes` : hourText;
}

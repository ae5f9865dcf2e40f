// The public booking page: type -> day -> slot -> details -> pay -> confirmation, and the manage
// page (view, reschedule, cancel). Plain DOM, no framework, no build step.
//
// URLs (served by the gateway, see api/pages.py):
//   /book?key=K                                 every online type
//   /book/session-types/ID?key=K                type selection skipped
//   /book/appointment-types/ID?key=K
//   /book/manage/BOOKING_ID?key=K#token=T       the booking's manage token stays in the fragment

import { Api, ApiError, Attempt } from "./api.js";
import {
  addDays,
  browserTimeZone,
  dateIn,
  formatDay,
  formatDuration,
  formatMoney,
  formatTime,
  h,
  uid,
  zoneAbbreviation,
  zoneLabel,
} from "./dom.js";
import { calendarLinks, cancellationOutcome, policyNote, priceBreakdown } from "./info.js";

const WINDOW_DAYS = 28; // open slots are asked for 28 days at a time (the API allows up to 32)
const KINDS = { session: "session-types", appointment: "appointment-types" };
const RELATIONSHIPS = ["child", "spouse", "partner", "parent", "sibling", "other"];

const app = /** @type {HTMLElement} */ (document.getElementById("app"));
const statusEl = /** @type {HTMLElement} */ (document.getElementById("status"));
const params = new URLSearchParams(window.location.search);

const state = {
  key: params.get("key") || "",
  timeZone: browserTimeZone(),
  api: /** @type {Api} */ (null),
  fixedType: /** @type {{kind: string, id: string} | null} */ (null),
  types: /** @type {any[]} */ ([]),
  type: /** @type {any} */ (null),
  locations: /** @type {Map<string, any>} */ (new Map()),
  location: "", // the chosen location's id ("" while not chosen; the only one when there is one)
  windowStart: "",
  slots: /** @type {any[]} */ ([]),
  day: "",
  slot: /** @type {any} */ (null),
  details: {
    given_name: "",
    family_name: "",
    email: "",
    phone: "",
    notes: "",
    promo_code: "",
    participants: /** @type {{given_name: string, family_name: string, relationship: string}[]} */ ([]),
  },
  paymentToken: "tok_sandbox_ok",
  attempt: new Attempt(),
  busy: false,
  // manage mode
  bookingId: "",
  booking: /** @type {any} */ (null),
  manageUrl: "",
  studioName: "", // the studio's name once GET /v1/studio answered (page titles)
};

// ---------------------------------------------------------------------------------------------
// Steps: one <section> at a time in <main>; its heading takes the focus when the visitor moves on.

function setStatus(text) {
  statusEl.textContent = text;
}

/**
 * @param {HTMLElement} section
 * @param {{focus?: boolean, title?: string}} [options]
 */
function show(section, options = {}) {
  app.replaceChildren(section);
  document.title = `${options.title || section.querySelector("h2")?.textContent || "Book"} – ${state.studioName || "Book online"}`;
  if (options.focus !== false) {
    const heading = section.querySelector("h2");
    if (heading) heading.focus();
  }
  reportHeight();
}

function step(name, title, ...children) {
  const headingId = uid("heading");
  return h(
    "section",
    { class: `step step-${name}`, "aria-labelledby": headingId, "data-step": name },
    h("h2", { id: headingId, tabindex: "-1", text: title }),
    ...children,
  );
}

function button(text, onclick, attrs = {}) {
  return h("button", { type: "button", class: "button", onclick, ...attrs }, text);
}

function alertBox(title, detail, extra = []) {
  return h(
    "div",
    { class: "alert", role: "alert" },
    h("p", { class: "alert-title" }, title),
    detail ? h("p", { class: "alert-detail" }, detail) : null,
    extra.length ? h("ul", {}, extra.map((e) => h("li", {}, e))) : null,
  );
}

// HTTP reason phrases say nothing a visitor can act on: the step's own wording replaces them.
const GENERIC = new Set(
  [
    "bad request",
    "unauthorized",
    "payment required",
    "forbidden",
    "not found",
    "conflict",
    "unprocessable content",
    "unprocessable entity",
    "too many requests",
    "internal server error",
    "internal error",
    "bad gateway",
    "service unavailable",
  ],
);

// messages written for developers (schema validation), not for visitors
const TECHNICAL = /regex|Expected `|Validation failed for|msgspec|\$\./;

function sentence(text) {
  const t = String(text || "").trim();
  return t ? t[0].toUpperCase() + t.slice(1) : "";
}

/** A problem from the API as an alert, with per-field errors placed beside their fields. */
function showProblem(section, err, fallbackTitle = "Something went wrong") {
  const problem = err instanceof ApiError ? err.problem : { title: fallbackTitle, detail: String(err) };
  const unplaced = err instanceof ApiError ? placeFieldErrors(section, err.errors) : [];
  const placed = err instanceof ApiError && err.errors.length > unplaced.length;
  const useful = (text) =>
    text && !GENERIC.has(String(text).trim().toLowerCase()) && !TECHNICAL.test(String(text)) ? sentence(text) : "";
  let title = useful(problem.title);
  let detail = useful(problem.detail);
  if (placed && (!title || /not valid|invalid/i.test(title))) title = "Please check the highlighted fields";
  if (!title) {
    title = detail || fallbackTitle;
    detail = detail && detail !== title ? detail : "";
  }
  if (detail === title) detail = "";
  const alert = alertBox(title, detail, unplaced);
  section.querySelector(".alert")?.remove();
  section.querySelector("h2")?.after(alert);
  reportHeight();
  return alert;
}

function normalizeField(field) {
  return String(field || "")
    .replace(/^\$\./, "")
    .replace(/^body\./, "")
    .replace(/^booking\./, "");
}

/** Puts each error next to the input whose data-field names it; returns the ones without a field. */
function placeFieldErrors(section, errors) {
  for (const old of section.querySelectorAll(".field-error")) old.remove();
  for (const input of section.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  const unplaced = [];
  const inputs = Array.from(section.querySelectorAll("[data-field]"));
  for (const error of errors) {
    const field = normalizeField(error.field);
    const input = inputs.find((el) =>
      (el.getAttribute("data-field") || "")
        .split(" ")
        .some((a) => a === field || field.startsWith(`${a}[`) || field.startsWith(`${a}.`) || a.startsWith(`${field}.`)),
    );
    if (!input) {
      unplaced.push(error.field ? `${error.field}: ${error.detail}` : error.detail);
      continue;
    }
    markInvalid(input, error.detail);
  }
  return unplaced;
}

function markInvalid(input, message) {
  const errorId = `${input.id}-error`;
  let note = document.getElementById(errorId);
  if (!note) {
    note = h("p", { id: errorId, class: "field-error" });
    const holder = input.closest(".field");
    if (holder) holder.append(note);
    else input.after(note);
  }
  // a schema message ("Expected `str` matching regex ...") becomes the field's own plain wording
  note.textContent = TECHNICAL.test(message) || !message ? input.dataset.invalid || "Check this field." : message;
  input.setAttribute("aria-invalid", "true");
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!described.includes(errorId)) described.push(errorId);
  input.setAttribute("aria-describedby", described.join(" "));
}

function fatal(title, detail, extra = null) {
  show(step("error", title, h("p", {}, detail), extra), { focus: false });
  setStatus("");
}

/** Runs a button's action once at a time: the button is disabled while the request is in flight. */
async function busy(buttonEl, label, action) {
  if (state.busy) return;
  state.busy = true;
  const original = buttonEl ? buttonEl.textContent : "";
  if (buttonEl) {
    buttonEl.disabled = true;
    buttonEl.setAttribute("aria-busy", "true");
    buttonEl.textContent = label;
  }
  setStatus(label);
  try {
    await action();
  } finally {
    state.busy = false;
    if (statusEl.textContent === label) setStatus(""); // errors are announced by their role=alert box
    if (buttonEl && buttonEl.isConnected) {
      buttonEl.disabled = false;
      buttonEl.removeAttribute("aria-busy");
      buttonEl.textContent = original;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Embedding: tell the parent page (embed.js) how tall the page is.

const embedded = window.parent !== window;

function reportHeight() {
  if (!embedded) return;
  // the body's own height, not the document's scroll height (which never drops below the frame's)
  const height = Math.ceil(document.body.getBoundingClientRect().height);
  // only a height is sent, so any parent may read it; embed.js checks the message comes from its iframe
  window.parent.postMessage({ type: "shutterbook:height", height }, "*");
}

if (embedded) {
  document.documentElement.classList.add("embedded");
  if ("ResizeObserver" in window) new ResizeObserver(() => reportHeight()).observe(document.body);
  window.addEventListener("load", reportHeight);
}

// ---------------------------------------------------------------------------------------------
// Types

function typeKind(type) {
  return type.kind === "appointment" ? "appointment-types" : "session-types";
}

function priceText(type) {
  if (type.price) return `${formatMoney(type.price.total)} incl. tax`;
  return type.display_price ? formatMoney(type.display_price) : "";
}

function typeCard(type, inputAttrs) {
  const nameId = uid("type-name");
  const descId = uid("type-desc");
  const price = priceText(type);
  return h(
    "label",
    { class: "card choice" },
    h("input", { type: "radio", ...inputAttrs, "aria-describedby": descId }),
    h(
      "span",
      { class: "card-body" },
      type.marketing_image_url
        ? h("img", { class: "card-image", src: type.marketing_image_url, alt: "", loading: "lazy" })
        : null,
      h("span", { class: "card-title", id: nameId }, type.name),
      h(
        "span",
        { class: "card-meta", id: descId },
        [formatDuration(type.duration_minutes), price].filter(Boolean).join(" · "),
        type.marketing_description ? h("span", { class: "card-description" }, type.marketing_description) : null,
      ),
    ),
  );
}

async function startBooking() {
  const match = window.location.pathname.match(/^\/book\/(session-types|appointment-types)\/([^/]+)\/?$/);
  if (match) {
    state.fixedType = { kind: match[1], id: decodeURIComponent(match[2]) };
    setStatus("Loading…");
    try {
      state.type = await state.api.type(state.fixedType.kind, state.fixedType.id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        const all = new URL("/book", window.location.origin);
        all.searchParams.set("key", state.key);
        fatal(
          "This booking link is no longer available",
          "The session or appointment type is not offered online any more.",
          h("p", {}, h("a", { href: all.pathname + all.search }, "See everything you can book")),
        );
        return;
      }
      throw err;
    }
    await loadLocations();
    await showDays({ focus: false });
    return;
  }
  setStatus("Loading…");
  const [sessions, appointments] = await Promise.all([state.api.types("session-types"), state.api.types("appointment-types")]);
  state.types = [...sessions, ...appointments];
  await loadLocations();
  showTypes({ focus: false });
}

async function loadLocations() {
  try {
    for (const location of await state.api.locations()) state.locations.set(location.id, location);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    // names of locations are a nicety; the slots still work without them
  }
}

function showTypes(options = {}) {
  const form = h("form", { class: "stack", novalidate: true });
  const groups = [
    ["Sessions", state.types.filter((t) => t.kind !== "appointment")],
    ["Appointments", state.types.filter((t) => t.kind === "appointment")],
  ].filter(([, list]) => list.length);
  if (!groups.length) {
    show(step("types", "Choose what to book", h("p", {}, "Nothing can be booked online right now.")), options);
    setStatus("");
    return;
  }
  for (const [legend, list] of groups) {
    form.append(
      h(
        "fieldset",
        { class: "choices" },
        h("legend", {}, legend),
        list.map((type) =>
          typeCard(type, {
            name: "type",
            value: `${typeKind(type)}/${type.id}`,
            checked: state.type && state.type.id === type.id,
            required: true,
          }),
        ),
      ),
    );
  }
  const section = step("types", "Choose what to book", form);
  form.append(h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, "Continue")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement|null} */ (form.querySelector("input[name=type]:checked"));
    if (!chosen) {
      showProblem(section, new ApiError(0, { title: "Choose a session or appointment type first." }));
      return;
    }
    const type = state.types.find((t) => `${typeKind(t)}/${t.id}` === chosen.value);
    if (state.type?.id !== type.id) {
      state.windowStart = "";
      state.day = "";
      state.slot = null;
    }
    state.type = type;
    await showDays();
  });
  show(section, options);
  setStatus("");
}

// ---------------------------------------------------------------------------------------------
// Day and slot

function today() {
  return dateIn(new Date(), state.timeZone);
}

async function loadSlots(kind, id) {
  if (!state.windowStart) state.windowStart = today();
  const end = addDays(state.windowStart, WINDOW_DAYS - 1);
  setStatus("Loading open times…");
  const location = state.booking ? state.booking.location.id : state.location;
  state.slots = await state.api.openSlots(kind, id, state.windowStart, end, state.timeZone, location);
  state.slots.sort((a, b) => a.start_time.localeCompare(b.start_time));
}

/** The slot's date in the visitor's zone (the API's local_date, computed here too for safety). */
function slotDate(slot) {
  return dateIn(new Date(slot.start_time), state.timeZone);
}

function slotsByDay() {
  const days = new Map();
  for (const slot of state.slots) {
    const day = slotDate(slot);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(slot);
  }
  return days;
}

function typeSummary(type) {
  const price = priceText(type);
  return h(
    "p",
    { class: "summary" },
    h("strong", {}, type.name),
    ` · ${formatDuration(type.duration_minutes)}`,
    price ? ` · ${price}` : "",
  );
}

/** Location step, when the studio has several: the customer picks one before any times show. */
function showLocations(options = {}) {
  const form = h("form", { class: "stack", novalidate: true });
  form.append(
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "Studio locations"),
      Array.from(state.locations.values()).map((loc) =>
        h(
          "label",
          { class: "card choice compact" },
          h("input", { type: "radio", name: "location", value: loc.id, checked: loc.id === state.location, required: true }),
          h(
            "span",
            { class: "card-body" },
            h("span", { class: "card-title" }, loc.name),
            loc.address?.text ? h("span", { class: "card-meta" }, loc.address.text) : null,
          ),
        ),
      ),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, "Continue")),
  );
  const back = state.fixedType ? null : button("Back", () => showTypes());
  if (back) form.append(h("div", { class: "actions secondary" }, back));
  const section = step("locations", "Choose a location", typeSummary(state.type), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement|null} */ (form.querySelector("input[name=location]:checked"));
    if (!chosen) {
      showProblem(section, new ApiError(0, { title: "Choose a location first." }));
      return;
    }
    if (state.location !== chosen.value) {
      state.windowStart = "";
      state.day = "";
      state.slot = null;
    }
    state.location = chosen.value;
    await showDays();
  });
  show(section, options);
  setStatus(`${state.locations.size} locations.`);
}

function needsLocation() {
  if (state.booking || state.location) return false;
  if (state.locations.size === 1) {
    state.location = Array.from(state.locations.keys())[0];
    return false;
  }
  return state.locations.size > 1;
}

/** Day step. In manage mode (`reschedule`) the type is the booking's and the slot moves the booking. */
async function showDays(options = {}, alert = null) {
  const type = state.type;
  if (needsLocation()) {
    showLocations(options);
    return;
  }
  await loadSlots(typeKind(type), type.id);
  const days = slotsByDay();
  const end = addDays(state.windowStart, WINDOW_DAYS - 1);
  const form = h("form", { class: "stack", novalidate: true });
  const section = step(
    "days",
    state.booking ? "Choose a new day" : "Choose a day",
    typeSummary(type),
    state.location && state.locations.size > 1 && !state.booking
      ? h("p", { class: "chosen-location" }, `At ${locationName(state.location)}`)
      : null,
    type.marketing_description && !state.booking ? h("p", { class: "description" }, type.marketing_description) : null,
    type.marketing_image_url && !state.booking
      ? h("img", { class: "hero-image", src: type.marketing_image_url, alt: `${type.name}` })
      : null,
    form,
  );
  const range = `${formatDay(state.windowStart, { month: "long", day: "numeric" })} – ${formatDay(end, {
    month: "long",
    day: "numeric",
    year: "numeric",
  })}`;
  if (days.size) {
    form.append(
      h(
        "fieldset",
        { class: "choices days" },
        h("legend", {}, `Days with open times, ${range}`),
        Array.from(days.entries()).map(([day, list]) =>
          h(
            "label",
            { class: "card choice compact" },
            h("input", { type: "radio", name: "day", value: day, checked: day === state.day, required: true }),
            h(
              "span",
              { class: "card-body" },
              h("span", { class: "card-title" }, formatDay(day, { weekday: "long", month: "long", day: "numeric" })),
              h("span", { class: "card-meta" }, list.length === 1 ? "1 open time" : `${list.length} open times`),
            ),
          ),
        ),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, "Continue")),
    );
  } else {
    form.append(h("p", { class: "empty" }, `No open times between ${range}.`));
  }
  const earlier = button("Earlier dates", async () => {
    state.windowStart = addDays(state.windowStart, -WINDOW_DAYS);
    if (state.windowStart < today()) state.windowStart = today();
    await showDays();
  });
  if (state.windowStart <= today()) earlier.disabled = true;
  const nav = h(
    "div",
    { class: "actions secondary" },
    earlier,
    button("Later dates", async () => {
      state.windowStart = addDays(state.windowStart, WINDOW_DAYS);
      await showDays();
    }),
    backButton(),
  );
  form.append(nav);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement|null} */ (form.querySelector("input[name=day]:checked"));
    if (!chosen) {
      showProblem(section, new ApiError(0, { title: "Choose a day first." }));
      return;
    }
    if (state.day !== chosen.value) state.slot = null;
    state.day = chosen.value;
    showSlots();
  });
  show(section, options);
  if (alert) showProblem(section, alert);
  setStatus(
    days.size === 1
      ? "1 day with open times."
      : days.size
        ? `${days.size} days with open times.`
        : "No open times in these dates.",
  );
}

function backButton() {
  if (state.booking) return button("Back to my booking", () => showManage());
  if (state.locations.size > 1) {
    return button("Other locations", () => {
      state.location = "";
      showDays();
    });
  }
  if (state.fixedType) return null;
  return button("Back", () => showTypes());
}

function locationName(id) {
  return state.locations.get(id)?.name || "";
}

function locationAddress(id) {
  return state.locations.get(id)?.address?.text || "";
}

function slotLabel(slot) {
  return `${formatTime(slot.start_time, state.timeZone)} – ${formatTime(slot.end_time, state.timeZone)}`;
}

function showSlots(options = {}, alert = null) {
  const list = slotsByDay().get(state.day) || [];
  if (!list.length) {
    showDays(options, alert);
    return;
  }
  const byLocation = new Map();
  for (const slot of list) {
    if (!byLocation.has(slot.location_id)) byLocation.set(slot.location_id, []);
    byLocation.get(slot.location_id).push(slot);
  }
  const zone = zoneLabel(state.timeZone, list[0].start_time);
  const form = h("form", { class: "stack", novalidate: true });
  const section = step(
    "slots",
    `Choose a time on ${formatDay(state.day, { weekday: "long", month: "long", day: "numeric" })}`,
    typeSummary(state.type),
    h("p", { class: "hint" }, `Times are shown in your time zone, ${zone}.`),
    form,
  );
  for (const [locationId, slots] of byLocation) {
    const name = locationName(locationId);
    const address = locationAddress(locationId);
    form.append(
      h(
        "fieldset",
        { class: "choices slots" },
        h("legend", {}, name || "Open times", address ? h("span", { class: "legend-note" }, address) : null),
        slots.map((slot) =>
          h(
            "label",
            { class: "card choice compact slot" },
            h("input", {
              type: "radio",
              name: "slot",
              value: slot.id,
              checked: state.slot?.id === slot.id,
              required: true,
            }),
            h(
              "span",
              { class: "card-body" },
              h("span", { class: "card-title" }, slotLabel(slot)),
              slot.location_time_zone && slot.location_time_zone !== state.timeZone
                ? h(
                    "span",
                    { class: "card-meta" },
                    `${formatTime(slot.start_time, slot.location_time_zone)} ${zoneAbbreviation(
                      slot.start_time,
                      slot.location_time_zone,
                    )} at the studio`,
                  )
                : null,
            ),
          ),
        ),
      ),
    );
  }
  const submit = h(
    "button",
    { type: "submit", class: "button primary" },
    state.booking ? "Move my booking to this time" : "Continue",
  );
  form.append(
    h("div", { class: "actions" }, submit),
    h("div", { class: "actions secondary" }, button("Choose another day", () => showDays())),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = /** @type {HTMLInputElement|null} */ (form.querySelector("input[name=slot]:checked"));
    if (!chosen) {
      showProblem(section, new ApiError(0, { title: "Choose a time first." }));
      return;
    }
    state.slot = list.find((s) => s.id === chosen.value);
    if (state.booking) {
      await busy(submit, "Moving your booking…", () => reschedule(section));
      return;
    }
    showDetails();
  });
  show(section, options);
  if (alert) showProblem(section, alert);
  setStatus(list.length === 1 ? "1 open time." : `${list.length} open times.`);
}

// ---------------------------------------------------------------------------------------------
// Details

function field(label, input, hint = "") {
  const hintId = hint ? `${input.id}-hint` : "";
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: input.id }, label, input.hasAttribute("required") ? h("span", { class: "required" }, " (required)") : null),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    input,
  );
}

function textInput(id, name, value, attrs = {}) {
  return h("input", { id, name, value, type: "text", ...attrs });
}

function selectedSummary() {
  const slot = state.slot;
  return h(
    "div",
    { class: "summary card" },
    h("p", { class: "card-title" }, state.type.name),
    h(
      "p",
      {},
      formatDay(slotDate(slot), { weekday: "long", month: "long", day: "numeric" }),
      `, ${slotLabel(slot)} ${zoneAbbreviation(slot.start_time, state.timeZone)}`,
    ),
    locationName(slot.location_id) ? h("p", {}, locationName(slot.location_id)) : null,
    priceBreakdown(state.type),
    policyNote(state.type.cancellation_policy),
  );
}

function participantRow(index, person) {
  const base = `participant-${index}`;
  const relationship = h(
    "select",
    { id: `${base}-relationship`, name: "relationship", "data-field": `participants[${index}].relationship` },
    RELATIONSHIPS.map((r) => h("option", { value: r, selected: r === person.relationship }, r[0].toUpperCase() + r.slice(1))),
  );
  return h(
    "fieldset",
    { class: "participant", "data-index": String(index) },
    h("legend", {}, `Person ${index + 1}`),
    field(
      "First name",
      textInput(`${base}-given`, "given_name", person.given_name, {
        autocomplete: "off",
        "data-field": `participants[${index}].given_name participants[${index}]`,
        "data-invalid": "Enter a first name.",
      }),
    ),
    field(
      "Last name",
      textInput(`${base}-family`, "family_name", person.family_name, {
        autocomplete: "off",
        "data-field": `participants[${index}].family_name`,
        "data-invalid": "Enter a last name (up to 100 characters).",
      }),
    ),
    field("Relationship to you", relationship),
    button(`Remove person ${index + 1}`, () => {
      readDetails();
      state.details.participants.splice(index, 1);
      showDetails();
      document.getElementById("add-participant")?.focus();
    }),
  );
}

function readDetails() {
  const form = /** @type {HTMLFormElement|null} */ (app.querySelector("form.details"));
  if (!form) return;
  const value = (name) => /** @type {HTMLInputElement|null} */ (form.querySelector(`#${name}`))?.value.trim() || "";
  state.details.given_name = value("given-name");
  state.details.family_name = value("family-name");
  state.details.email = value("email");
  state.details.phone = value("phone");
  state.details.notes = value("notes");
  state.details.promo_code = value("promo-code");
  state.details.participants = Array.from(form.querySelectorAll("fieldset.participant")).map((row) => ({
    given_name: /** @type {HTMLInputElement} */ (row.querySelector("[name=given_name]")).value.trim(),
    family_name: /** @type {HTMLInputElement} */ (row.querySelector("[name=family_name]")).value.trim(),
    relationship: /** @type {HTMLSelectElement} */ (row.querySelector("[name=relationship]")).value,
  }));
}

function showDetails(options = {}, problem = null) {
  const d = state.details;
  const type = state.type;
  const form = h("form", { class: "stack details", novalidate: true });
  form.append(
    field(
      "First name",
      textInput("given-name", "given_name", d.given_name, {
        required: true,
        autocomplete: "given-name",
        "data-field": "client.given_name",
        "data-invalid": "Enter your first name (up to 100 characters).",
      }),
    ),
    field(
      "Last name",
      textInput("family-name", "family_name", d.family_name, {
        autocomplete: "family-name",
        "data-field": "client.family_name",
        "data-invalid": "Enter your last name (up to 100 characters).",
      }),
    ),
    field(
      "Email",
      h("input", {
        id: "email",
        name: "email",
        type: "email",
        value: d.email,
        required: true,
        autocomplete: "email",
        "data-field": "client.email client.emails",
        "data-invalid": "Enter an email address like name@example.com.",
      }),
      "We send the confirmation here.",
    ),
    field(
      "Phone",
      h("input", {
        id: "phone",
        name: "phone",
        type: "tel",
        value: d.phone,
        autocomplete: "tel",
        "data-field": "client.phone client.phones",
        "data-invalid": "Enter the number with its country code, for example +1 555 123 4567.",
      }),
      "Optional. With the country code, for example +1 555 123 4567.",
    ),
  );
  if (type.kind === "session") {
    const people = h(
      "fieldset",
      { class: "participants" },
      h("legend", {}, "Who else is in the session?"),
      h("p", { class: "hint" }, "Optional. Add family members or others being photographed with you."),
      d.participants.map((person, index) => participantRow(index, person)),
      button("Add a person", () => {
        readDetails();
        d.participants.push({ given_name: "", family_name: "", relationship: "child" });
        showDetails({ focus: false });
        document.getElementById(`participant-${d.participants.length - 1}-given`)?.focus();
      }, { id: "add-participant" }),
    );
    form.append(people);
  }
  form.append(
    field(
      "Notes for the studio",
      h("textarea", { id: "notes", name: "notes", rows: "3", "data-field": "notes description", "data-invalid": "Keep the notes under 1000 characters." }, d.notes),
      "Optional.",
    ),
  );
  if (type.payment?.accepts_promo_code) {
    form.append(
      field(
        "Promo code",
        textInput("promo-code", "promo_code", d.promo_code, {
          autocomplete: "off",
          "data-field": "promo_code",
          "data-invalid": "This promo code is not valid.",
        }),
        "Optional.",
      ),
    );
  }
  const needsPayment = Boolean(type.payment?.required);
  const submit = h("button", { type: "submit", class: "button primary" }, needsPayment ? "Continue to payment" : "Book now");
  form.append(
    h("div", { class: "actions" }, submit),
    h(
      "div",
      { class: "actions secondary" },
      button("Back", () => {
        readDetails();
        showSlots();
      }),
    ),
  );
  const section = step("details", "Your details", selectedSummary(), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    readDetails();
    const missing = [];
    if (!state.details.given_name) missing.push({ field: "client.given_name", detail: "Enter your first name." });
    if (!state.details.email) missing.push({ field: "client.email", detail: "Enter your email address." });
    else if (!/^[^\s@]+@[^\s@]+$/.test(state.details.email))
      missing.push({ field: "client.email", detail: "Enter an email address like name@example.com." });
    state.details.participants.forEach((p, i) => {
      if (!p.given_name) missing.push({ field: `participants[${i}].given_name`, detail: "Enter a first name." });
    });
    if (missing.length) {
      showProblem(section, new ApiError(0, { title: "Check the highlighted fields.", errors: missing }));
      /** @type {HTMLElement|null} */ (section.querySelector("[aria-invalid=true]"))?.focus();
      return;
    }
    if (needsPayment) {
      showPay();
      return;
    }
    await busy(submit, "Booking…", () => submitBooking(section));
  });
  show(section, options);
  if (problem) {
    showProblem(section, problem, "Check your details");
    /** @type {HTMLElement|null} */ (section.querySelector("[aria-invalid=true]"))?.focus();
  }
  setStatus("");
}

// ---------------------------------------------------------------------------------------------
// Payment

function paymentExplanation(payment) {
  const amount = payment.amount ? formatMoney(payment.amount) : "";
  switch (payment.option) {
    case "invoice_listed_price":
      return `${amount} is paid now and applied to your invoice.`;
    case "invoice_full_amount":
      return "The full invoice amount is paid now (after any promo code).";
    case "customer_deposit":
      return `A deposit of ${amount} is paid now and credited to your account.`;
    default:
      return "A payment is taken now.";
  }
}

function showPay(options = {}, problem = null) {
  const payment = state.type.payment;
  const form = h("form", { class: "stack pay", novalidate: true });
  // Sandbox payment: the select produces the provider's one-time token. A real provider's card
  // element (for example a hosted card field in an iframe) replaces this select and hands the page
  // its token; the card number never touches this page or the gateway.
  const token = h(
    "select",
    { id: "payment-token", name: "payment_token", "data-field": "payment_token payment" },
    h("option", { value: "tok_sandbox_ok", selected: state.paymentToken === "tok_sandbox_ok" }, "Test card: approved"),
    h(
      "option",
      { value: "tok_sandbox_declined", selected: state.paymentToken === "tok_sandbox_declined" },
      "Test card: declined",
    ),
  );
  const submit = h("button", { type: "submit", class: "button primary" }, "Pay and book");
  form.append(
    h(
      "div",
      { class: "card" },
      h("p", { class: "card-title" }, payment.amount ? `To pay now: ${formatMoney(payment.amount)}` : "Payment"),
      h("p", {}, paymentExplanation(payment)),
      state.details.promo_code ? h("p", {}, `Promo code: ${state.details.promo_code}`) : null,
    ),
    field("Card (sandbox)", token, "This studio takes test payments only; no real card is charged."),
    h("div", { class: "actions" }, submit),
    h("div", { class: "actions secondary" }, button("Back to your details", () => showDetails())),
  );
  const section = step("pay", "Payment", selectedSummary(), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.paymentToken = token.value;
    await busy(submit, "Paying and booking…", () => submitBooking(section));
  });
  show(section, options);
  setStatus("");
  if (problem) bookingFailed(section, problem);
}

// ---------------------------------------------------------------------------------------------
// Booking

function bookingBody() {
  const d = state.details;
  const body = {
    slot_id: state.slot.id,
    client: { given_name: d.given_name, family_name: d.family_name, email: d.email },
  };
  const phone = d.phone.replace(/[\s().-]/g, "");
  if (phone) body.client.phone = phone;
  if (state.type.kind === "session" && d.participants.length) body.participants = d.participants;
  if (d.notes) body.notes = d.notes;
  if (d.promo_code && state.type.payment?.accepts_promo_code) body.promo_code = d.promo_code;
  if (state.type.payment?.required) body.payment_token = state.paymentToken;
  return body;
}

const DETAIL_FIELDS = /^(client|participants|notes|description|promo_code)/;

function isRetryable(err) {
  return (
    err instanceof ApiError &&
    (err.status === 0 || err.status === 429 || (err.status === 409 && err.code === "IDEMPOTENCY_KEY_IN_USE"))
  );
}

async function submitBooking(section) {
  const body = bookingBody();
  const key = state.attempt.keyFor(body);
  let booking;
  try {
    booking = await postWithRetry(() => state.api.book(body, key));
  } catch (err) {
    if (!isRetryable(err)) state.attempt = new Attempt(); // answered: a changed request gets a fresh key
    await bookingFailed(section, err);
    return;
  }
  state.attempt = new Attempt();
  showConfirmation(booking);
}

/** A request the gateway is still working on (same key) is asked again after Retry-After, a few times. */
async function postWithRetry(send) {
  for (let i = 0; ; i += 1) {
    try {
      return await send();
    } catch (err) {
      const inProgress = err instanceof ApiError && err.status === 409 && err.code === "IDEMPOTENCY_KEY_IN_USE";
      if (!inProgress || i >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, err.problem.retryAfter || 1) * 1000));
    }
  }
}

async function bookingFailed(section, err) {
  if (!(err instanceof ApiError)) {
    showProblem(section, err);
    return;
  }
  if (err.status === 409 && err.code === "SLOT_NOT_OPEN") {
    state.slot = null;
    const notice = new ApiError(409, {
      title: "Sorry, that time was just taken",
      detail: "Please choose another time. The open times below are up to date.",
    });
    await refreshSlotsAfterConflict(notice);
    return;
  }
  if (err.status === 402 || err.code === "PAYMENT_DECLINED") {
    if (section.dataset.step !== "pay") {
      showPay({}, err);
      return;
    }
    showProblem(section, err, "The payment was declined");
    const card = /** @type {HTMLElement|null} */ (section.querySelector("#payment-token"));
    if (card && !card.hasAttribute("aria-invalid")) {
      markInvalid(card, "This card was declined. Try another card.");
    }
    return;
  }
  if (err.status === 401) {
    showProblem(section, err, "This booking page's partner key was refused");
    return;
  }
  const fields = err.errors.map((e) => normalizeField(e.field));
  if (fields.some((f) => f === "slot_id")) {
    state.slot = null;
    await refreshSlotsAfterConflict(err);
    return;
  }
  if (fields.some((f) => DETAIL_FIELDS.test(f)) && section.dataset.step !== "details") {
    showDetails({}, err);
    return;
  }
  showProblem(section, err, "The booking did not go through");
  /** @type {HTMLElement|null} */ (section.querySelector("[aria-invalid=true]"))?.focus();
}

async function refreshSlotsAfterConflict(notice) {
  await loadSlots(typeKind(state.type), state.type.id);
  if ((slotsByDay().get(state.day) || []).length) showSlots({}, notice);
  else await showDays({}, notice);
}

function manageLink(booking, manageUrl) {
  const url = new URL(manageUrl || `/book/manage/${encodeURIComponent(booking.id)}`, window.location.origin);
  if (!url.searchParams.has("key")) url.searchParams.set("key", state.key);
  if (!manageUrl && booking.manage_token) url.hash = `token=${encodeURIComponent(booking.manage_token)}`;
  // same origin as this page: keep it relative so it works behind any proxy path
  return url.origin === window.location.origin ? url.pathname + url.search + url.hash : url.href;
}

function bookingDetails(booking, type) {
  const zone = state.timeZone;
  const day = dateIn(new Date(booking.start_time), zone);
  const address = (type && type.location_address) || booking.location?.address_text || "";
  const charged = booking.payment?.charged ? formatMoney(booking.payment.charged) : "";
  return h(
    "dl",
    { class: "booking-details" },
    h("dt", {}, "What"),
    h("dd", { "data-detail": "type" }, booking.type?.name || type?.name || ""),
    h("dt", {}, "When"),
    h(
      "dd",
      { "data-detail": "when" },
      h(
        "time",
        { datetime: booking.start_time, "data-time-zone": zone },
        `${formatDay(day)}, ${formatTime(booking.start_time, zone)} – ${formatTime(booking.end_time, zone)}`,
      ),
      h("span", { class: "zone" }, ` ${zoneLabel(zone, booking.start_time)}`),
      booking.time_zone && booking.time_zone !== zone
        ? h(
            "span",
            { class: "card-meta" },
            `${formatTime(booking.start_time, booking.time_zone)} ${zoneAbbreviation(booking.start_time, booking.time_zone)} at the studio`,
          )
        : null,
    ),
    h("dt", {}, "Where"),
    h(
      "dd",
      { "data-detail": "where" },
      booking.location?.name && !address.startsWith(booking.location.name)
        ? h("span", { class: "location-name" }, booking.location.name)
        : null,
      address ? h("span", { class: "address", "data-detail": "address" }, address) : null,
    ),
    charged ? h("dt", {}, "Paid online") : null,
    charged ? h("dd", { "data-detail": "paid" }, charged) : null,
    booking.payment?.refunded ? h("dt", {}, "Refunded") : null,
    booking.payment?.refunded ? h("dd", { "data-detail": "refunded" }, formatMoney(booking.payment.refunded)) : null,
    booking.payment?.promo_code ? h("dt", {}, "Promo code") : null,
    booking.payment?.promo_code ? h("dd", {}, booking.payment.promo_code) : null,
    h("dt", {}, "Status"),
    h("dd", { "data-detail": "status" }, booking.status === "cancelled" ? "Cancelled" : "Confirmed"),
    booking.number ? h("dt", {}, "Booking number") : null,
    booking.number ? h("dd", { "data-detail": "number" }, booking.number) : null,
  );
}

function showConfirmation(booking) {
  state.api.bookingToken = booking.manage_token || "";
  const link = manageLink(booking, booking.manage_url);
  const again = state.fixedType ? `/book/${state.fixedType.kind}/${encodeURIComponent(state.fixedType.id)}` : "/book";
  const againUrl = `${again}?key=${encodeURIComponent(state.key)}`;
  const section = step(
    "done",
    "You're booked",
    h("p", {}, `A confirmation is on its way to ${state.details.email}.`),
    bookingDetails(booking, state.type),
    state.type?.price ? h("div", { class: "card" }, h("p", { class: "card-title" }, "Payment"), priceBreakdown(state.type, booking.payment?.charged || null)) : null,
    h(
      "div",
      { class: "card manage" },
      h("p", {}, h("a", { href: link, class: "manage-link", "data-manage-link": "true" }, "View, reschedule or cancel this booking")),
      h("p", { class: "hint" }, "Keep this link: it is how you change this booking online."),
    ),
    calendarLinks(booking, state.api),
    policyNote(booking.cancellation_policy),
    h("p", {}, h("a", { href: againUrl }, "Book something else")),
  );
  show(section);
  setStatus("Booked.");
}

// ---------------------------------------------------------------------------------------------
// Manage: view, reschedule, cancel

async function startManage(bookingId) {
  const token = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token") || "";
  if (!token) {
    fatal("This link is incomplete", "The link to your booking is missing its token. Use the link from your confirmation.");
    return;
  }
  state.api.bookingToken = token;
  state.bookingId = bookingId;
  setStatus("Loading your booking…");
  try {
    state.booking = await state.api.booking(bookingId);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 401)) {
      fatal("Booking not found", "This link does not match a booking. Use the link from your confirmation.");
      return;
    }
    throw err;
  }
  await loadLocations();
  try {
    state.type = await state.api.type(KINDS[state.booking.kind] || "session-types", state.booking.type.id);
  } catch {
    state.type = null; // the type is no longer offered online: the booking can still be viewed and cancelled
  }
  showManage({ focus: false });
}

function showManage(options = {}, notice = "") {
  const booking = state.booking;
  const confirmed = booking.status !== "cancelled";
  const section = step(
    "manage",
    confirmed ? "Your booking" : "Your booking is cancelled",
    notice ? h("p", { class: "notice" }, notice) : null, // announced by the #status live region
    bookingDetails(booking, state.type),
    confirmed ? null : cancellationOutcome(booking),
    confirmed ? calendarLinks(booking, state.api) : null,
    confirmed ? policyNote(booking.cancellation_policy) : null,
    confirmed
      ? h(
          "div",
          { class: "actions" },
          state.type
            ? button("Reschedule", async (event) => {
                state.windowStart = "";
                state.day = "";
                state.slot = null;
                await busy(event.currentTarget, "Loading open times…", () => showDays());
              })
            : null,
          button("Cancel booking", () => showCancelConfirm(), { class: "button danger" }),
        )
      : null,
  );
  show(section, options);
  setStatus(notice);
}

function showCancelConfirm() {
  const booking = state.booking;
  const yes = button("Yes, cancel my booking", async () => {
    await busy(yes, "Cancelling…", async () => {
      try {
        const key = state.attempt.keyFor({ cancel: booking.id });
        state.booking = await postWithRetry(() => state.api.cancel(booking.id, key));
        state.attempt = new Attempt();
        showManage({}, "Your booking is cancelled.");
      } catch (err) {
        if (!isRetryable(err)) state.attempt = new Attempt();
        showProblem(section, err, "The booking could not be cancelled");
      }
    });
  }, { class: "button danger" });
  const section = step(
    "cancel",
    "Cancel this booking?",
    h(
      "p",
      {},
      `${booking.type?.name || "Your booking"} on ${formatDay(dateIn(new Date(booking.start_time), state.timeZone))} at ${formatTime(
        booking.start_time,
        state.timeZone,
      )} will be cancelled and the time given up.`,
    ),
    policyNote(booking.cancellation_policy),
    h("div", { class: "actions" }, yes, button("No, keep my booking", () => showManage())),
  );
  show(section);
  setStatus("");
}

async function reschedule(section) {
  const booking = state.booking;
  const key = state.attempt.keyFor({ reschedule: booking.id, slot_id: state.slot.id });
  try {
    state.booking = await postWithRetry(() => state.api.reschedule(booking.id, state.slot.id, key));
  } catch (err) {
    if (!isRetryable(err)) state.attempt = new Attempt();
    if (err instanceof ApiError && (err.code === "SLOT_NOT_OPEN" || err.status === 409)) {
      state.slot = null;
      await refreshSlotsAfterConflict(
        new ApiError(409, {
          title: "Sorry, that time was just taken",
          detail: err.code === "SLOT_NOT_OPEN" ? "Please choose another time." : err.problem.detail || "",
        }),
      );
      return;
    }
    showProblem(section, err, "The booking could not be moved");
    return;
  }
  state.attempt = new Attempt();
  showManage({}, "Your booking was moved to the new time.");
}

// ---------------------------------------------------------------------------------------------
// The studio's name, logo and colour (its company profile, set up on the console)

/** "#RRGGBB" -> whether white text reads on it (WCAG relative luminance). */
function darkEnough(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05) >= 4.5;
}

async function showStudio() {
  let studio;
  try {
    studio = await state.api.studio();
  } catch {
    return; // the studio's look is a nicety; booking works without it
  }
  const header = document.querySelector(".site-header");
  const title = document.getElementById("page-title");
  if (studio.name && title) {
    title.textContent = studio.name;
    state.studioName = studio.name;
    document.title = document.title.replace(/– Book online$/, `– ${studio.name}`);
  }
  if (studio.logo_url && header) {
    const logo = h("img", { class: "studio-logo", src: studio.logo_url, alt: studio.name ? `${studio.name} logo` : "Studio logo" });
    header.insertBefore(logo, header.firstChild);
  }
  if (/^#[0-9a-fA-F]{6}$/.test(studio.brand_color || "")) {
    // CSSOM, not an inline style attribute: allowed by the page's style-src 'self'
    const root = document.documentElement.style;
    root.setProperty("--accent", studio.brand_color);
    root.setProperty("--accent-ink", darkEnough(studio.brand_color) ? "#ffffff" : "#1d2433");
  }
}

// ---------------------------------------------------------------------------------------------
// Start

async function main() {
  if (!state.key) {
    fatal(
      "This booking page is not set up",
      "The link is missing the studio's booking key (?key=…). Use the booking link or embed code from the studio.",
    );
    return;
  }
  state.api = new Api(state.key);
  showStudio();
  const manage = window.location.pathname.match(/^\/book\/manage\/([^/]+)\/?$/);
  try {
    if (manage) await startManage(decodeURIComponent(manage[1]));
    else await startBooking();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      fatal("This booking page is not set up", "The studio's booking key was refused. Please tell the studio.");
      return;
    }
    const problem = err instanceof ApiError ? err.problem : {};
    fatal(problem.title || "The booking page could not load", problem.detail || "Please try again in a moment.");
  }
}

main();

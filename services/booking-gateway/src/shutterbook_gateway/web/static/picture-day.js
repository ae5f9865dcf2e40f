// The picture day portal (issue 21): with the access code from its letter, a family books a
// time for each child, and changes or cancels it until the close. The code is read from the
// fragment (#code=...), which browsers never send to a server, or typed in; the studio's
// publishable key comes from ?key=.
import { Api, ApiError } from "./api.js";

const app = document.getElementById("app");
const statusLine = document.getElementById("status");
const api = new Api(new URLSearchParams(window.location.search).get("key") || "");
let code = "";
let state = null;
let choosing = null; // {children: [...]} while picking a time to book, {booking} while moving one

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function say(text) { statusLine.textContent = text; }

function dayLabel(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric", timeZone: "UTC" });
}

function timeLabel(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  return new Date(Date.UTC(2000, 0, 1, h, m)).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", timeZone: "UTC" });
}

async function call(method, path, body) {
  return api.request(method, path, { body, headers: { "X-Access-Code": code } });
}

function problemText(err) {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  if (err.status === 404) return "This access code does not open a picture day. Check the code in your letter.";
  if (err.status === 429) return "Too many tries. Please wait a minute and try again.";
  const fields = err.errors.map((e) => e.detail).join(" ");
  return fields || err.message;
}

function codeForm(message) {
  const input = el("input", { type: "text", id: "code", name: "code", autocomplete: "off", autocapitalize: "off", spellcheck: "false", value: code });
  const form = el("form", { class: "stack pd-code", onsubmit: (e) => { e.preventDefault(); code = input.value.trim(); load(); } },
    el("p", {}, "Enter the access code from your picture day letter."),
    message ? el("div", { class: "alert", role: "alert" }, el("p", {}, message)) : null,
    el("div", { class: "field" }, el("label", { for: "code" }, "Access code"), input),
    el("div", { class: "actions" }, el("button", { class: "button primary", type: "submit" }, "Continue")));
  app.replaceChildren(form);
  input.focus();
}

async function load(message = "") {
  if (!code) { codeForm(""); return; }
  try {
    state = await call("GET", "/v1/picture-day");
  } catch (err) {
    codeForm(problemText(err));
    return;
  }
  choosing = null;
  render(message);
}

function slotOf(id) { return state.slots.find((s) => s.id === id); }

function bookingLabel(booking) {
  return `${dayLabel(booking.date)}, ${timeLabel(booking.start)}`;
}

function nameOf(childId) {
  const child = state.children.find((c) => c.id === childId);
  return child ? child.name : "";
}

function namesText(names) {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

// who a booking is for: siblings share one time, so a change or a cancel moves them all
function bookingNames(booking) { return namesText(booking.children.map(nameOf).filter(Boolean)); }

function render(message) {
  const day = state.picture_day;
  document.getElementById("page-title").textContent = day.title;
  const open = day.window === "open";
  const closes = new Date(day.closes_at).toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  const parts = [el("p", {}, `Hello, ${state.family}.`)];
  if (message) parts.push(el("div", { class: "notice", role: "status" }, el("p", {}, message)));
  if (day.window === "not_open") parts.push(el("p", { class: "alert" }, "Booking has not opened yet. Please come back later."));
  else if (!open) parts.push(el("p", { class: "alert" }, "Booking has closed. Please call the studio to change a time."));
  else parts.push(el("p", { class: "pd-closes hint" }, `You can book, change or cancel until ${closes}.`));

  const unbooked = state.children.filter((c) => !c.booking_id);
  const list = el("div", { class: "stack" });
  for (const child of state.children) {
    const booking = state.bookings.find((b) => b.id === child.booking_id);
    const right = booking
      ? el("div", { class: "stack" }, el("span", { class: "pd-when" }, bookingLabel(booking)),
        booking.children.length > 1
          ? el("span", { class: "pd-with hint" }, `Together with ${namesText(booking.children.filter((id) => id !== child.id).map(nameOf).filter(Boolean))}`)
          : null,
        open ? el("div", { class: "pd-row-actions" },
          el("button", { class: "button", type: "button", onclick: () => { choosing = { booking }; render(""); } }, "Change time"),
          el("button", { class: "button danger", type: "button", onclick: () => cancel(booking) }, "Cancel")) : null)
      : el("span", { class: "pd-none" }, "No time yet");
    list.append(el("div", { class: "card pd-child" }, el("span", { class: "pd-child-name" }, child.name), right));
  }
  parts.push(el("h2", {}, "Your children"), list);

  if (open && choosing && choosing.booking) parts.push(...timePicker(`New time for ${bookingNames(choosing.booking)}`, (slot) => move(choosing.booking, slot), `Now: ${bookingLabel(choosing.booking)}`));
  else if (open && unbooked.length) parts.push(...bookingForm(unbooked));
  app.replaceChildren(...parts);
}

function bookingForm(unbooked) {
  const limit = state.picture_day.siblings_per_slot;
  const boxes = unbooked.map((child, i) => el("input", Object.assign({ type: "checkbox", id: `child-${i}`, value: child.id }, i < limit ? { checked: "" } : {})));
  const field = el("fieldset", {}, el("legend", {}, "Who is this time for?"),
    el("p", { class: "hint" }, limit > 1 ? `Up to ${limit} children can share one time.` : "One child per time."),
    el("div", { class: "choices" },
      ...unbooked.map((child, i) => el("label", { class: "card choice", for: `child-${i}` }, boxes[i], el("span", { class: "card-title" }, child.name)))));
  const chosen = () => boxes.filter((b) => b.checked).map((b) => b.value);
  return [el("h2", {}, "Book a time"), field, ...timePicker("Choose a time", (slot) => book(chosen(), slot))];
}

function timePicker(title, onPick, note = "") {
  const free = state.slots.filter((s) => !s.mine);
  if (!free.length) return [el("p", { class: "empty" }, "No times are left. Please call the studio.")];
  const out = [el("h3", {}, title)];
  if (note) out.push(el("p", { class: "hint" }, note));
  let lastDate = "";
  let grid = null;
  for (const slot of free) {
    if (slot.date !== lastDate) {
      lastDate = slot.date;
      grid = el("div", { class: "pd-times" });
      out.push(el("p", { class: "pd-day" }, dayLabel(slot.date)), grid);
    }
    grid.append(el("button", { class: "button", type: "button", "data-slot": slot.id, onclick: () => onPick(slot) }, timeLabel(slot.start)));
  }
  if (choosing) out.push(el("div", { class: "actions secondary" }, el("button", { class: "button", type: "button", onclick: () => { choosing = null; render(""); } }, "Keep the current time")));
  return out;
}

async function act(work, done) {
  say("Saving…");
  try {
    await work();
    say("");
    await load(done);
  } catch (err) {
    say("");
    await load("");
    app.prepend(el("div", { class: "alert", role: "alert" }, el("p", {}, problemText(err))));
  }
}

function book(children, slot) {
  if (!children.length) { say("Choose at least one child."); return; }
  act(() => call("POST", "/v1/picture-day/bookings", { slot_id: slot.id, children }),
    `Booked: ${dayLabel(slot.date)}, ${timeLabel(slot.start)}.`);
}

function move(booking, slot) {
  act(() => call("POST", `/v1/picture-day/bookings/${booking.id}/reschedule`, { slot_id: slot.id }),
    `Changed to ${dayLabel(slot.date)}, ${timeLabel(slot.start)}.`);
}

function cancel(booking) {
  if (!window.confirm(`Cancel ${bookingLabel(booking)} for ${bookingNames(booking)}?`)) return;
  act(() => call("POST", `/v1/picture-day/bookings/${booking.id}/cancel`), "Cancelled. You can book another time.");
}

function codeFromAddress() {
  const found = new URLSearchParams(window.location.hash.slice(1)).get("code");
  if (found) {
    code = found;
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}

// a letter's link opened while the page is open changes only the fragment
window.addEventListener("hashchange", () => { codeFromAddress(); load(); });
codeFromAddress();
load();

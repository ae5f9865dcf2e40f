// The Scheduling Wizard: six screens kept in this page; nothing is written until Finish, which
// sends everything in ONE request (POST /api/v1/wizard/bookings). Each screen waits on at most
// one call: the offer of the location (types, statuses, schedules, price list items), the
// client search as staff type, the free times when asked, the client's deposits, the booking.

const root = document.querySelector("[data-wizard]");
const $ = (sel) => root.querySelector(sel);
const $$ = (sel) => [...root.querySelectorAll(sel)];
const field = (name) => root.querySelector(`[data-field="${name}"]`);

function csrfHeader() {
  const match = document.cookie.match(/(?:^|;\s*)sb_console_csrf=([^;]+)/);
  return match ? { "x-csrf-token": decodeURIComponent(match[1]) } : {};
}

function money(minor, currency) {
  return `${(minor / 100).toFixed(2)} ${currency || ""}`.trim();
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const state = {
  step: 1,
  offer: null,
  client: root.dataset.client || "",
  clientName: root.dataset.clientName || "",
  newClient: false,
  unlinked: false,
  lines: [], // {item, quantity, auto}
  attempt: crypto.randomUUID(),
  deposits: [],
  done: null,
};
const prefill = { start: root.dataset.start, schedule: root.dataset.schedule, session: root.dataset.session };

function say(text) { $("[data-status]").textContent = text; }

function showError(problem) {
  const box = $("[data-error]");
  if (!problem) { box.hidden = true; box.replaceChildren(); return; }
  const text = problem.detail || problem.title || "Not booked.";
  box.replaceChildren(el("p", text.charAt(0).toUpperCase() + text.slice(1)));
  const list = el("ul");
  for (const e of problem.errors || []) list.append(el("li", `${e.field}: ${e.detail}`));
  for (const c of problem.conflicts || []) list.append(el("li", c.detail));
  if (list.children.length) box.append(list);
  box.hidden = false;
  box.focus?.();
}

async function api(path, options = {}) {
  const response = await fetch(path, { headers: { accept: "application/json", ...(options.headers || {}) }, ...options });
  if (response.status === 401) { window.location.assign("/login"); throw new Error("logged out"); }
  const body = response.status === 204 ? null : await response.json();
  return { ok: response.ok, status: response.status, body };
}

const kind = () => root.querySelector("input[name=kind]:checked").value;
const types = () => (kind() === "session" ? state.offer.session_types : state.offer.appointment_types);
const chosenType = () => types().find((t) => t.name === field("type").value);

function options(select, items, empty) {
  select.replaceChildren();
  if (empty !== undefined) select.append(new Option(empty, ""));
  for (const item of items) select.append(new Option(item.display_name, item.name));
}

async function loadOffer() {
  say("Loading the location's types and schedules…");
  const { ok, body } = await api(`/api/v1/wizard/offer?location=${field("location").value}`);
  if (!ok) { showError(body); return; }
  state.offer = body;
  options($("[data-add-item]"), body.items, "Choose an item to add");
  say(`${body.location.display_name}: times are ${body.time_zone} time.${body.billing_answers ? "" : " Billing is not answering: book now and invoice later."}`);
  fillDetails();
}

function fillDetails() {
  const offer = state.offer;
  if (!offer) return;
  const isSession = kind() === "session";
  $("[data-details-title]").textContent = isSession ? "Session information" : "Appointment information";
  for (const node of $$("[data-session-only]")) node.hidden = !isSession;
  $("[data-staff-label]").textContent = isSession ? "Photographer" : "Staff";
  const keepType = field("type").value;
  options(field("type"), types());
  if (types().some((t) => t.name === keepType)) field("type").value = keepType;
  options(field("status"), offer.statuses, "The type's default status");
  options(field("photographer"), offer.staff, isSession ? "No photographer" : "No staff");
  options(field("assistant"), offer.staff, "No assistant");
  options(field("camera_room"), offer.rooms, "No room");
  if (prefill.schedule) {
    if (offer.rooms.some((r) => r.name === prefill.schedule)) field("camera_room").value = prefill.schedule;
    if (offer.staff.some((s) => s.name === prefill.schedule)) field("photographer").value = prefill.schedule;
  }
  if (prefill.start && !field("date").value) {
    field("date").value = prefill.start.slice(0, 10);
    field("start").value = prefill.start.slice(11, 16);
  }
  typeChanged();
}

function addMinutes(hhmm, minutes) {
  const [h, m] = hhmm.split(":").map(Number);
  const total = Math.min(h * 60 + m + minutes, 24 * 60 - 1);
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

function typeChanged() {
  const type = chosenType();
  if (!type) return;
  $("[data-type-hint]").textContent = `${type.minutes} minutes`;
  $("[data-type-hint]").style.borderLeft = `6px solid ${type.color || "#999"}`;
  if (kind() === "session") field("status").value = type.default_status || "";
  if (field("start").value) field("end").value = addMinutes(field("start").value, type.minutes);
  // the type's price list items go onto the invoice by themselves
  state.lines = state.lines.filter((l) => !l.auto);
  state.lines.unshift(...type.price_list_items.map((item) => ({ item, quantity: 1, auto: true })));
  drawLines();
}

function drawLines() {
  const items = new Map((state.offer?.items || []).map((i) => [i.name, i]));
  const body = $("[data-lines]");
  body.replaceChildren();
  let total = 0;
  let currency = "";
  state.lines.forEach((line, index) => {
    const item = items.get(line.item);
    if (!item) return;
    const subtotal = item.unit_price.amount_minor * line.quantity;
    const tax = Math.round((subtotal * item.tax_rate_bps) / 10000);
    total += subtotal + tax;
    currency = item.unit_price.currency_code;
    const row = el("tr");
    row.append(el("td", item.display_name + (line.auto ? " (from the type)" : "")), el("td", String(line.quantity)),
      el("td", money(subtotal, currency)), el("td", money(tax, currency)));
    const cell = el("td");
    const remove = el("button", "Remove", "secondary small");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${item.display_name}`);
    remove.addEventListener("click", () => { state.lines.splice(index, 1); drawLines(); });
    cell.append(remove);
    row.append(cell);
    body.append(row);
  });
  if (!body.children.length) body.append(el("tr", "")).append(el("td", "No items."));
  $("[data-estimate]").textContent = `Total with tax ${money(total, currency)} (a promo code is applied when you finish).`;
}

// --- screen 2: the client -------------------------------------------------------------------
let searchSeq = 0;
let searchTimer = null;
async function search() {
  const q = $("[data-search]").value.trim();
  const seq = ++searchSeq;
  const list = $("[data-results]");
  if (q.length < 2) { list.replaceChildren(); return; }
  const { ok, body } = await api(`/api/v1/wizard/clients?q=${encodeURIComponent(q)}`);
  if (seq !== searchSeq) return;
  list.replaceChildren();
  if (!ok) { showError(body); return; }
  if (!body.length) list.append(el("li", "No client matches: add a new one."));
  for (const c of body) {
    const li = el("li");
    const pick = el("button", `${c.given_name} ${c.family_name}`.trim() || c.household_name, "link-button");
    pick.type = "button";
    pick.addEventListener("click", () => choose(c));
    li.append(pick, el("span", [c.email, c.phone].filter(Boolean).join(" · "), "muted"));
    list.append(li);
  }
}

// --- the client's address, notes and family members (screen 2) ------------------------------
const CLIENT_FIELDS = ["given_name", "family_name", "email", "phone", "address_line", "locality", "administrative_area", "postal_code", "notes"];
let memberCount = 0;

function addMember(m = {}) {
  const row = $("[data-member-template]").content.firstElementChild.cloneNode(true);
  memberCount += 1;
  row.dataset.member = m.name || "";
  for (const input of row.querySelectorAll("[data-member-field]")) {
    const id = `wiz-member-${memberCount}-${input.dataset.memberField}`;
    input.id = id;
    input.previousElementSibling.htmlFor = id;
    input.value = m[input.dataset.memberField] || "";
  }
  row.querySelector("[data-remove-member]").setAttribute("aria-label", `Remove family member ${memberCount}`);
  row.querySelector("[data-remove-member]").addEventListener("click", () => row.remove());
  $("[data-family-rows]").append(row);
  return row;
}

function fillClient(c) {
  const a = c.address || {};
  const values = { ...c, address_line: (a.address_lines || []).join(", "), locality: a.locality, administrative_area: a.administrative_area, postal_code: a.postal_code };
  for (const name of CLIENT_FIELDS) { field(name).readOnly = false; field(name).value = values[name] || ""; }
  $("[data-family-rows]").replaceChildren();
  for (const m of c.family_members || []) addMember(m);
}

function clientInfo() {
  const info = Object.fromEntries(["given_name", "family_name", "email", "phone", "notes"].map((name) => [name, field(name).value]));
  const line = field("address_line").value.trim();
  info.address = { address_lines: line ? [line] : [], locality: field("locality").value, administrative_area: field("administrative_area").value, postal_code: field("postal_code").value };
  info.family_members = $$("[data-member]").map((row) => {
    const get = (name) => row.querySelector(`[data-member-field="${name}"]`).value;
    return { name: row.dataset.member, given_name: get("given_name"), family_name: get("family_name"), relationship: get("relationship"), birth_date: get("birth_date") };
  }).filter((m) => m.given_name.trim() || m.family_name.trim());
  return info;
}

function choose(c) {
  state.client = c.name;
  state.clientName = `${c.given_name} ${c.family_name}`.trim() || c.household_name;
  state.newClient = false;
  state.unlinked = false;
  fillClient(c);
  $("[data-client-form]").hidden = false;
  showChosen();
}

function showChosen() {
  const chosen = $("[data-chosen]");
  chosen.hidden = !(state.client || state.unlinked || state.newClient);
  chosen.textContent = state.unlinked ? "No client: an unlinked appointment."
    : state.newClient ? "A new client: fill in the information below." : `Client: ${state.clientName}`;
}

// --- screen 3: free times -------------------------------------------------------------------
async function findFree() {
  const params = new URLSearchParams({ location: field("location").value, type: field("type").value });
  if (field("photographer").value) params.set("staff", field("photographer").value);
  if (field("camera_room").value) params.set("room", field("camera_room").value);
  if (field("date").value) params.set("from", field("date").value);
  say("Looking for free times…");
  const { ok, body } = await api(`/api/v1/wizard/free-times?${params}`);
  const list = $("[data-times]");
  list.replaceChildren();
  if (!ok) { showError(body); return; }
  if (!body.times.length) list.append(el("li", "Nothing free in the next two weeks."));
  for (const t of body.times) {
    const pick = el("button", `${t.start.slice(0, 10)} ${t.start.slice(11)}–${t.end.slice(11)} · ${t.schedule_names.join(", ")}`, "secondary small");
    pick.type = "button";
    pick.addEventListener("click", () => {
      field("date").value = t.start.slice(0, 10);
      field("start").value = t.start.slice(11, 16);
      field("end").value = t.end.slice(11, 16);
      for (const s of t.schedules) {
        if (state.offer.staff.some((x) => x.name === s)) field("photographer").value = s;
        if (state.offer.rooms.some((x) => x.name === s)) field("camera_room").value = s;
      }
      say(`Chosen: ${pick.textContent}`);
    });
    const li = el("li");
    li.append(pick);
    list.append(li);
  }
  say(`${body.times.length} free time${body.times.length === 1 ? "" : "s"} found.`);
}

// --- screen 5: deposits ---------------------------------------------------------------------
async function loadDeposits() {
  const box = $("[data-deposit-field]");
  box.hidden = true;
  state.deposits = [];
  if (!state.client || state.newClient) return;
  const { ok, body } = await api(`/api/v1/wizard/clients/${state.client.split("/")[1]}/deposits`);
  if (!ok || !body.length) return;
  state.deposits = body;
  const select = field("deposit");
  select.replaceChildren(new Option("Do not apply a deposit", ""));
  for (const d of body) select.append(new Option(`${money(d.balance.amount_minor, d.balance.currency_code)} held${d.note ? ` (${d.note})` : ""}`, d.name));
  select.value = body[0].name;
  box.hidden = false;
}

function method() { return root.querySelector("input[name=method]:checked").value; }
function invoiceNow() { return root.querySelector("input[name=invoice]:checked").value === "now"; }

// --- moving between screens -----------------------------------------------------------------
function check(step) {
  const problems = [];
  if (step === 2 && !(state.client || state.newClient || state.unlinked)) problems.push({ field: "client", detail: "find the client, or add a new one" });
  if (step === 2 && state.newClient && !field("given_name").value.trim() && !field("family_name").value.trim()) problems.push({ field: "given_name", detail: "a first or last name" });
  if (step === 2) {
    // a birth date in the future is refused here, as the console refuses it (any zone's today)
    const latest = new Date(Date.now() + 14 * 3600 * 1000).toISOString().slice(0, 10);
    $$("[data-birth-date]").forEach((input, i) => {
      const wrong = Boolean(input.value) && input.value > latest;
      input.setAttribute("aria-invalid", String(wrong));
      if (wrong) problems.push({ field: `Family member ${i + 1}, birth date`, detail: "a birth date, not in the future" });
    });
  }
  if (step === 3) {
    if (!field("type").value) problems.push({ field: "type", detail: "choose a type" });
    if (!field("date").value) problems.push({ field: "date", detail: "choose the date" });
    if (!field("start").value) problems.push({ field: "start", detail: "choose the start time" });
  }
  if (step === 5 && method() === "card" && !field("card_token").value.trim()) problems.push({ field: "card", detail: "the card" });
  if (problems.length) { showError({ detail: "Please complete this screen.", errors: problems }); return false; }
  showError(null);
  return true;
}

function nextStep(step) {
  if (step === 3 && (state.unlinked || (kind() === "appointment" && !state.client && !state.newClient))) return 6; // nothing to invoice
  if (step === 4 && !invoiceNow()) return 6;
  return step + 1;
}

function go(step) {
  state.step = step;
  for (const section of $$("[data-step]")) section.hidden = Number(section.dataset.step) !== step;
  for (const dot of $$("[data-dot]")) dot.classList.toggle("current", Number(dot.dataset.dot) === step);
  $("[data-back]").hidden = step === 1 || step === 6;
  const last = step === 5 || (step === 4 && !invoiceNow()) || (step === 3 && nextStep(3) === 6);
  $("[data-next]").hidden = last || step === 6;
  $("[data-finish]").hidden = !last;
  $("[data-no-client]").hidden = kind() !== "appointment";
  if (step === 5) loadDeposits();
  root.querySelector(`[data-step="${step}"] h2`).focus?.();
}

function order() {
  const t = chosenType();
  const date = field("date").value;
  const body = {
    attempt: state.attempt,
    kind: kind(),
    location: `locations/${field("location").value}`,
    type: t.name,
    start: `${date}T${field("start").value}`,
    end: field("end").value ? `${date}T${field("end").value}` : "",
    description: field("description").value,
    confirmed: field("confirmed").checked,
    book_anyway: field("book_anyway").checked,
    invoice_now: !state.unlinked && invoiceNow() && state.step >= 4,
    lines: state.lines.filter((l) => !l.auto).map((l) => ({ price_list_item: l.item, quantity: l.quantity })),
    promo_code: field("promo_code").value.trim(),
  };
  if (field("reminder_minutes").value) body.reminder_minutes = Number(field("reminder_minutes").value);
  if (state.newClient) {
    body.new_client = clientInfo();
  } else if (!state.unlinked) {
    body.client = state.client;
    if (!$("[data-client-form]").hidden) { // the information as shown (and perhaps corrected) on screen 2
      body.client_info = clientInfo();
    }
  }
  if (kind() === "session") {
    Object.assign(body, { status: field("status").value, photographer: field("photographer").value, assistant: field("assistant").value, camera_room: field("camera_room").value, file_number: field("file_number").value });
  } else {
    body.schedules = [field("photographer").value, field("camera_room").value].filter(Boolean);
    if (prefill.session && !state.unlinked) body.linked_session = prefill.session;
  }
  if (body.invoice_now && state.step === 5) {
    const amount = field("amount").value.trim();
    body.payment = { method: method(), card_token: method() === "card" ? field("card_token").value.trim() : "", note: method() === "check" ? field("note").value : "", deposit: state.deposits.length ? field("deposit").value : "" };
    if (amount) body.payment.amount_minor = Math.round(Number(amount) * 100);
  }
  return body;
}

async function finish() {
  if (!check(state.step)) return;
  const button = $("[data-finish]");
  button.disabled = true;
  say("Booking…");
  let result;
  try {
    result = await api("/api/v1/wizard/bookings", { method: "POST", headers: { "content-type": "application/json", ...csrfHeader() }, body: JSON.stringify(order()) });
  } finally { button.disabled = false; }
  if (!result.ok) {
    // a refusal undid everything: the next Finish is a new attempt; a 503 repeats the same one
    if (result.status !== 503) state.attempt = crypto.randomUUID();
    if (result.body.conflicts) $("[data-conflict-only]").hidden = false;
    showError(result.body);
    say(result.status === 503
      ? "No answer from a service: press Finish again; nothing is done twice."
      : "Not booked and nothing charged: correct what is said above and press Finish again.");
    return;
  }
  state.done = result.body;
  confirmation(result.body);
  go(6);
}

function confirmation(done) {
  const summary = $("[data-summary]");
  summary.replaceChildren();
  const rows = [
    ["Client", done.client_name || "No client"],
    [kind() === "session" ? "Session number" : "Appointment", done.session_number || (done.appointment ? `${chosenType().display_name}, ${field("date").value} ${field("start").value}` : "")],
    ["When", `${field("date").value} ${field("start").value}–${field("end").value} (${state.offer.time_zone})`],
    ["Invoice", done.invoice_number || "Later"],
  ];
  if (done.invoice) rows.push(["Balance due", money(done.balance.amount_minor, done.balance.currency_code)]);
  if (done.payment || done.deposit_payment) rows.push(["Payment", "Taken"]);
  for (const [k, v] of rows) { summary.append(el("dt", k), el("dd", v)); }
  $("[data-warnings]").replaceChildren(...done.warnings.map((w) => el("li", w)));
  $("[data-done-title]").textContent = done.session ? `Session ${done.session_number} booked` : "Appointment booked";
  const link = (name, href) => { const a = $(`[data-open="${name}"]`); a.hidden = !href; if (href) a.href = href; };
  link("client", done.client ? `/${done.client}` : "");
  link("session", done.session ? `/${done.session}` : "");
  link("print", done.session ? `/${done.session}/confirmation.pdf` : "");
  link("photographer", done.session ? `/${done.session}/photographer-confirmation.pdf` : "");
  const params = new URLSearchParams({ kind: "appointment", location: field("location").value });
  if (done.client) { params.set("client", done.client); params.set("client_name", done.client_name); }
  if (done.session) params.set("session", done.session);
  link("linked", done.client ? `/wizard?${params}` : "");
  link("invoice", done.invoice ? `/${done.invoice}` : "");
  link("payment", done.invoice && (done.payment || done.deposit_payment) ? `/${done.invoice}#payments` : ""); // payments are listed on their invoice
  say("Booked.");
  emailForm(done);
}

// --- email the confirmation with a chosen form letter (screen 6) -----------------------------
async function emailForm(done) {
  const form = $("[data-email]");
  form.hidden = !done.session || !done.client;
  $("[data-email-status]").hidden = true;
  if (form.hidden) return;
  form.dataset.request = crypto.randomUUID();
  const select = field("letter"); // the studio's confirmation at once; its own letters once listed
  select.replaceChildren(el("option", "Session confirmation (the studio's)"));
  select.firstChild.value = "";
  const { ok, body } = await api("/api/v1/wizard/letters");
  if (ok) for (const l of body) { const o = el("option", l.display_name); o.value = l.id; select.append(o); }
  if (ok && body.length) select.value = body[0].id;
}

async function sendEmail(event) {
  event.preventDefault();
  const form = $("[data-email]");
  const status = $("[data-email-status]");
  const { ok, body } = await api(`/api/v1/wizard/${state.done.session}/letters`, {
    method: "POST",
    headers: { "content-type": "application/json", ...csrfHeader() },
    body: JSON.stringify({ request_id: form.dataset.request, form_letter: field("letter").value }),
  });
  status.hidden = false;
  status.className = ok ? "notice" : "error-summary";
  status.textContent = ok ? `Emailed to ${body.recipient}: "${body.subject}".` : `Not sent: ${body.detail || body.title}.`;
  if (ok) form.dataset.request = crypto.randomUUID(); // another letter is another message
}

// --- wiring ---------------------------------------------------------------------------------
if (root) {
  if (root.dataset.kind === "appointment") root.querySelector("input[name=kind][value=appointment]").checked = true;
  if (state.client) { state.newClient = false; showChosen(); $("[data-search]").value = state.clientName; }
  field("location").addEventListener("change", loadOffer);
  for (const radio of $$("input[name=kind]")) radio.addEventListener("change", () => { fillDetails(); go(1); });
  field("type").addEventListener("change", typeChanged);
  field("start").addEventListener("change", () => { const t = chosenType(); if (t) field("end").value = addMinutes(field("start").value, t.minutes); });
  $("[data-search]").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });
  $("[data-new-client]").addEventListener("click", () => {
    Object.assign(state, { client: "", clientName: "", newClient: true, unlinked: false });
    fillClient({});
    $("[data-client-form]").hidden = false;
    showChosen();
    field("given_name").focus();
  });
  $("[data-no-client]").addEventListener("click", () => {
    Object.assign(state, { client: "", clientName: "", newClient: false, unlinked: true });
    $("[data-client-form]").hidden = true;
    showChosen();
  });
  $("[data-email]").addEventListener("submit", sendEmail);
  $("[data-add-member]").addEventListener("click", () => addMember().querySelector("input").focus());
  $("[data-find-free]").addEventListener("click", findFree);
  $("[data-add-item]").addEventListener("change", (event) => {
    if (event.target.value) state.lines.push({ item: event.target.value, quantity: 1, auto: false });
    event.target.value = "";
    drawLines();
  });
  for (const radio of $$("input[name=invoice]")) radio.addEventListener("change", () => { $("[data-invoice-now]").hidden = !invoiceNow(); go(4); });
  for (const radio of $$("input[name=method]")) radio.addEventListener("change", () => {
    $("[data-card-only]").hidden = method() !== "card";
    $("[data-check-only]").hidden = method() !== "check";
  });
  $("[data-next]").addEventListener("click", () => { if (check(state.step)) go(nextStep(state.step)); });
  $("[data-back]").addEventListener("click", () => {
    const back = state.step === 6 ? 5 : state.step - 1;
    go(back === 5 && !invoiceNow() ? 4 : Math.max(1, back));
  });
  $("[data-finish]").addEventListener("click", finish);
  loadOffer();
  go(1);
}

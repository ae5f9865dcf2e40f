// The Bulk Session Wizard (/bulk) and a bulk job's progress page (/bulk/jobs/{id}).
// The wizard keeps its steps in the page; Finish starts the job in scheduling and opens its
// progress page, which polls the job, so closing the page stops nothing.

import { api, clearErrors as clearAll, el, showError as showAll, sessionTemplate, slotRows } from "./slot-rows.js";

const LAST_JOB = "sb_bulk_last_job";
const POLL_MS = 1000;

function localTime(iso, zone) {
  return new Date(iso).toLocaleString("en-GB", {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}

// --- the wizard ---------------------------------------------------------------------------------

function wizard(root) {
  const locations = JSON.parse(document.getElementById("bulk-locations").textContent);
  const errorBox = root.querySelector("[data-error]");
  const requestId = root.dataset.requestId;
  let clients = [];
  let step = 1;

  const $ = (selector) => root.querySelector(selector);
  const value = (id) => document.getElementById(id).value;

  function show(next) {
    step = next;
    for (const section of root.querySelectorAll("[data-step]")) section.hidden = Number(section.dataset.step) !== step;
    for (const mark of root.querySelectorAll("[data-step-mark]")) {
      if (Number(mark.dataset.stepMark) === step) mark.setAttribute("aria-current", "step");
      else mark.removeAttribute("aria-current");
    }
    root.querySelector(`[data-step="${step}"] h2`).focus?.();
  }

  const clearErrors = () => clearAll(root, errorBox);
  const showError = (error) => showAll(root, errorBox, error);

  // step 1: the source of the clients
  for (const radio of root.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", () => {
      for (const field of root.querySelectorAll("[data-source]")) field.hidden = field.dataset.source !== radio.value;
    });
  }

  function selector() {
    const source = root.querySelector("input[name=source]:checked").value;
    const out = { only_without_future_session: document.getElementById("only_without_future").checked };
    if (source === "organization") {
      out.organization = value("organization");
      out.year = Number(value("year") || 0);
    } else {
      out[source] = value(source);
    }
    return out;
  }

  async function choose() {
    const picked = await api("POST", "/api/v1/bulk/selections", selector());
    clients = picked.clients;
    const list = $("[data-client-list]");
    list.replaceChildren(...clients.map((c, i) => el("li", {},
      el("label", {}, el("input", { type: "checkbox", checked: true, value: c.client, id: `client-${i}` }), ` ${c.display_name}`))));
    let summary = `${clients.length} client${clients.length === 1 ? "" : "s"} chosen.`;
    if (picked.excluded_with_future_session) summary += ` ${picked.excluded_with_future_session} left out: they have a future session booked.`;
    $("[data-selection-summary]").textContent = summary + " Unselect anyone who should not get a session.";
    const notKnown = $("[data-not-known]");
    notKnown.hidden = picked.not_known_clients.length === 0;
    notKnown.textContent = `Not bookable yet (scheduling has not received them): ${picked.not_known_clients.map((c) => c.display_name).join(", ")}`;
  }

  function chosen() {
    return [...root.querySelectorAll("[data-client-list] input:checked")].map((input) => input.value);
  }

  for (const button of root.querySelectorAll("[data-all]")) {
    button.addEventListener("click", () => {
      for (const input of root.querySelectorAll("[data-client-list] input")) input.checked = button.dataset.all === "on";
    });
  }

  // step 3: the location's staff and rooms
  function fillSchedules() {
    const loc = locations.find((l) => l.name === value("location")) || { staff: [], rooms: [], time_zone: "" };
    for (const select of root.querySelectorAll("select[data-kind]")) {
      const items = loc[select.dataset.kind];
      select.replaceChildren(el("option", { value: "", textContent: select.dataset.empty }),
        ...items.map((s) => el("option", { value: s.name, textContent: s.display_name })));
    }
    $("[data-zone]").textContent = loc.time_zone;
  }
  document.getElementById("location").addEventListener("change", fillSchedules);
  fillSchedules();

  // step 4: the rows
  const { rowsBox, rows } = slotRows(root);

  function plan() {
    return {
      template: sessionTemplate(value),
      time_slot_rows: rows(),
      clients: chosen(),
    };
  }

  function scheduleName(name) {
    for (const loc of locations) {
      const found = [...loc.staff, ...loc.rooms].find((s) => s.name === name);
      if (found) return found.display_name;
    }
    return name;
  }

  async function verify() {
    const result = await api("POST", "/api/v1/bulk/verifications", plan());
    const zone = (locations.find((l) => l.name === value("location")) || {}).time_zone || "UTC";
    const rowEls = rowsBox.querySelectorAll("[data-row]");
    result.slots_per_row.forEach((slots, i) => {
      rowEls[i].querySelector("[data-row-count]").textContent = `${slots} slots · ${result.clients_per_row[i] ?? 0} clients`;
    });
    const box = $("[data-verify-result]");
    const verdict = result.enough_slots
      ? el("p", { className: "notice", textContent: `${result.slot_count} slots for ${result.client_count} clients: enough for everyone.` })
      : el("p", { className: "warning", textContent: `${result.slot_count} slots for ${result.client_count} clients: ${result.client_count - result.slot_count} more needed. Add a row or widen one.` });
    const perRow = el("ul", { className: "bulk-per-row" }, ...result.slots_per_row.map((slots, i) =>
      el("li", { textContent: `Row ${i + 1}: ${slots} slots, ${result.clients_per_row[i] ?? 0} clients` })));
    const parts = [verdict, perRow];
    if (result.skipped_nonexistent_slots) parts.push(el("p", { className: "muted", textContent: `${result.skipped_nonexistent_slots} slots fall in a clock change and are left out.` }));
    if (result.conflicts.length) {
      parts.push(el("p", { className: "warning", textContent: `${result.conflicts.length} conflict${result.conflicts.length === 1 ? "" : "s"} with existing bookings (these clients will fail unless you book over conflicts):` }));
      parts.push(el("ul", { className: "bulk-conflicts" }, ...result.conflicts.map((c) => {
        const link = c.entry.startsWith("sessions/") ? el("a", { href: `/${c.entry}`, textContent: "the booking" }) : el("span", { textContent: "time off" });
        return el("li", {}, `Slot ${c.slot_index + 1} (${localTime(c.slot_start, zone)}): ${scheduleName(c.schedule)} already has `, link);
      })));
    } else {
      parts.push(el("p", { className: "muted", textContent: "No conflicts with existing bookings." }));
    }
    box.replaceChildren(...parts);
    box.hidden = false;
    return result;
  }

  async function guarded(action) {
    clearErrors();
    try {
      await action();
    } catch (error) {
      showError(error);
    }
  }

  $('[data-next="1"]').addEventListener("click", () => guarded(async () => { await choose(); show(2); }));
  $('[data-next="2"]').addEventListener("click", () => guarded(async () => {
    if (chosen().length === 0) throw new Error("Choose at least one client.");
    show(3);
  }));
  $('[data-next="3"]').addEventListener("click", () => guarded(async () => {
    if (!value("session_type")) {
      const e = new Error("Choose the session type.");
      e.fields = [{ field: "template.session_type", detail: "choose the session type" }];
      throw e;
    }
    show(4);
  }));
  $('[data-next="4"]').addEventListener("click", () => guarded(async () => {
    const result = await verify();
    const count = Math.min(result.slot_count, result.client_count);
    $("[data-finish-summary]").textContent =
      `${count} session${count === 1 ? "" : "s"} will be created for ${result.client_count} clients` +
      (result.enough_slots ? "." : `; ${result.client_count - result.slot_count} clients have no slot and will fail.`) +
      (result.conflicts.length ? ` ${result.conflicts.length} slot(s) conflict with existing bookings.` : "");
    show(5);
  }));
  for (const back of root.querySelectorAll("[data-back]")) {
    back.addEventListener("click", () => { clearErrors(); show(Number(back.dataset.back) - 1); });
  }
  $("[data-verify]").addEventListener("click", () => guarded(verify));
  $("[data-finish]").addEventListener("click", (event) => guarded(async () => {
    event.target.disabled = true;
    try {
      const job = await api("POST", "/api/v1/bulk/jobs", {
        ...plan(), allow_conflicts: document.getElementById("allow_conflicts").checked, request_id: requestId,
      });
      localStorage.setItem(LAST_JOB, job.id);
      window.location.assign(`/bulk/jobs/${job.id}`);
    } finally {
      event.target.disabled = false;
    }
  }));

  // a job started earlier and still running: offer its progress page
  const last = localStorage.getItem(LAST_JOB);
  if (last) {
    api("GET", `/api/v1/bulk/jobs/${last}`).then((job) => {
      if (job.state !== "running") return;
      root.querySelector("[data-last-job-link]").href = `/bulk/jobs/${last}`;
      root.querySelector("[data-last-job]").hidden = false;
    }).catch(() => localStorage.removeItem(LAST_JOB));
  }
}

// --- a job's progress ---------------------------------------------------------------------------

function progressPage(root) {
  const id = root.dataset.bulkJob;
  const q = (selector) => root.querySelector(selector);

  function paint(job) {
    const bar = q("[data-progress]");
    bar.max = Math.max(job.total, 1);
    bar.value = job.done + job.failures;
    q("[data-done]").textContent = String(job.done);
    q("[data-failed]").textContent = String(job.failures);
    q("[data-total]").textContent = String(job.total);
    q("[data-state]").textContent = job.state === "succeeded" ? "Finished" : "Creating sessions";
  }

  async function results() {
    const { items } = await api("GET", `/api/v1/bulk/jobs/${id}/items`);
    const failed = items.filter((i) => i.state === "failed");
    q("[data-failed-title]").hidden = failed.length === 0;
    q("[data-failures]").replaceChildren(...failed.map((i) =>
      el("li", {}, el("strong", { textContent: i.client_name }), ` (${i.start}): ${i.failure}`)));
    const created = items.filter((i) => i.state === "done");
    q("[data-created]").replaceChildren(...created.map((i) => el("tr", {},
      el("td", { textContent: String(i.position + 1) }),
      el("td", { textContent: i.client_name }),
      el("td", { textContent: i.start }),
      el("td", {}, el("a", { href: `/${i.session}`, textContent: "Open" })))));
    q("[data-results]").hidden = false;
    const first = created[0] || items[0];
    const link = q("[data-calendar-link]");
    if (first) {
      const location = root.dataset.location.replace("locations/", "");
      link.querySelector("a").href = `/calendar?location=${location}&view=week&date=${first.day}`;
    }
    link.hidden = false;
  }

  async function poll() {
    try {
      const job = await api("GET", `/api/v1/bulk/jobs/${id}`);
      paint(job);
      if (job.state === "succeeded") {
        if (localStorage.getItem(LAST_JOB) === id) localStorage.removeItem(LAST_JOB);
        await results();
        return;
      }
    } catch (error) {
      q("[data-state]").textContent = `Could not read the job (${error.message}); trying again`;
    }
    setTimeout(poll, POLL_MS);
  }
  poll();
}

const wizardRoot = document.querySelector("[data-bulk]");
if (wizardRoot) wizard(wizardRoot);
const jobRoot = document.querySelector("[data-bulk-job]");
if (jobRoot) progressPage(jobRoot);

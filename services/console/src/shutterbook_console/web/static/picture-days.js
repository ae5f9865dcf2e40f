// Picture days: the "New picture day" form (/picture-days/new) and a day's page
// (/picture-days/{id}), whose progress is read again every few seconds without reloading.

import { api, clearErrors, el, showError, sessionTemplate, slotRows } from "./slot-rows.js";

const POLL_MS = 3000;

function form(root) {
  const locations = JSON.parse(document.getElementById("bulk-locations").textContent);
  const errorBox = root.querySelector("[data-error]");
  const value = (id) => document.getElementById(id).value;

  for (const radio of root.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", () => {
      for (const field of root.querySelectorAll("[data-source]")) field.hidden = field.dataset.source !== radio.value;
    });
  }

  function fillSchedules() {
    const loc = locations.find((l) => l.name === value("location")) || { staff: [], rooms: [], time_zone: "" };
    for (const select of root.querySelectorAll("select[data-kind]")) {
      select.replaceChildren(el("option", { value: "", textContent: select.dataset.empty }),
        ...loc[select.dataset.kind].map((s) => el("option", { value: s.name, textContent: s.display_name })));
    }
    for (const zone of root.querySelectorAll("[data-zone]")) zone.textContent = loc.time_zone;
  }
  document.getElementById("location").addEventListener("change", fillSchedules);
  fillSchedules();
  const { rows } = slotRows(root);

  function body() {
    const source = root.querySelector("input[name=source]:checked").value;
    const families = source === "group"
      ? { group: value("group") }
      : { organization: value("organization"), year: Number(value("year") || 0) };
    return {
      display_name: value("display_name"),
      families,
      template: sessionTemplate(value),
      time_slot_rows: rows(),
      siblings_per_slot: Number(value("siblings_per_slot") || 0),
      open_time: value("open_time"),
      close_time: value("close_time"),
      close_action: root.querySelector("input[name=close_action]:checked").value,
      request_id: root.dataset.requestId,
    };
  }

  // a button, not a form's submit: console.js would disable a form's buttons for good
  // rendered disabled: a click before this script runs would do nothing at all
  const button = root.querySelector("[data-create]");
  button.disabled = false;
  button.addEventListener("click", async () => {
    clearErrors(root, errorBox);
    button.disabled = true;
    try {
      const day = await api("POST", "/api/v1/picture-days", body());
      window.location.assign(`/picture-days/${day.id}`);
    } catch (error) {
      const first = showError(root, errorBox, error);
      (first || errorBox).focus?.();
      button.disabled = false;
    }
  });
}

function progress(root) {
  const id = root.dataset.pictureDay;
  const q = (selector) => root.querySelector(selector);

  async function poll() {
    try {
      const p = await api("GET", `/api/v1/picture-days/${id}/progress`);
      for (const span of root.querySelectorAll("[data-count]")) span.textContent = String(p[span.dataset.count]);
      const bar = q("[data-bar]");
      bar.max = Math.max(p.families_total, 1);
      bar.value = p.families_booked;
      q("[data-window]").textContent = `· ${p.window}`;
      q("[data-progress-state]").textContent = "";
    } catch (error) {
      q("[data-progress-state]").textContent = ` · could not read the progress (${error.message}); trying again`;
    }
    setTimeout(poll, POLL_MS);
  }
  setTimeout(poll, POLL_MS);
}

const formRoot = document.querySelector("[data-picture-day-form]");
if (formRoot) form(formRoot);
const dayRoot = document.querySelector("[data-picture-day]");
if (dayRoot) progress(dayRoot);

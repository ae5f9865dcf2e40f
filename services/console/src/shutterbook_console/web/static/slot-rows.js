// Shared by the Bulk Session Wizard (bulk.js) and the picture day form (picture-days.js): the
// console's JSON calls, the time-slot rows (add, remove, read), the session template, and field errors placed by
// their field (`time_slot_rows[1].end_date` on its row, the rest by `data-error-for`).

export function csrfHeader() {
  const match = document.cookie.match(/(?:^|;\s*)sb_console_csrf=([^;]+)/);
  return match ? { "x-csrf-token": decodeURIComponent(match[1]) } : {};
}

export async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json", ...csrfHeader() } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.detail || data.title || `The request failed (${response.status}).`);
    error.fields = data.errors || [];
    throw error;
  }
  return data;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

// The rows of `root`: `[data-rows]` holds them, `[data-row-template]` is one, `[data-add-row]` adds one.
export function slotRows(root) {
  const rowsBox = root.querySelector("[data-rows]");
  const rowTemplate = root.querySelector("[data-row-template]");
  function renumber() {
    const rows = rowsBox.querySelectorAll("[data-row]");
    rows.forEach((row, i) => {
      row.querySelector("[data-row-number]").textContent = String(i + 1);
      for (const input of row.querySelectorAll("[data-f]")) input.setAttribute("aria-describedby", `row-${i}-errors`);
      row.querySelector("[data-row-errors]").id = `row-${i}-errors`;
      row.querySelector("[data-remove-row]").hidden = rows.length === 1;
    });
  }
  function addRow() {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector("[data-remove-row]").addEventListener("click", () => { row.remove(); renumber(); });
    rowsBox.append(row);
    renumber();
    return row;
  }
  root.querySelector("[data-add-row]").addEventListener("click", () => addRow().querySelector("input").focus());
  addRow();

  function rows() {
    return [...rowsBox.querySelectorAll("[data-row]")].map((row) => {
      const f = (name) => row.querySelector(`[data-f="${name}"]`);
      return {
        start_date: f("start_date").value,
        end_date: f("end_date").value,
        start_time: f("start_time").value,
        end_time: f("end_time").value,
        session_duration_minutes: Number(f("session_duration_minutes").value || 0),
        exclude_saturdays: f("exclude_saturdays").checked,
        exclude_sundays: f("exclude_sundays").checked,
        break_start: f("break_start").value,
        break_end: f("break_end").value,
        minutes_between_sessions: Number(f("minutes_between_sessions").value || 0),
      };
    });
  }
  return { rowsBox, rows };
}

// What every session of the wizard or the day gets, from the form's fields (by id).
export function sessionTemplate(value) {
  return {
    location: value("location"),
    description: value("description"),
    session_type: value("session_type"),
    status: value("status"),
    photographer: value("photographer"),
    assistant: value("assistant"),
    camera_room: value("camera_room"),
  };
}

export function clearErrors(root, errorBox) {
  errorBox.hidden = true;
  errorBox.textContent = "";
  for (const p of root.querySelectorAll("[data-error-for], [data-row-errors]")) { p.hidden = true; p.textContent = ""; }
  for (const input of root.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

export function showError(root, errorBox, error) {
  const unplaced = [];
  let first = null;
  for (const { field, detail } of error.fields || []) {
    const row = field.match(/^time_slot_rows\[(\d+)\]\.(\w+)/);
    const target = row
      ? root.querySelectorAll("[data-row]")[Number(row[1])]?.querySelector("[data-row-errors]")
      : root.querySelector(`[data-error-for="${field}"]`);
    if (!target) { unplaced.push(`${field}: ${detail}`); continue; }
    const label = row ? `${row[2].replaceAll("_", " ")}: ` : "";
    target.textContent = (target.textContent ? target.textContent + " · " : "⚠ ") + label + detail;
    target.hidden = false;
    const input = row
      ? root.querySelectorAll("[data-row]")[Number(row[1])].querySelector(`[data-f="${row[2]}"]`)
      : target.closest(".field")?.querySelector("input, select");
    input?.setAttribute("aria-invalid", "true");
    first = first || input;
  }
  const placed = (error.fields || []).length - unplaced.length;
  const lead = placed ? `Please correct the field${placed === 1 ? "" : "s"} marked below.` : error.message;
  errorBox.textContent = lead + (unplaced.length ? ` (${unplaced.join("; ")})` : "");
  errorBox.hidden = false;
  return first;
}

// The calendar page: @event-calendar (vendored) fed by ONE console call per view change,
// GET /api/v1/calendar, which returns the columns, the bookings and the shading of the range.
// Times arrive as the location's wall clock with no offset; the widget runs in 'UTC' so they
// are placed as given whatever the browser's own zone.

const root = document.querySelector("[data-calendar]");
const widget = root && root.querySelector("[data-widget]");

function csrfHeader() {
  const match = document.cookie.match(/(?:^|;\s*)sb_console_csrf=([^;]+)/);
  return match ? { "x-csrf-token": decodeURIComponent(match[1]) } : {};
}

function localString(date) {
  return date.toISOString().slice(0, 19); // UTC fields hold the location's wall clock
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

if (widget) {
  const status = root.querySelector("[data-status]");
  const locationSelect = root.querySelector("[data-location-select]");
  const scheduleSelect = root.querySelector("[data-schedule-select]");
  const zoneLabel = root.querySelector("[data-zone]");
  const dialog = root.querySelector("[data-confirm]");
  let location = root.dataset.location;
  let schedule = root.dataset.schedule || "";
  let loaded = { resources: [], events: [], shading: [] };
  let range = null;
  let loadSeq = 0;
  let lastClick = null;

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  }

  function remember() {
    const params = new URLSearchParams({ location, view: calendar.getOption("view") === "resourceTimeGridWeek" ? "week" : "day" });
    if (range) params.set("date", range.start);
    if (schedule) params.set("schedule", schedule);
    history.replaceState(null, "", `/calendar?${params}`);
  }

  function show() {
    const resources = loaded.resources
      .filter((r) => !schedule || r.id === schedule)
      .map((r) => ({ id: r.id, title: r.title, extendedProps: { kind: r.kind } }));
    const columnIds = resources.map((r) => r.id);
    const events = loaded.events
      .filter((e) => columnIds.includes(e.resource_id))
      .map((e) => ({
        id: e.id,
        resourceIds: [e.resource_id],
        start: e.start,
        end: e.end,
        title: e.title,
        backgroundColor: e.color,
        editable: e.kind === "session",
        startEditable: e.kind === "session",
        durationEditable: false,
        classNames: [`ev-${e.kind}`],
        extendedProps: e,
      }));
    const shades = loaded.shading.map((s, i) => ({
      id: `shade-${i}`,
      start: s.start,
      end: s.end,
      display: "background",
      resourceIds: s.resource_id ? [s.resource_id] : columnIds,
      classNames: [`shade-${s.kind}`],
    }));
    calendar.setOption("resources", resources);
    calendar.setOption("events", [...shades, ...events]);
    const sessions = new Set(events.filter((e) => e.extendedProps.kind === "session").map((e) => e.extendedProps.entry)).size;
    const shown = schedule ? resources[0].title : loaded.location_name;
    say(`${shown}: ${sessions} session${sessions === 1 ? "" : "s"} in view.`);
  }

  function fillScheduleChoices() {
    const keep = schedule;
    scheduleSelect.replaceChildren(new Option("All staff and rooms", ""));
    for (const r of loaded.resources) {
      scheduleSelect.append(new Option(`${r.title}${r.kind === "room" ? " (room)" : ""}`, r.id));
    }
    schedule = loaded.resources.some((r) => r.id === keep) ? keep : "";
    scheduleSelect.value = schedule;
  }

  async function load() {
    if (!range || !location) return;
    const seq = ++loadSeq;
    say("Loading…");
    const params = new URLSearchParams({
      location,
      start: range.start,
      end: range.end,
    });
    let response;
    try {
      response = await fetch(`/api/v1/calendar?${params}`, { headers: { accept: "application/json" } });
    } catch {
      say("The calendar could not be loaded: check the connection and try again.", true);
      return;
    }
    if (seq !== loadSeq) return; // a newer view change won
    if (response.status === 401) {
      window.location.assign("/login");
      return;
    }
    const body = await response.json();
    if (!response.ok) {
      say(body.detail || body.title || "The calendar could not be loaded.", true);
      return;
    }
    loaded = body;
    zoneLabel.textContent = `Times are ${body.location_name} time (${body.time_zone}).`;
    fillScheduleChoices();
    show();
    remember();
  }

  function describeConflict(conflict) {
    const other = loaded.events.find((e) => e.entry === conflict.entry);
    if (!other) return "another booking or time off on that column";
    const when = `${other.start.slice(11, 16)}–${other.end.slice(11, 16)}`;
    const who = other.client_name ? ` for ${other.client_name}` : "";
    const column = loaded.resources.find((r) => r.id === other.resource_id);
    return `${other.title}${who}, ${when}${column ? ` on ${column.title}` : ""}`;
  }

  function confirmMove(problem) {
    const intro = dialog.querySelector("[data-confirm-intro]");
    const list = dialog.querySelector("[data-confirm-list]");
    list.replaceChildren();
    if (problem.conflicts) {
      intro.textContent = "The new time conflicts with:";
      const seen = new Set();
      for (const c of problem.conflicts) {
        const text = describeConflict(c);
        if (!seen.has(text)) list.append(el("li", "", text));
        seen.add(text);
      }
    } else {
      intro.textContent = "The new time is:";
      for (const w of problem.warnings || []) list.append(el("li", "", w));
    }
    dialog.showModal();
    return new Promise((resolve) => {
      const ok = dialog.querySelector("[data-confirm-ok]");
      const cancel = dialog.querySelector("[data-confirm-cancel]");
      const done = (answer) => {
        ok.removeEventListener("click", onOk);
        cancel.removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        resolve(answer);
      };
      const onOk = () => done(true);
      const onCancel = (event) => { event.preventDefault(); done(false); };
      ok.addEventListener("click", onOk);
      cancel.addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel);
      cancel.focus();
    });
  }

  async function sendMove(body) {
    const response = await fetch("/api/v1/calendar/moves", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...csrfHeader() },
      body: JSON.stringify(body),
    });
    return { response, problem: response.ok ? null : await response.json() };
  }

  async function onDrop(info) {
    const props = info.event.extendedProps;
    const body = {
      session: props.entry,
      from_schedule: props.resource_id,
      to_schedule: info.newResource ? String(info.newResource.id) : "",
      start: localString(info.event.start),
      end: localString(info.event.end),
    };
    say("Checking the new time…");
    let { response, problem } = await sendMove(body);
    if (response.status === 409 && (problem.conflicts || problem.warnings)) {
      if (!(await confirmMove(problem))) {
        info.revert();
        say("Not moved: the session stays where it was.");
        return;
      }
      ({ response, problem } = await sendMove({ ...body, book_anyway: true }));
    }
    if (!response.ok) {
      info.revert();
      const fields = (problem.errors || []).map((e) => `${e.field}: ${e.detail}`).join("; ");
      say(`Not moved: ${problem.detail || problem.title}${fields ? ` (${fields})` : ""}`, true);
      return;
    }
    say(`Moved to ${body.start.slice(0, 10)} ${body.start.slice(11, 16)}.`);
    await load();
  }

  function onDateClick(info) {
    // a double click on a free time: two clicks on the same slot within 500 ms
    const key = `${info.dateStr}|${info.resource ? info.resource.id : ""}`;
    const now = Date.now();
    if (lastClick && lastClick.key === key && now - lastClick.at < 500) {
      lastClick = null;
      const params = new URLSearchParams({ location, start: localString(info.date) });
      if (info.resource) params.set("schedule", String(info.resource.id));
      window.location.assign(`/wizard?${params}`);
      return;
    }
    lastClick = { key, at: now };
  }

  function content(info) {
    const e = info.event.extendedProps;
    if (!e || !e.kind) return undefined;
    const first = el("div", "ev-line", "");
    first.append(el("span", "ev-time", info.timeText));
    if (e.confirmed) first.append(el("span", "ev-confirmed", "Confirmed"));
    const nodes = [first];
    if (e.client_name) nodes.push(el("div", "ev-client", e.client_name));
    nodes.push(el("div", "ev-title", e.kind === "appointment" ? `${e.type_name}: ${e.title}` : e.title));
    return { domNodes: nodes };
  }

  const initialView = root.dataset.view === "week" ? "resourceTimeGridWeek" : "resourceTimeGridDay";
  const calendar = EventCalendar.create(widget, {
    view: initialView,
    date: root.dataset.date || undefined,
    timeZone: "UTC",
    height: "calc(100vh - 220px)",
    headerToolbar: { start: "prev,next today", center: "title", end: "resourceTimeGridDay,resourceTimeGridWeek" },
    buttonText: (text) => ({ ...text, today: "Today", resourceTimeGridDay: "Day", resourceTimeGridWeek: "Week" }),
    datesAboveResources: true,
    columnWidth: "minmax(104px, 1fr)", // many columns scroll sideways rather than squeeze
    firstDay: 1,
    allDaySlot: false,
    slotMinTime: "07:00",
    slotMaxTime: "21:00",
    scrollTime: "07:00",
    slotDuration: "00:15",
    slotLabelInterval: "01:00",
    slotHeight: 18,
    eventStartEditable: true,
    eventDurationEditable: false,
    dayMaxEvents: true,
    resources: [],
    events: [],
    eventContent: content,
    resourceLabelContent: (info) => ({
      domNodes: [el("span", info.resource.extendedProps.kind === "room" ? "head-room" : "head-staff", info.resource.title)],
    }),
    datesSet: (info) => {
      range = { start: info.startStr.slice(0, 10), end: info.endStr.slice(0, 10) };
      load();
    },
    eventDrop: (info) => { onDrop(info); },
    eventClick: (info) => {
      const e = info.event.extendedProps;
      if (e && e.kind === "session") window.location.assign(`/${e.entry}`);
    },
    dateClick: onDateClick,
  });

  locationSelect.addEventListener("change", () => {
    location = locationSelect.value;
    schedule = "";
    load();
  });
  scheduleSelect.addEventListener("change", () => {
    schedule = scheduleSelect.value;
    show();
    remember();
  });
}

// "Find the client by name": narrows the client list as you type.
for (const search of document.querySelectorAll("[data-filter-for]")) {
  const list = document.getElementById(search.dataset.filterFor);
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const option of list.options) {
      option.hidden = !words.every((w) => option.textContent.toLowerCase().includes(w));
    }
  });
}

// Tabs over the sections of a record (`[data-tabs]`): each link of `.tab-list` becomes a tab of
// the section it points at. Without this script every section shows, one under the other.
for (const box of document.querySelectorAll("[data-tabs]")) {
  const list = box.querySelector(".tab-list");
  const links = [...list.querySelectorAll("a[href^='#']")];
  const panels = links.map((a) => box.querySelector(a.getAttribute("href")));
  list.setAttribute("role", "tablist");
  const show = (index, focus) => {
    links.forEach((a, i) => {
      const on = i === index;
      a.setAttribute("aria-selected", String(on));
      a.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    if (focus) links[index].focus();
  };
  links.forEach((a, i) => {
    a.setAttribute("role", "tab");
    a.id = `tab-${panels[i].id}`;
    a.setAttribute("aria-controls", panels[i].id);
    panels[i].setAttribute("role", "tabpanel");
    panels[i].setAttribute("aria-labelledby", a.id);
    a.addEventListener("click", (event) => {
      event.preventDefault();
      history.replaceState(null, "", a.getAttribute("href"));
      show(i, false);
    });
    a.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) show((i + step + links.length) % links.length, true);
    });
  });
  const wanted = links.findIndex((a) => a.getAttribute("href") === location.hash);
  // a page with a field in error opens on the tab that holds it
  const failing = panels.findIndex((p) => p.querySelector("[aria-invalid='true']"));
  show(failing >= 0 ? failing : Math.max(wanted, 0), false);
}

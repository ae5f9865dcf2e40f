// Small progressive enhancements; every form works without JavaScript except the reset link,
// whose token travels in the URL fragment (never sent to a server log) and is copied here.

const resetForm = document.querySelector("[data-reset-form]");
if (resetForm) {
  const tokenInput = resetForm.querySelector("[data-reset-token]");
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromFragment) {
    tokenInput.value = fromFragment;
    history.replaceState(null, "", window.location.pathname); // the token leaves the address bar
  }
  if (!tokenInput.value) {
    resetForm.querySelector("[data-no-token]").hidden = false;
    resetForm.querySelector("[data-needs-token]").hidden = true;
  }
}

// After a refused submit, put the keyboard on the first field in error.
const firstInvalid = document.querySelector("[aria-invalid='true']");
if (firstInvalid) {
  firstInvalid.focus();
}

// A form is submitted once: a double click does not send the password twice.
for (const form of document.querySelectorAll("form")) {
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button[type='submit']")) {
      button.setAttribute("aria-disabled", "true");
      setTimeout(() => { button.disabled = true; }, 0);
    }
  });
}

// Alt+N opens the Scheduling Wizard from any page (the "New" button in the top bar).
document.addEventListener("keydown", (event) => {
  if (event.altKey && !event.ctrlKey && !event.metaKey && event.key.toLowerCase() === "n" && document.querySelector(".nav-new")) {
    event.preventDefault();
    window.location.assign("/wizard");
  }
});

// "Copy Online Booking URL": the link into the clipboard (the field stays selectable by hand).
for (const box of document.querySelectorAll("[data-copy]")) {
  const input = box.querySelector("input");
  const status = box.querySelector("[data-copy-status]");
  box.querySelector("[data-copy-button]").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied.";
    } catch {
      input.select();
      status.textContent = document.execCommand("copy") ? "Copied." : "Select the link and copy it.";
    }
  });
}

// What the customer reads before paying and after booking: the price with tax and what is due,
// the type's cancellation policy, and "add to my calendar" (an .ics download and a Google link).

import { formatMoney, h } from "./dom.js";

/** Rows of the price: subtotal, tax, total, due now, balance (the type's quote from the API). */
export function priceBreakdown(type, charged = null) {
  const q = type && type.price;
  if (!q) {
    if (type && type.display_price) return h("p", { class: "price-line" }, `Price: ${formatMoney(type.display_price)}`);
    return null;
  }
  const paid = charged || (type.payment && type.payment.required ? q.due_now : null);
  const balance = paid ? { ...q.total, amount_minor: Math.max(q.total.amount_minor - paid.amount_minor, 0) } : q.total;
  const rows = [
    ["Session fee", q.subtotal],
    ["Tax", q.tax],
    ["Total", q.total, "total"],
  ];
  if (paid && paid.amount_minor) rows.push([charged ? "Paid now" : "Due now", paid, "due"]);
  rows.push([paid && paid.amount_minor ? "Balance, paid at the studio" : "Paid at the studio", balance, "balance"]);
  return h(
    "dl",
    { class: "price", "data-price": "true" },
    rows.flatMap(([label, money, cls]) => [
      h("dt", { class: cls || "" }, label),
      h("dd", { class: cls || "", "data-amount": cls || label.toLowerCase() }, formatMoney(money)),
    ]),
  );
}

/** The cancellation policy in a sentence or two. */
export function policyText(policy) {
  const reschedule = "You can move your booking to another open time online at no charge.";
  switch (policy && policy.kind) {
    case "refund_in_full":
      return `Free cancellation: if you cancel online, everything you paid online is refunded. ${reschedule}`;
    case "keep_deposit":
      return `If you cancel, what you paid online when booking is kept by the studio. ${reschedule}`;
    case "keep_fee":
      return `If you cancel online, a ${formatMoney(policy.fee)} cancellation fee is kept and the rest of what you paid online is refunded. ${reschedule}`;
    default:
      return `Cancelling online does not refund payments by itself: the studio decides on any refund. ${reschedule}`;
  }
}

export function policyNote(policy) {
  return h(
    "div",
    { class: "policy", "data-policy": (policy && policy.kind) || "studio_decides" },
    h("p", { class: "policy-title" }, "Cancellation policy"),
    h("p", {}, policyText(policy)),
  );
}

/** After a cancellation: what came back and what was kept. */
export function cancellationOutcome(booking) {
  const charged = booking.payment && booking.payment.charged;
  if (!charged) return h("p", { "data-outcome": "nothing-paid" }, "Nothing was paid online, so nothing is refunded.");
  const refunded = booking.payment.refunded;
  const back = refunded ? refunded.amount_minor : 0;
  const kept = { ...charged, amount_minor: charged.amount_minor - back };
  if (!back) return h("p", { "data-outcome": "kept" }, `The ${formatMoney(charged)} paid online is not refunded (the studio's cancellation policy).`);
  return h(
    "p",
    { "data-outcome": "refunded" },
    `${formatMoney(refunded)} is refunded to your card` +
      (kept.amount_minor ? `; ${formatMoney(kept)} is kept as the cancellation fee.` : "."),
  );
}

function googleTime(iso) {
  return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** "Add to calendar": the .ics file (any calendar app) and a Google Calendar link. */
export function calendarLinks(booking, api) {
  const status = h("span", { class: "hint", "aria-live": "polite" });
  const download = h(
    "button",
    { type: "button", class: "button", "data-ics": "true" },
    "Download .ics file",
  );
  download.addEventListener("click", async () => {
    try {
      const blob = await api.calendarFile(booking.id);
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: "booking.ics" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = "Calendar file downloaded.";
    } catch {
      status.textContent = "The calendar file could not be made. Please try again.";
    }
  });
  const google = new URL("https://calendar.google.com/calendar/render");
  google.searchParams.set("action", "TEMPLATE");
  google.searchParams.set("text", booking.type?.name || "Booking");
  google.searchParams.set("dates", `${googleTime(booking.start_time)}/${googleTime(booking.end_time)}`);
  google.searchParams.set("location", booking.location?.address_text || booking.location?.name || "");
  google.searchParams.set("ctz", booking.time_zone || "");
  return h(
    "div",
    { class: "card add-to-calendar" },
    h("p", { class: "card-title" }, "Add to your calendar"),
    h("p", { class: "hint" }, "The .ics file opens in Apple Calendar, Outlook and most calendar apps."),
    h(
      "div",
      { class: "actions" },
      download,
      h("a", { class: "button", href: google.href, target: "_blank", rel: "noopener" }, "Google Calendar"),
    ),
    status,
  );
}

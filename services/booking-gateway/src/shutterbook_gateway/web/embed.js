/*
 * Shutterbook booking page embed. On a partner's page:
 *
 *   <script src="https://GATEWAY/book/embed.js" data-key="sbk_..." data-type="session-types/ID" async></script>
 *
 * inserts the booking page as an iframe right after the script tag (or into the element named by
 * data-target="#some-id"). data-type is optional ("session-types/ID" or "appointment-types/ID" skips the
 * type choice); data-title sets the iframe's accessible title. The iframe grows with its content: the page
 * posts its height, and only messages from this iframe's window and the gateway's origin are believed.
 * The same page works as a plain iframe: <iframe src="https://GATEWAY/book?key=sbk_..." title="Book online">.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    // very old browsers: the last embed script on the page that has not been handled yet
    var all = document.querySelectorAll('script[src*="/book/embed.js"]:not([data-shutterbook-done])');
    script = all[all.length - 1];
  }
  if (!script || script.getAttribute("data-shutterbook-done")) return;
  script.setAttribute("data-shutterbook-done", "true");

  var origin = new URL(script.src, document.baseURI).origin;
  var key = script.getAttribute("data-key") || "";
  var type = script.getAttribute("data-type") || "";
  var path = /^(session-types|appointment-types)\/[A-Za-z0-9-]+$/.test(type) ? "/book/" + type : "/book";
  var src = new URL(path, origin);
  if (key) src.searchParams.set("key", key);

  var frame = document.createElement("iframe");
  frame.src = src.href;
  frame.title = script.getAttribute("data-title") || "Book online";
  frame.setAttribute("data-shutterbook-booking", "true");
  frame.setAttribute("loading", "eager");
  frame.setAttribute("allow", "payment");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.display = "block";
  frame.style.minHeight = "480px";
  frame.style.height = "640px";

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "shutterbook:height") return;
    var height = Number(data.height);
    if (isFinite(height) && height > 0) {
      frame.style.minHeight = "0";
      frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
    }
  });

  var targetSelector = script.getAttribute("data-target");
  var target = targetSelector ? document.querySelector(targetSelector) : null;
  if (target) target.appendChild(frame);
  else script.parentNode.insertBefore(frame, script.nextSibling);
})();

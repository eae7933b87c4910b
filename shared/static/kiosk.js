// A kiosk is a screen shared by everyone at one workplace: a page left alone for the idle time
// (data-idle-seconds on <html>) goes back to the empty form (data-idle-home) and forgets what was
// typed; location.replace keeps the last worker's page out of the history.
(function () {
  "use strict";
  var root = document.documentElement;
  var home = root.getAttribute("data-idle-home");
  var seconds = Number(root.getAttribute("data-idle-seconds")) || 75;
  if (!home) return;
  var timer = null;
  var used = false;

  function goHome() {
    var here = location.pathname + location.search;
    if (here === home && !used) { wait(); return; }  // already the empty form: nothing to forget
    location.replace(home);
  }

  function wait() {
    clearTimeout(timer);
    timer = setTimeout(goHome, seconds * 1000);
  }

  function touched() { used = true; wait(); }

  ["pointerdown", "keydown", "input", "wheel", "scroll", "touchstart"].forEach(function (type) {
    window.addEventListener(type, touched, { capture: true, passive: true });
  });
  // Leaving the page (Back, a link, a submission already sent): blank the typed text so that no
  // cached copy of this page can show it; a copy brought back from the back-forward cache goes home.
  window.addEventListener("pagehide", function () {
    var fields = document.querySelectorAll("textarea, input[type=text], input[type=tel], input[type=email]");
    Array.prototype.forEach.call(fields, function (field) { field.value = ""; });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) location.replace(home);
  });
  wait();
})();

// Progressive enhancements only: every page works without JavaScript.
(function () {
  "use strict";
  // Error summary (GOV.UK pattern): focus it on load; its links focus their field.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var label = target.closest("fieldset") || document.querySelector("label[for='" + target.id + "']") || target;
      label.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }
})();

(function () {
  "use strict";
  // Ask before removing an email address (account settings).
  var box = document.querySelector("[data-confirm-remove]");
  var remove = box && box.querySelector("[name='action_remove']");
  if (remove) {
    remove.addEventListener("click", function (event) {
      if (!window.confirm(box.getAttribute("data-confirm-remove"))) event.preventDefault();
    });
  }
})();

(function () {
  "use strict";
  // The menu button of narrow screens opens and closes the menu (all Bootstrap's script did).
  document.querySelectorAll("[data-bs-toggle='collapse']").forEach(function (button) {
    var menu = document.querySelector(button.getAttribute("data-bs-target"));
    if (!menu) return;
    button.classList.add("collapsed");
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("show");
      button.classList.toggle("collapsed", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();

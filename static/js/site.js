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

(function () {
  "use strict";
  // The full-training chooser: once a prerequisite's date is picked, dates that would start
  // before it ends are disabled and say why (the server refuses them too, next to the field).
  var form = document.querySelector("[data-bundle-chooser]");
  if (!form) return;
  var template = form.getAttribute("data-note-before");
  function group(offeringId) {
    return form.querySelector("fieldset[data-offering='" + offeringId + "']");
  }
  function update() {
    form.querySelectorAll("fieldset[data-requires]").forEach(function (fieldset) {
      var requires = fieldset.getAttribute("data-requires").split(" ").filter(Boolean);
      fieldset.querySelectorAll("input[type='radio']").forEach(function (input) {
        if (input.hasAttribute("data-never")) return;
        var reason = "";
        requires.forEach(function (offeringId) {
          var required = group(offeringId);
          var first = required && required.querySelector("input:checked");
          if (reason || !first) return;
          if (Date.parse(first.getAttribute("data-ends")) > Date.parse(input.getAttribute("data-starts"))) {
            reason = template.split("{required}").join(required.getAttribute("data-label"))
              .split("{date}").join(first.getAttribute("data-day"));
          }
        });
        input.disabled = Boolean(reason);
        if (reason && input.checked) input.checked = false;
        document.getElementById(input.id + "_note").textContent = reason;
      });
    });
  }
  form.addEventListener("change", update);
  update();
})();

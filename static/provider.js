/* Provider console: small enhancements. Every console page works without this file. */
(function () {
  "use strict";

  // "Use this device's location" on the branch form: fills latitude and longitude (6 decimals,
  // about 10 cm: a branch is a precise place) and lets the person check them before saving.
  function enable(root) {
    if (!("geolocation" in navigator)) return;
    root.querySelectorAll("button[data-locate-branch]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      var form = button.form;
      var status = form.querySelector("[data-locate-status]");
      function say(text) {
        if (status) status.textContent = text || "";
      }
      button.addEventListener("click", function () {
        button.disabled = true;
        say(button.dataset.waiting);
        navigator.geolocation.getCurrentPosition(
          function (position) {
            form.elements.latitude.value = position.coords.latitude.toFixed(6);
            form.elements.longitude.value = position.coords.longitude.toFixed(6);
            button.disabled = false;
            say(button.dataset.done);
          },
          function () {
            button.disabled = false;
            say(button.dataset.failed);
          },
          { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
        );
      });
    });
  }

  enable(document);
  document.addEventListener("htmx:load", function (event) {
    enable(event.target);
  });
})();

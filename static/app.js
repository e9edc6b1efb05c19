/* Konexi: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // "Use my location": asks the browser only when tapped, sends a coarse position (2 decimals,
  // about 1 km) through the location form, the same way the city list does without JavaScript.
  function coarse(value) {
    return (Math.round(value * 100) / 100).toFixed(2);
  }

  // htmx may have changed the search and category since the page loaded: the location form
  // sends the current ones so that the feed comes back as the visitor left it.
  function keepFilters(locateForm) {
    var filters = document.querySelector("form.filters");
    if (!filters) return;
    var chosen = filters.elements.category;
    locateForm.elements.category.value = chosen ? chosen.value : "";
    locateForm.elements.q.value = filters.elements.q ? filters.elements.q.value : "";
  }

  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form.locate")) keepFilters(event.target);
  });

  function enableLocateButtons(root) {
    if (!("geolocation" in navigator)) return;
    root.querySelectorAll("button[data-locate]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      button.disabled = false;
      var form = button.form;
      var status = form.querySelector("[data-locate-status]");
      button.addEventListener("click", function () {
        button.disabled = true;
        if (status) status.textContent = button.dataset.waiting || "";
        navigator.geolocation.getCurrentPosition(
          function (position) {
            form.elements.lat.value = coarse(position.coords.latitude);
            form.elements.lon.value = coarse(position.coords.longitude);
            keepFilters(form);
            form.submit();
          },
          function () {
            button.disabled = false;
            if (status) status.textContent = button.dataset.failed || "";
          },
          { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
        );
      });
    });
  }

  // The service worker (static/sw.js): pages that open offline and the offline page. Only on
  // secure origins (HTTPS, or 127.0.0.1 in development), where browsers allow one.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  enableLocateButtons(document);
  document.addEventListener("htmx:load", function (event) {
    enableLocateButtons(event.target);
  });
})();

/* The redeem page without a connection (templates/provider/_offline_queue.html).
   A code typed while offline is saved in localStorage with a random one-time nonce and sent to
   /provider/redeem/offline when the connection returns (the "online" event) and on each page
   load; the server accepts a nonce once, so sending again after a lost answer is safe. Once
   answered, only the answer is kept (no code, no customer name); logging out clears it all. */
(function () {
  "use strict";

  var section = document.getElementById("offline-queue");
  if (!section || !window.localStorage || !window.fetch || !window.crypto) return;
  var QUEUE = "konexi.offline.queue";
  var SENT = "konexi.offline.sent";
  var PAGES = "konexi-pages-v1"; // the service worker's caches (static/sw.js)
  var ASSETS = "konexi-assets-v1";
  var BATCH = 50; // the server's MAX_ITEMS
  var CODE = /^[34679ACDEFGHJKMNPQRTUVWXY]{8}$/;
  var form = document.getElementById("offline-redeem");
  var status = section.querySelector("[data-offline-status]");
  var count = section.querySelector("[data-offline-count]");
  var sentList = section.querySelector("[data-offline-sent]");
  var error = section.querySelector("[data-offline-error]");
  var unreachable = false; // a request failed although the browser believes it is online
  var sending = false;

  function read(key) {
    try {
      var items = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (ignored) {
      return [];
    }
  }

  function write(key, items) {
    localStorage.setItem(key, JSON.stringify(items));
  }

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map
      .call(bytes, function (byte) {
        return ("0" + byte.toString(16)).slice(-2);
      })
      .join("");
  }

  function render() {
    var queue = read(QUEUE);
    var sent = read(SENT);
    var offline = !navigator.onLine || unreachable;
    form.hidden = !offline;
    section.hidden = !offline && !queue.length && !sent.length;
    count.textContent = queue.length ? section.dataset.waiting + " " + queue.length : "";
    sentList.textContent = "";
    sent.forEach(function (item) {
      var line = document.createElement("li");
      line.className = item.ok ? "is-ok" : "is-refused";
      line.dataset.outcome = item.outcome;
      line.textContent = item.message;
      sentList.appendChild(line);
    });
  }

  function answered(batch, results) {
    var done = {};
    batch.forEach(function (item) {
      done[item.nonce] = true;
    });
    var sent = read(SENT);
    results.forEach(function (result) {
      sent.unshift({ nonce: result.nonce, ok: result.ok, outcome: result.outcome, message: result.message });
    });
    write(SENT, sent.slice(0, 50));
    write(
      QUEUE,
      read(QUEUE).filter(function (item) {
        return !done[item.nonce];
      })
    );
  }

  function send() {
    var batch = read(QUEUE).slice(0, BATCH);
    if (sending || !batch.length) return;
    sending = true;
    status.textContent = section.dataset.sending;
    fetch(section.dataset.sendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": section.dataset.csrf,
      },
      body: JSON.stringify({ items: batch }),
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) throw new Error(response.status);
        return response.json();
      })
      .then(function (answer) {
        answered(batch, answer.results || []);
        unreachable = false;
        status.textContent = "";
        document.body.dispatchEvent(new CustomEvent("konexi:offline-sent"));
      })
      .catch(function () {
        status.textContent = section.dataset.failed;
      })
      .then(function () {
        sending = false;
        render();
        if (read(QUEUE).length > 0 && !status.textContent) send(); // more than one batch
      });
  }

  // The branch chosen in the lookup form (htmx replaces that form, so it is looked up each time).
  function branch() {
    var chosen = document.querySelector("#redeem [name=branch_id]");
    return chosen ? chosen.value : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var field = form.elements.code;
    var code = field.value.toUpperCase().replace(/[\s-]/g, "");
    if (!CODE.test(code)) {
      error.textContent = section.dataset.badCode;
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return;
    }
    error.textContent = "";
    field.removeAttribute("aria-invalid");
    var queue = read(QUEUE);
    queue.push({
      nonce: nonce(),
      code: code,
      branch: branch(),
      redeemed_at: new Date().toISOString(), // the device's clock: shown, never trusted
    });
    write(QUEUE, queue);
    field.value = "";
    status.textContent = section.dataset.saved;
    render();
    if (navigator.onLine && !unreachable) send();
  });

  // htmx could not reach the server (a lookup with a dead connection): offer the code form.
  document.body.addEventListener("htmx:sendError", function () {
    unreachable = true;
    render();
  });
  window.addEventListener("online", function () {
    unreachable = false;
    render();
    send();
  });
  window.addEventListener("offline", render);

  render();
  if (navigator.onLine) {
    send();
    // A clean copy of this page, and the files it needs, for the service worker to show offline.
    if (window.caches) {
      var files = Array.prototype.map.call(
        document.querySelectorAll("script[src], link[rel=stylesheet][href]"),
        function (element) {
          return element.src || element.href;
        }
      );
      caches.open(PAGES).then(function (cache) {
        return cache.add(location.pathname);
      }).catch(function () {});
      caches.open(ASSETS).then(function (cache) {
        return cache.addAll(files);
      }).catch(function () {});
    }
  }
})();

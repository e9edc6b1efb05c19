/* Konexi's service worker (served as /sw.js, see konexi/pages/offline.py).
   - A page that cannot be fetched shows the stored copy of that page if there is one (the
     customer's own code pages, the counter's redeem page), otherwise the offline page.
   - The customer's code pages (My vouchers, one voucher's code) are stored network-first.
   - The redeem page is stored by the page itself once loaded (static/offline.js), so that no
     one-off message shown on it (a customer's name after a redemption) is kept.
   - Fingerprinted static files are kept once fetched.
   Logging out sends Clear-Site-Data, which removes all of it and this worker. */
"use strict";

var PAGES = "konexi-pages-v1";
var ASSETS = "konexi-assets-v1";
var OFFLINE_URL = "/offline";
var KEPT = [/^\/me\/vouchers$/, /^\/me\/vouchers\/\d+$/];
var SHELL = [/^\/provider\/redeem$/];

function matches(patterns, path) {
  return patterns.some(function (pattern) {
    return pattern.test(path);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(PAGES)
      .then(function (cache) {
        return cache.add(new Request(OFFLINE_URL, { credentials: "same-origin" }));
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) {
        return Promise.all(
          keys
            .filter(function (key) {
              return key !== PAGES && key !== ASSETS;
            })
            .map(function (key) {
              return caches.delete(key);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function asset(request) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return (
        hit ||
        fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        })
      );
    });
  });
}

function page(request, path) {
  return fetch(request)
    .then(function (response) {
      if (matches(KEPT, path) && response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) {
          return cache.put(path, copy);
        });
      }
      return response;
    })
    .catch(function () {
      return caches.open(PAGES).then(function (cache) {
        var stored = matches(KEPT, path) || matches(SHELL, path) ? cache.match(path) : Promise.resolve();
        return stored.then(function (hit) {
          return hit || cache.match(OFFLINE_URL);
        }).then(function (hit) {
          return hit || Response.error();
        });
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
    event.respondWith(asset(request));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request, url.pathname));
  }
});

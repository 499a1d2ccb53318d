// Service worker: the app shell and the last viewed points stay on the phone,
// so pages open on a bad connection. Writes are not handled here: pages keep
// them in their outbox (cfz.js) and send them with their Idempotency-Key.
"use strict";
var SHELL = "cfz-shell-v1", DATA = "cfz-data-v1", MAX_DATA = 60;
var PAGES = { "/": "/static/index.html", "/services/": "/static/service.html", "/points/": "/static/point.html",
              "/feedback": "/static/feedback.html", "/complaints/new": "/static/complaint.html", "/track": "/static/track.html",
              "/officer": "/static/officer.html", "/officer/": "/static/officer.html" };
var FILES = ["/static/index.html", "/static/service.html", "/static/point.html", "/static/feedback.html",
             "/static/complaint.html", "/static/track.html", "/static/app.css", "/static/cfz.js", "/static/map.js",
             "/static/service.js", "/static/point.js", "/static/feedback.js", "/static/complaint.js", "/static/track.js",
             "/static/officer.html", "/static/officer.js", "/static/icon.svg", "/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css"];
// what a citizen reads again offline: points, services, the questionnaire
var KEEP = [/^\/api\/v1\/service-points\/[^/]+$/, /^\/api\/v1\/service-points\/[^/]+\/feedback$/, /^\/api\/v1\/services\//,
            /^\/api\/v1\/questionnaire$/, /^\/api\/v1\/complaint-categories$/, /^\/api\/v1\/complaints\/[^/]+$/,
            /^\/api\/v1\/reports\/service-points\//];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== DATA; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function template(path) {
  if (PAGES[path]) return PAGES[path];
  var prefix = Object.keys(PAGES).filter(function (p) { return p.slice(-1) === "/" && p.length > 1 && path.indexOf(p) === 0; })[0];
  return prefix ? PAGES[prefix] : (path.indexOf("/track/") === 0 ? PAGES["/track"] : null);
}
function trim(cache) {
  return cache.keys().then(function (keys) { return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_DATA)).map(function (k) { return cache.delete(k); })); });
}
function networkFirst(request, fallbackUrl, cacheName) {
  return fetch(request).then(function (response) {
    if (response.ok && cacheName) {
      var copy = response.clone();
      caches.open(cacheName).then(function (c) { return c.put(request, copy).then(function () { return trim(c); }); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || (fallbackUrl ? caches.match(fallbackUrl) : undefined); })
      .then(function (hit) { return hit || new Response(JSON.stringify({ error: "OFFLINE", message: "Offline", message_th: "ไม่มีอินเทอร์เน็ต", details: {} }),
        { status: 503, headers: { "Content-Type": "application/json" } }); });
  });
}

self.addEventListener("fetch", function (ev) {
  var request = ev.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (request.mode === "navigate") {
    var page = template(url.pathname);
    if (page) ev.respondWith(networkFirst(request, page, null));
    return;
  }
  if (KEEP.some(function (re) { return re.test(url.pathname); })) { ev.respondWith(networkFirst(request, null, DATA)); return; }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/vendor/") === 0) {
    // the shell: answer from the phone at once, refresh it in the background
    ev.respondWith(caches.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { var copy = response.clone(); caches.open(SHELL).then(function (c) { c.put(request, copy); }); }
        return response;
      });
      return hit || fresh;
    }));
  }
});

// cfz.js: the foundation every page shares (citizen, officer, dashboard).
// Translations (Thai first), Buddhist-era dates, an API client with timeouts,
// retries of idempotent requests and errors in the reader's language, a
// phone-side outbox for writes made offline, and the common page header.
// No build step: plain script, one global `cfz` (see docs/adr/0003-web-app.md).
(function () {
  "use strict";

  var LANG_KEY = "cfz-lang";
  var lang = "th";
  try { lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "th"; } catch (e) { /* private mode */ }

  var texts = {
    th: {
      app: "จุดบริการภาครัฐ", map: "แผนที่", fileComplaint: "ร้องเรียน", track: "ติดตามเรื่อง",
      dashboard: "ผู้บริหาร", officer: "เจ้าหน้าที่", switchLang: "English", switchLangLabel: "Switch to English",
      loading: "กำลังโหลด…", retry: "ลองอีกครั้ง", offline: "ไม่มีอินเทอร์เน็ต: แสดงข้อมูลที่บันทึกไว้ล่าสุด",
      queued: "ยังไม่มีอินเทอร์เน็ต บันทึกไว้ในเครื่องแล้ว จะส่งให้อัตโนมัติเมื่อกลับมาออนไลน์",
      sentLater: "ส่งข้อมูลที่บันทึกไว้เรียบร้อยแล้ว", timeout: "ระบบตอบช้าเกินไป กรุณาลองใหม่",
      network: "เชื่อมต่อไม่ได้ กรุณาตรวจสอบอินเทอร์เน็ต", unknownError: "เกิดข้อผิดพลาด กรุณาลองใหม่",
      retryIn: "ลองใหม่ได้ในอีก {s} วินาที", skip: "ข้ามไปยังเนื้อหา"
    },
    en: {
      app: "Government service points", map: "Map", fileComplaint: "Complain", track: "Track",
      dashboard: "Executives", officer: "Officers", switchLang: "ไทย", switchLangLabel: "เปลี่ยนเป็นภาษาไทย",
      loading: "Loading…", retry: "Try again", offline: "Offline: showing what was saved last",
      queued: "No connection yet. Saved on this phone; it will be sent automatically when you are back online.",
      sentLater: "What was saved offline has been sent.", timeout: "The server took too long; please try again.",
      network: "Cannot connect; please check your internet.", unknownError: "Something went wrong; please try again.",
      retryIn: "You can try again in {s} seconds.", skip: "Skip to content"
    }
  };

  function addTexts(more) {
    ["th", "en"].forEach(function (l) { Object.keys(more[l] || {}).forEach(function (k) { texts[l][k] = more[l][k]; }); });
  }
  function t(key, vars) {
    var s = texts[lang][key];
    if (s === undefined) s = texts.th[key] !== undefined ? texts.th[key] : key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  }
  // A record's name in the reader's language (Thai when there is no English).
  function pick(obj, base) {
    if (!obj) return "";
    return (lang === "en" && obj[base + "_en"]) ? obj[base + "_en"] : (obj[base + "_th"] || obj[base + "_en"] || obj[base] || "");
  }
  var langListeners = [];
  function onLang(fn) { langListeners.push(fn); }
  function setLang(l) {
    lang = l === "en" ? "en" : "th";
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    document.documentElement.lang = lang;
    applyTexts(document);
    langListeners.forEach(function (fn) { fn(lang); });
  }
  // Static texts in pages: <span data-t="key"></span>; attributes: data-t-placeholder, data-t-aria-label.
  function applyTexts(root) {
    root.querySelectorAll("[data-t]").forEach(function (n) { n.textContent = t(n.getAttribute("data-t")); });
    ["placeholder", "aria-label", "title"].forEach(function (attr) {
      root.querySelectorAll("[data-t-" + attr + "]").forEach(function (n) { n.setAttribute(attr, t(n.getAttribute("data-t-" + attr))); });
    });
  }

  // --- DOM ----------------------------------------------------------------
  // el("a", {href: "/x", class: "btn"}, "text" | node | [nodes]); text only, never HTML.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    [].concat(children === undefined ? [] : children).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }
  function $(id) { return document.getElementById(id); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // --- dates: Thai readers read Buddhist-era years -------------------------
  function toDate(value) { return value instanceof Date ? value : new Date(value.length === 10 ? value + "T00:00:00+07:00" : value); }
  function formatDate(value, withTime) {
    if (!value) return "";
    var d = toDate(value);
    if (isNaN(d)) return String(value);
    var opts = { day: "numeric", month: "short", year: "numeric", timeZone: "Asia/Bangkok" };
    if (withTime) { opts.hour = "2-digit"; opts.minute = "2-digit"; }
    return d.toLocaleString(lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB", opts);
  }
  function buddhistYear(value) { return toDate(value).getFullYear() + 543; }
  // Thai phone numbers as Thais write them: 081-234-5678, 02-123-4567, 053-112-345
  function formatPhone(digits) {
    var d = String(digits || "").replace(/\D/g, "");
    if (d.length === 10) return d.slice(0, 3) + "-" + d.slice(3, 6) + "-" + d.slice(6);
    if (d.length === 9 && d[1] === "2") return d.slice(0, 2) + "-" + d.slice(2, 5) + "-" + d.slice(5);
    if (d.length === 9) return d.slice(0, 3) + "-" + d.slice(3, 6) + "-" + d.slice(6);
    return String(digits || "");
  }

  // --- API client ----------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  // An error the page can show: .text in the reader's language, .fields per input.
  function ApiError(status, body, kind) {
    this.status = status; this.body = body || {}; this.kind = kind || "http";
    this.code = this.body.error || kind;
    this.retryAfter = null;
  }
  ApiError.prototype.text = function () {
    if (this.kind === "timeout") return t("timeout");
    if (this.kind === "network") return t("network");
    var b = this.body, s = lang === "th" ? (b.message_th || t("unknownError")) : (b.message || t("unknownError"));
    if (this.retryAfter) s += " " + t("retryIn", { s: this.retryAfter });
    return s;
  };
  // Field messages in the reader's language: {"name_th": ["..."], "location": {"lat": [...]}} flattened to "location.lat".
  ApiError.prototype.fieldMessages = function () {
    var d = this.body.details || {}, src = lang === "th" ? (d.fields_th || d.fields) : d.fields, out = {};
    (function walk(node, prefix) {
      if (Array.isArray(node)) { out[prefix] = node.filter(function (m) { return typeof m === "string"; }).join(" "); return; }
      if (node && typeof node === "object") Object.keys(node).forEach(function (k) { walk(node[k], prefix ? prefix + "." + k : k); });
    })(src || {}, "");
    return out;
  };

  // api(method, path, {body, headers, timeout, retries, idempotencyKey}) -> Promise of {status, data, headers}
  function api(method, path, opts) {
    opts = opts || {};
    var headers = Object.assign({ "Accept": "application/json" }, opts.headers || {});
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    var token = opts.token || (opts.auth ? session.token() : null);
    if (token) headers.Authorization = "Bearer " + token;
    // only requests that are safe to repeat are retried
    var idempotent = method === "GET" || method === "HEAD" || !!opts.idempotencyKey;
    var retries = opts.retries !== undefined ? opts.retries : (idempotent ? 2 : 0);
    var timeout = opts.timeout || 15000;
    function attempt(n) {
      var controller = window.AbortController ? new AbortController() : null;
      var timer = setTimeout(function () { if (controller) controller.abort(); }, timeout);
      return fetch(path, {
        method: method, headers: headers, credentials: "same-origin",
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: controller ? controller.signal : undefined
      }).then(function (r) {
        clearTimeout(timer);
        var type = r.headers.get("Content-Type") || "";
        var read = type.indexOf("json") >= 0 ? r.json().catch(function () { return {}; }) : r.text();
        return read.then(function (data) {
          if (r.ok) return { status: r.status, data: data, headers: r.headers };
          var err = new ApiError(r.status, typeof data === "object" ? data : {});
          err.retryAfter = r.headers.get("Retry-After");
          if (r.status === 401 && opts.auth) session.expired(err);
          throw err;
        });
      }, function (e) {
        clearTimeout(timer);
        throw new ApiError(0, null, e && e.name === "AbortError" ? "timeout" : "network");
      }).catch(function (err) {
        var transient = err.kind === "timeout" || err.kind === "network" || err.status === 503;
        if (transient && n < retries) {
          return new Promise(function (res) { setTimeout(res, 800 * Math.pow(3, n)); }).then(function () { return attempt(n + 1); });
        }
        throw err;
      });
    }
    return attempt(0);
  }
  function isOffline(err) { return err && (err.kind === "network" || err.kind === "timeout"); }

  // --- the outbox: writes made without a connection wait on the phone ------
  // Each carries its Idempotency-Key, so sending it twice stores it once.
  var OUTBOX_KEY = "cfz-outbox";
  function outboxItems() { try { return JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]"); } catch (e) { return []; } }
  function saveOutbox(items) { try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(items)); } catch (e) { /* full */ } }
  var outboxListeners = [];
  var outbox = {
    items: outboxItems,
    // queue and try at once; resolves with the server's answer or {queued: true}
    send: function (item) {
      item.idempotencyKey = item.idempotencyKey || uuid();
      item.id = item.id || item.idempotencyKey;
      item.queuedAt = item.queuedAt || new Date().toISOString();
      return api(item.method, item.path, { body: item.body, idempotencyKey: item.idempotencyKey, retries: 1, auth: item.auth })
        .catch(function (err) {
          if (!isOffline(err)) throw err;
          var items = outboxItems().filter(function (i) { return i.id !== item.id; });
          items.push(item); saveOutbox(items);
          return { queued: true, item: item };
        });
    },
    flush: function () {
      var items = outboxItems();
      if (!items.length || navigator.onLine === false) return Promise.resolve([]);
      return items.reduce(function (chain, item) {
        return chain.then(function (done) {
          return api(item.method, item.path, { body: item.body, idempotencyKey: item.idempotencyKey, retries: 0, auth: item.auth })
            .then(function (res) { drop(item); done.push({ item: item, result: res }); return done; },
                  function (err) {
                    if (!isOffline(err) && err.status !== 503) { drop(item); done.push({ item: item, error: err }); }
                    return done;
                  });
        });
      }, Promise.resolve([])).then(function (done) {
        if (done.length) outboxListeners.forEach(function (fn) { fn(done); });
        return done;
      });
    },
    onSent: function (fn) { outboxListeners.push(fn); }
  };
  function drop(item) { saveOutbox(outboxItems().filter(function (i) { return i.id !== item.id; })); }
  window.addEventListener("online", function () { outbox.flush(); });

  // --- an officer's session (the officer app; citizens never log in) -------
  var SESSION_KEY = "cfz-session";
  var session = {
    token: function () { try { var s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); return s && s.expires > Date.now() ? s.token : null; } catch (e) { return null; } },
    save: function (token, expiresIn) { sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: token, expires: Date.now() + expiresIn * 1000 })); },
    clear: function () { sessionStorage.removeItem(SESSION_KEY); },
    expired: function () { session.clear(); if (session.onExpired) session.onExpired(); },
    onExpired: null
  };

  // --- the page frame --------------------------------------------------------
  var NAV = [["/", "map"], ["/complaints/new", "fileComplaint"], ["/track", "track"], ["/dashboard", "dashboard"], ["/officer", "officer"]];
  function header() {
    var top = $("top");
    if (!top) return;
    var here = location.pathname;
    var nav = el("nav", { "aria-label": "main" }, NAV.map(function (n) {
      return el("a", { href: n[0], "data-t": n[1], "aria-current": (n[0] === here || (n[0] !== "/" && here.indexOf(n[0]) === 0)) ? "page" : null });
    }));
    var toggle = el("button", { type: "button", id: "lang", class: "lang", "data-t": "switchLang", "data-t-aria-label": "switchLangLabel",
                                onclick: function () { setLang(lang === "th" ? "en" : "th"); } });
    clear(top).appendChild(el("div", { class: "topbar" }, [el("a", { class: "brand", href: "/", "data-t": "app" }), toggle]));
    top.appendChild(nav);
    var content = document.querySelector("main");
    top.insertBefore(el("a", { class: "skip", href: "#" + (content && content.id || "content"), "data-t": "skip" }), top.firstChild);
  }
  // A status line that pages use for loading, errors and offline notes.
  function status(node, text, kind) {
    if (!node) return;
    node.textContent = text || "";
    node.className = "status" + (kind ? " " + kind : "");
    node.hidden = !text;
  }
  function showFieldErrors(form, err) {
    form.querySelectorAll(".field-error").forEach(function (n) { n.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
    var messages = err.fieldMessages(), first = null, unplaced = [];
    Object.keys(messages).forEach(function (path) {
      var name = path.replace(/\._schema$/, "");
      var input = name === "_schema" ? null :
        form.querySelector('[name="' + name + '"]') || form.querySelector('[name="' + name.split(".")[0] + '"]') ||
        form.querySelector('[name^="' + name + '."]');  // a message for a group (location) goes to its first input
      if (!input) { unplaced.push(messages[path]); return; }
      var id = "err-" + name.replace(/[^a-z0-9_-]/gi, "-");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      var note = el("span", { class: "field-error", id: id, role: "alert" }, messages[path]);
      var box = input.closest("label, fieldset, .field");
      if (box) box.appendChild(note); else input.insertAdjacentElement("afterend", note);
      if (!first) first = input;
    });
    if (first) first.focus();
    return unplaced;
  }
  // An error answer shown as a user would want it: the summary with any
  // message that belongs to no single input, and each field's own message.
  function showError(form, statusNode, err) {
    var unplaced = form ? showFieldErrors(form, err) : [];
    status(statusNode, [err.text()].concat(unplaced).join(" "), "error");
  }
  // The configured tile server (meta cfz-tile-url); none, or failing tiles,
  // leave the map usable: points and lists never depend on tiles.
  function mapTiles(map, onError) {
    var meta = document.querySelector('meta[name="cfz-tile-url"]'), url = meta ? meta.content : "";
    if (!url || url.indexOf("{{") >= 0) return null;
    var attribution = document.querySelector('meta[name="cfz-tile-attribution"]');
    var layer = L.tileLayer(url, { maxZoom: 19, attribution: attribution ? attribution.content : "" });
    if (onError) { var told = false; layer.on("tileerror", function () { if (!told) { told = true; onError(); } }); }
    return layer.addTo(map);
  }
  function params() { return new URLSearchParams(location.search); }
  function pathPart(n) { return decodeURIComponent(location.pathname.split("/").filter(Boolean)[n] || ""); }

  // a field's error goes as soon as the user changes the field
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input || !input.getAttribute || input.getAttribute("aria-invalid") !== "true") return;
    input.removeAttribute("aria-invalid");
    var note = document.getElementById(input.getAttribute("aria-describedby") || "");
    if (note && note.classList.contains("field-error")) note.remove();
    input.removeAttribute("aria-describedby");
  }, true);

  function start(init) {
    document.documentElement.lang = lang;
    header();
    applyTexts(document);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () { /* http or private mode */ });
    outbox.flush();
    if (init) init();
  }

  window.cfz = {
    t: t, addTexts: addTexts, pick: pick, lang: function () { return lang; }, setLang: setLang, onLang: onLang,
    applyTexts: applyTexts, el: el, $: $, clear: clear, formatDate: formatDate, buddhistYear: buddhistYear, formatPhone: formatPhone,
    api: api, ApiError: ApiError, isOffline: isOffline, uuid: uuid, outbox: outbox, session: session,
    status: status, showFieldErrors: showFieldErrors, showError: showError, mapTiles: mapTiles, params: params, pathPart: pathPart, start: start
  };
})();

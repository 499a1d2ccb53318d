// Executive dashboard: rankings fair to small offices, one entity's report,
// satisfaction alerts, Zero Copy and rollout progress, each with its CSV.
// Plain ES5 and fetch, no library: every section loads on its own and shows
// its own loading, error or empty state. Data goes in with textContent only.
(function () {
  "use strict";
  var API = {
    rankings: "/api/v1/reports/rankings",
    report: {
      service_point: "/api/v1/reports/service-points/",
      agency: "/api/v1/reports/agencies/",
      province: "/api/v1/reports/provinces/"
    },
    alerts: "/api/v1/reports/alerts",
    zeroCopy: "/api/v1/reports/zero-copy",
    rollout: "/api/v1/reports/rollout",
    groupNames: "/api/v1/rollout",          // ?group_by=agency|province: names of agencies and provinces
    point: "/api/v1/service-points/"        // + id: a point's name
  };
  var TIMEOUT_MS = 20000, MAX_DAYS = 400, DEFAULT_DAYS = 30, SHORT_LIST = 10;
  var LIMITS = [20, 100, 1000];

  var T = {
    th: {
      title: "แดชบอร์ดผู้บริหาร", loading: "กำลังโหลด…", retry: "ลองอีกครั้ง",
      errNetwork: "โหลดไม่สำเร็จ: เชื่อมต่อเซิร์ฟเวอร์ไม่ได้", errTimeout: "โหลดไม่สำเร็จ: เซิร์ฟเวอร์ตอบช้าเกินไป",
      errBusy: "โหลดไม่สำเร็จ: ระบบรายงานยังไม่ตอบ (503) ลองใหม่อีกครู่", errInput: "คำขอไม่ถูกต้อง",
      errNotFound: "ไม่พบข้อมูลนี้", errServer: "โหลดไม่สำเร็จ", oldBrowser: "เบราว์เซอร์นี้เก่าเกินไป ใช้ลิงก์ CSV หรือ API แทน",
      badRange: "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น", tooLong: "เลือกช่วงวันที่ได้ไม่เกิน {n} วัน", badDate: "กรุณาเลือกวันที่ให้ครบ",
      service_point: "จุดบริการ", agency: "หน่วยงาน", province: "จังหวัด",
      rank: "อันดับ", name: "ชื่อ", count: "ผลประเมิน", score: "คะแนน", csat: "พอใจ (4–5)", ci: "ช่วงเชื่อมั่น 95%",
      ranked: "จัดอันดับ {n} รายการ ({from} ถึง {to})", shown: "แสดง {shown} อันดับแรก",
      notRanked: "ไม่จัดอันดับ {n} รายการ เพราะมีผลประเมินน้อยกว่า {min} รายการ",
      emptyRank: "ยังไม่มีรายการที่มีผลประเมินอย่างน้อย {min} รายการในช่วงนี้",
      prior: "คะแนน = ค่าเฉลี่ยความพึงพอใจ (1–5) ที่ถ่วงเข้าหาค่าเฉลี่ยทั้งประเทศ {mean} เสมือนมีผลประเมินระดับค่าเฉลี่ยเพิ่มอีก {weight} รายการ หน่วยที่มีผลประเมินน้อยจึงไม่ขึ้นอันดับต้นหรือท้ายเพราะความบังเอิญ",
      more: "แสดงเพิ่ม", showAll: "แสดงทั้งหมด ({n})", showLess: "แสดงน้อยลง", clickHint: "คลิกชื่อเพื่อดูรายงาน",
      notEnough: "ข้อมูลไม่พอ", notEnoughWhy: "มีผลประเมินน้อยกว่า {min} รายการ ควรอ่านตัวเลขด้วยความระมัดระวัง",
      enough: "ข้อมูลเพียงพอ", period: "ช่วงวันที่", ratings: "ผลประเมิน {n} รายการ", verified: "ยืนยันการมาใช้บริการ {n}",
      means: "ค่าเฉลี่ยรายข้อ (1–5)", question: "คำถาม", mean: "ค่าเฉลี่ย", n: "จำนวน",
      q_satisfaction: "ความพึงพอใจโดยรวม", q_trust: "ความเชื่อมั่น", q_ease: "ความง่าย", q_efficiency: "ความรวดเร็ว",
      q_staff: "เจ้าหน้าที่", q_transparency: "ความโปร่งใส",
      trendWeek: "CSAT รายสัปดาห์", trendMonth: "CSAT รายเดือน", noRatings: "ไม่มีผลประเมิน",
      sigYes: "ช่วงล่าสุดเทียบกับช่วงก่อนหน้า: {chg} จุดเปอร์เซ็นต์ (p = {p}) แตกต่างอย่างมีนัยสำคัญทางสถิติ",
      sigNo: "ช่วงล่าสุดเทียบกับช่วงก่อนหน้า: {chg} จุดเปอร์เซ็นต์ (p = {p}) ไม่แตกต่างอย่างมีนัยสำคัญ อาจเป็นความบังเอิญ",
      sigSmall: "ช่วงล่าสุดเทียบกับช่วงก่อนหน้า: {chg} จุดเปอร์เซ็นต์ (p = {p}) ยังสรุปไม่ได้ เพราะมีผลประเมินน้อยกว่า {min} รายการในช่วงใดช่วงหนึ่ง",
      sigNone: "ยังเปรียบเทียบช่วงล่าสุดกับช่วงก่อนหน้าไม่ได้: ช่วงใดช่วงหนึ่งไม่มีผลประเมิน",
      keyDriver: "ปัจจัยที่สัมพันธ์กับความพึงพอใจโดยรวมมากที่สุด: {q} (r = {r}, {n} คำตอบ)",
      noDriver: "ยังหาปัจจัยหลักไม่ได้ (ต้องมีคำตอบรายข้ออย่างน้อย 3 รายการ)",
      noPositiveDriver: "ยังไม่มีข้อใดที่สัมพันธ์เชิงบวกกับความพึงพอใจโดยรวม",
      complaints: "เรื่องร้องเรียน: ยื่น {filed} · ยังไม่ปิด {open} · เกินกำหนด {overdue} · แก้ไขทันกำหนด {share}",
      zcLine: "Zero Copy: งานบริการที่ไม่ขอสำเนา {share} · ยังขอสำเนา {copies} รายการ (เลยกำหนดเลิก {past}) · ประชาชนแจ้งว่าถูกขอสำเนา {breaches} ครั้ง",
      alertsEmpty: "ไม่มีการแจ้งเตือน: ยังไม่พบจุดบริการหรือหน่วยงานที่ความพึงพอใจลดลงอย่างมีนัยสำคัญ",
      alertLine: "{day}: CSAT {base} → {cur} ({chg} จุดเปอร์เซ็นต์, p = {p}) · ผลประเมิน {n1} → {n2}",
      point: "จุดบริการ",
      zcEmpty: "ยังไม่มีจุดบริการที่ปักหมุด", noCopy: "ไม่ขอสำเนา", copies: "ยังขอสำเนา", past: "เลยกำหนดเลิก",
      breaches: "ประชาชนแจ้ง", disagree: "ขัดแย้ง",
      disagreeHead: "จุดที่ประกาศว่าไม่ขอสำเนา แต่ประชาชนแจ้งว่าถูกขอ: {n} จุด", disagreeLine: "{n} ครั้ง",
      unknownPoints: "การแจ้งจากจุดบริการที่ยังไม่รู้จัก: {n} จุด",
      rolloutEmpty: "ยังไม่มีข้อมูลการปักหมุด", pinned: "ปักหมุด", surveyed: "สำรวจแล้ว", allZeroCopy: "ไม่ขอสำเนาทุกงาน"
    },
    en: {
      title: "Executive dashboard", loading: "Loading…", retry: "Try again",
      errNetwork: "Could not load: the server cannot be reached", errTimeout: "Could not load: the server took too long",
      errBusy: "Could not load: reporting does not answer (503); try again shortly", errInput: "Invalid request",
      errNotFound: "Not found", errServer: "Could not load", oldBrowser: "This browser is too old; use the CSV links or the API",
      badRange: "The end date must not be before the start date", tooLong: "At most {n} days", badDate: "Please choose both dates",
      service_point: "Service point", agency: "Agency", province: "Province",
      rank: "Rank", name: "Name", count: "Ratings", score: "Score", csat: "Satisfied (4–5)", ci: "95% interval",
      ranked: "{n} ranked ({from} to {to})", shown: "showing the top {shown}",
      notRanked: "{n} not ranked: fewer than {min} ratings each",
      emptyRank: "Nothing has at least {min} ratings in this period yet",
      prior: "Score = mean satisfaction (1–5) pulled toward the national mean of {mean} as if {weight} average ratings were added, so a few ratings cannot put a small office at the top or the bottom by chance.",
      more: "Show more", showAll: "Show all ({n})", showLess: "Show fewer", clickHint: "Click a name for its report",
      notEnough: "not enough data", notEnoughWhy: "fewer than {min} ratings: read these numbers with care",
      enough: "enough data", period: "Period", ratings: "{n} ratings", verified: "{n} verified visits",
      means: "Mean per question (1–5)", question: "Question", mean: "Mean", n: "n",
      q_satisfaction: "Overall satisfaction", q_trust: "Trust", q_ease: "Ease", q_efficiency: "Efficiency",
      q_staff: "Staff", q_transparency: "Transparency",
      trendWeek: "Weekly CSAT", trendMonth: "Monthly CSAT", noRatings: "no ratings",
      sigYes: "Last period against the one before: {chg} percentage points (p = {p}), a statistically significant change",
      sigNo: "Last period against the one before: {chg} percentage points (p = {p}), not significant; it may be chance",
      sigSmall: "Last period against the one before: {chg} percentage points (p = {p}), inconclusive: fewer than {min} ratings in one of them",
      sigNone: "No comparison of the last period with the one before yet: one of them has no ratings",
      keyDriver: "Key driver (most correlated with overall satisfaction): {q} (r = {r}, {n} answers)",
      noDriver: "No key driver yet (needs at least 3 answers per question)",
      noPositiveDriver: "No question is positively associated with overall satisfaction yet",
      complaints: "Complaints: {filed} filed · {open} open · {overdue} overdue · resolved within SLA {share}",
      zcLine: "Zero Copy: point-services demanding no copy {share} · {copies} copies still demanded ({past} past the planned end) · {breaches} citizen reports of copies demanded",
      alertsEmpty: "No alerts: no point or agency whose satisfaction dropped significantly",
      alertLine: "{day}: CSAT {base} → {cur} ({chg} percentage points, p = {p}) · ratings {n1} → {n2}",
      point: "Service point",
      zcEmpty: "No service point is pinned yet", noCopy: "No copy", copies: "Copies demanded", past: "Past planned end",
      breaches: "Citizen reports", disagree: "Contradicted",
      disagreeHead: "Points that declare no copies but citizens say were asked for them: {n}", disagreeLine: "{n} reports",
      unknownPoints: "Reports from points not known yet: {n}",
      rolloutEmpty: "No rollout data yet", pinned: "Pinned", surveyed: "Surveyed", allZeroCopy: "All Zero Copy"
    }
  };

  var lang = cfz.lang();  // the foundation's choice (cfz.js), shared with every page
  function t(key, values) {
    var s = T[lang][key] || key;
    return values ? s.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); }) : s;
  }
  function question(code) { return T[lang]["q_" + code] || code; }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null && text !== "") e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(0) + "%"; }
  function interval(ci) { return ci ? "(" + (ci[0] * 100).toFixed(0) + "–" + (ci[1] * 100).toFixed(0) + "%)" : ""; }
  function num(x, digits) { return x === null || x === undefined ? "—" : Number(x).toFixed(digits); }
  function signed(x) { return (x > 0 ? "+" : "") + (x * 100).toFixed(1); }
  function pValue(p) { return p === null || p === undefined ? "—" : (p < 0.001 ? "< 0.001" : p.toFixed(3)); }
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] !== undefined && params[k] !== null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  function csvOf(url) { return url + (url.indexOf("?") < 0 ? "?" : "&") + "format=csv"; }

  // --- dates (Asia/Bangkok days, as the reports count them) -----------------
  function bangkokToday() { return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10); }
  function addDays(iso, days) {
    var d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + days); return d.toISOString().slice(0, 10);
  }
  function daysBetween(a, b) { return Math.round((Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000); }
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  if (!window.fetch || !window.Promise || !window.URLSearchParams) {  // say so rather than spin for ever
    applyLang();
    Array.prototype.forEach.call(document.querySelectorAll(".status"), function (n) {
      n.textContent = t("oldBrowser"); n.className = "status error";
    });
    return;
  }
  var params = new URLSearchParams(location.search);
  var state = {
    to: ISO.test(params.get("to") || "") ? params.get("to") : bangkokToday(),
    from: "", level: params.get("level") || "service_point", limit: LIMITS[0], entity: null
  };
  state.from = ISO.test(params.get("from") || "") ? params.get("from") : addDays(state.to, -(DEFAULT_DAYS - 1));
  if (!API.report[state.level]) state.level = "service_point";
  if (state.to < state.from || daysBetween(state.from, state.to) >= MAX_DAYS) {  // a bad shared link: the default
    state.to = bangkokToday(); state.from = addDays(state.to, -(DEFAULT_DAYS - 1));
  }

  // --- HTTP -------------------------------------------------------------------
  function getJSON(url) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, TIMEOUT_MS);
    return fetch(url, { headers: { Accept: "application/json" }, signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          clearTimeout(timer);
          if (!r.ok || body === null) {
            var err = new Error((body && body.message) || "HTTP " + r.status);
            err.status = r.status; err.body = body; throw err;
          }
          return body;
        });
      }, function (e) {
        clearTimeout(timer);
        var err = new Error(e && e.name === "AbortError" ? "timeout" : "network");
        err.kind = e && e.name === "AbortError" ? "timeout" : "network";
        throw err;
      });
  }
  function errorText(err) {
    if (err.kind === "timeout") return t("errTimeout");
    if (err.kind === "network") return t("errNetwork");
    if (err.status === 503) return t("errBusy");
    if (err.status === 404) return t("errNotFound");
    if (err.status === 400) {
      var fields = err.body && err.body.details && err.body.details.fields, parts = [];
      if (fields) Object.keys(fields).forEach(function (f) { parts.push(f + ": " + [].concat(fields[f]).join(" ")); });
      return t("errInput") + (parts.length ? " (" + parts.join("; ") + ")" : "");
    }
    return t("errServer") + " (HTTP " + err.status + ")";
  }

  // --- names of agencies, provinces and points (ids are shown until they come)
  var names = { agency: null, province: null, service_point: {} };
  var groupAsked = {}, pointAsked = {}, pointQueue = [], pointActive = 0, repaintTimer = null;
  function repaintSoon() {
    clearTimeout(repaintTimer);
    repaintTimer = setTimeout(function () { sections.forEach(function (s) { s.paint(); }); }, 120);
  }
  function wantNames(kind, id) {
    if (kind === "service_point") {
      if (!id || pointAsked[id]) return;
      pointAsked[id] = true; pointQueue.push(id); pump(); return;
    }
    if (groupAsked[kind]) return;
    groupAsked[kind] = true;
    getJSON(API.groupNames + "?" + query({ group_by: kind })).then(function (data) {
      var found = {};
      (data.results || []).forEach(function (r) { found[kind === "agency" ? r.agency_id : r.code] = r; });
      names[kind] = found; repaintSoon();
    }, function () { names[kind] = {}; });
  }
  function pump() {  // at most three point look-ups at a time: gentle on a slow phone
    while (pointActive < 3 && pointQueue.length) {
      var id = pointQueue.shift();
      pointActive++;
      getJSON(API.point + encodeURIComponent(id)).then(function (p) { names.service_point[p.id] = p; }, function () {})
        .then(function () { pointActive--; repaintSoon(); pump(); });
    }
  }
  function nameOf(kind, id) {
    wantNames(kind, id);
    var found = kind === "service_point" ? names.service_point[id] : (names[kind] || {})[id];
    if (!found) return String(id);
    var n = (lang === "en" && found.name_en) ? found.name_en : found.name_th;
    if (kind === "province") return id + " " + n;
    if (kind === "service_point" && found.province) {
      return n + " · " + ((lang === "en" && found.province.name_en) ? found.province.name_en : found.province.name_th);
    }
    return n;
  }
  function entityButton(kind, id) {
    var b = el("button", nameOf(kind, id), "link");
    b.type = "button";
    b.onclick = function () { openEntity(kind, id); };
    var cell = el("span");
    cell.appendChild(b);
    if (kind !== "province") cell.appendChild(el("small", id, "id"));
    return cell;
  }

  // --- sections -----------------------------------------------------------------
  function Section(id, opts) {
    this.node = $(id);
    this.status = this.node.querySelector(".status");
    this.body = this.node.querySelector(".body");
    this.csv = this.node.querySelector("a.csv");
    this.group = this.node.querySelector("select.group");
    this.opts = opts; this.seq = 0; this.data = null; this.error = null; this.loading = false;
    this.expanded = false; this.blobUrl = null;
    var self = this;
    if (this.group) this.group.onchange = function () { self.expanded = false; self.load(); };
  }
  Section.prototype.load = function () {
    var self = this, seq = ++this.seq, url = this.opts.url(this);
    if (!url) return;
    this.loading = true; this.error = null; this.data = null;
    if (this.csv && this.opts.csv !== false) { this.csv.href = csvOf(url); this.csv.hidden = false; }
    this.paint();
    getJSON(url).then(function (data) {
      if (seq !== self.seq) return;  // a newer request answers for this section
      self.loading = false; self.data = data;
      if (self.opts.csvFrom) self.localCsv(self.opts.csvFrom(data));
      self.paint();
    }, function (err) {
      if (seq !== self.seq) return;
      self.loading = false; self.error = err; self.paint();
    });
  };
  Section.prototype.localCsv = function (text) {  // a CSV made here, for answers the API has no CSV of
    if (!this.csv || !window.Blob || !window.URL) return;
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
    this.blobUrl = URL.createObjectURL(new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" }));
    this.csv.href = this.blobUrl; this.csv.download = this.opts.csvName || "export.csv"; this.csv.hidden = false;
  };
  Section.prototype.paint = function () {
    var self = this;
    if (!this.loading && !this.data && !this.error) return;
    clear(this.status); clear(this.body);
    this.status.className = "status";
    this.status.hidden = false;
    if (this.loading) { this.status.textContent = t("loading"); this.status.className = "status loading"; return; }
    if (this.error) {
      this.status.className = "status error";
      this.status.appendChild(el("span", errorText(this.error) + " "));
      var retry = el("button", t("retry")); retry.type = "button";
      retry.onclick = function () { self.load(); };
      this.status.appendChild(retry);
      return;
    }
    var empty = this.opts.empty(this.data);
    if (empty) { this.status.textContent = empty; this.status.className = "status empty"; } else { this.status.hidden = true; }
    this.opts.render(this.data, this.body, this);
  };

  function table(headers, rows) {
    var wrap = el("div", null, "scroll"), tab = el("table"), head = el("tr");
    wrap.tabIndex = 0;  // a table wider than a phone scrolls: keyboards must reach it (axe)
    headers.forEach(function (h) { head.appendChild(el("th", h)); });
    var thead = el("thead"); thead.appendChild(head); tab.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) {
        var td = el("td");
        if (c && c.nodeType) td.appendChild(c); else td.textContent = c === null || c === undefined ? "—" : String(c);
        if (typeof c === "number" || (typeof c === "string" && /^[\d.,%+\-–()— ]+$/.test(c)) ||
            (c && c.nodeType && /\bnum\b/.test(c.className))) td.className = "num";
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    tab.appendChild(tbody); wrap.appendChild(tab);
    return wrap;
  }
  function withInterval(share, ci) {
    var cell = el("span", null, "num");
    cell.appendChild(el("span", pct(share)));
    cell.appendChild(el("small", interval(ci), "ci"));
    return cell;
  }
  function bar(share) {
    var box = el("span", null, "bar"), fill = el("span");
    fill.style.width = Math.max(0, Math.min(100, (share || 0) * 100)) + "%";
    box.appendChild(fill);
    var cell = el("span", null, "share");
    cell.appendChild(box); cell.appendChild(el("span", pct(share)));
    return cell;
  }
  function toggle(section, total, body) {  // long lists: the first few, then all on request
    if (total <= SHORT_LIST) return;
    var b = el("button", section.expanded ? t("showLess") : t("showAll", { n: total }), "more");
    b.type = "button";
    b.onclick = function () { section.expanded = !section.expanded; section.paint(); };
    body.appendChild(b);
  }

  var rankings = new Section("rankings", {
    url: function () {
      return API.rankings + "?" + query({ level: state.level, from: state.from, to: state.to, limit: state.limit });
    },
    empty: function (d) { return d.results.length ? null : t("emptyRank", { min: d.min_sample }); },
    render: function (d, body) {
      var level = d.level === "point" ? "service_point" : d.level;
      if (d.not_enough_data) body.appendChild(el("p", t("notRanked", { n: d.not_enough_data, min: d.min_sample }), "warn"));
      if (!d.results.length) return;
      body.appendChild(el("p", t("ranked", { n: d.ranked, from: d.from, to: d.to }) +
        (d.ranked > d.results.length ? " · " + t("shown", { shown: d.results.length }) : "") + " · " + t("clickHint")));
      body.appendChild(table([t("rank"), t(level), t("count"), t("score"), t("csat") + " · " + t("ci")],
        d.results.map(function (r) {
          return [r.rank, entityButton(level, r.id), r.count, num(r.score, 2), withInterval(r.csat, r.csat_ci)];
        })));
      if (d.ranked > d.results.length) {
        var next = LIMITS.filter(function (l) { return l > state.limit; })[0];
        if (next) {
          var more = el("button", t("more"), "more"); more.type = "button";
          more.onclick = function () { state.limit = next; rankings.load(); };
          body.appendChild(more);
        }
      }
      if (d.prior) body.appendChild(el("p", t("prior", { mean: num(d.prior.mean, 2), weight: num(d.prior.weight, 0) }), "note"));
    }
  });

  var alertsSection = new Section("alerts", {
    url: function () { return API.alerts + "?" + query({ limit: 50 }); },
    csv: false,
    csvName: "satisfaction-alerts.csv",
    csvFrom: function (d) {
      var esc = function (v) { v = v === null || v === undefined ? "" : String(v); return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; };
      var lines = ["day,scope,entity_id,baseline_from,baseline_to,baseline_count,baseline_csat,current_from,current_to,current_count,current_csat,change,p_value"];
      d.results.forEach(function (a) {
        lines.push([a.day, a.scope, a.entity_id, a.baseline.from, a.baseline.to, a.baseline.count, a.baseline.csat,
          a.current.from, a.current.to, a.current.count, a.current.csat, a.change, a.p_value].map(esc).join(","));
      });
      return lines.join("\r\n") + "\r\n";
    },
    empty: function (d) { return d.results.length ? null : t("alertsEmpty"); },
    render: function (d, body) {
      var ul = el("ul", null, "alerts");
      d.results.forEach(function (a) {
        var kind = a.scope === "agency" ? "agency" : "service_point", li = el("li");
        li.appendChild(el("strong", t(kind) + ": "));
        li.appendChild(entityButton(kind, a.entity_id));
        li.appendChild(el("div", t("alertLine", {
          day: a.day, base: pct(a.baseline.csat), cur: pct(a.current.csat), chg: signed(a.change),
          p: pValue(a.p_value), n1: a.baseline.count, n2: a.current.count })));
        ul.appendChild(li);
      });
      body.appendChild(ul);
    }
  });

  var zeroCopy = new Section("zerocopy", {
    url: function (s) { return API.zeroCopy + "?" + query({ group_by: s.group.value, from: state.from, to: state.to }); },
    empty: function (d) { return d.groups.length ? null : t("zcEmpty"); },
    render: function (d, body, s) {
      var kind = d.group_by === "province" ? "province" : "agency";
      var rows = d.groups.slice().sort(function (a, b) { return (a.no_copy_share || 0) - (b.no_copy_share || 0); });
      var shown = s.expanded ? rows : rows.slice(0, SHORT_LIST);
      if (rows.length) {
        body.appendChild(table([t(kind), t("noCopy"), t("copies"), t("past"), t("breaches"), t("disagree")],
          shown.map(function (g) {
            return [entityButton(kind, g.id), bar(g.no_copy_share), g.copies_demanded, g.copies_past_planned_end,
              g.citizen_breaches, g.disagreements];
          })));
        toggle(s, rows.length, body);
      }
      if (d.disagreements && d.disagreements.length) {
        body.appendChild(el("h3", t("disagreeHead", { n: d.disagreements.length })));
        var ul = el("ul");
        d.disagreements.slice(0, SHORT_LIST).forEach(function (x) {
          var li = el("li");
          li.appendChild(entityButton("service_point", x.service_point_id));
          li.appendChild(el("span", " · " + t("disagreeLine", { n: x.breaches && x.breaches.total })));
          ul.appendChild(li);
        });
        body.appendChild(ul);
      }
      if (d.unknown_points) body.appendChild(el("p", t("unknownPoints", { n: d.unknown_points }), "note"));
    }
  });

  var rollout = new Section("rollout", {
    url: function (s) { return API.rollout + "?" + query({ group_by: s.group.value }); },
    empty: function (d) { return d.groups.length ? null : t("rolloutEmpty"); },
    render: function (d, body, s) {
      var kind = d.group_by === "province" ? "province" : "agency";
      var shown = s.expanded ? d.groups : d.groups.slice(0, SHORT_LIST);
      if (!d.groups.length) return;
      body.appendChild(table([t(kind), t("pinned"), t("surveyed"), t("allZeroCopy"), t("past")],
        shown.map(function (g) {
          return [entityButton(kind, g.id), g.pinned, bar(g.surveyed_share), g.zero_copy_points, g.copies_past_planned_end];
        })));
      toggle(s, d.groups.length, body);
    }
  });

  // --- one entity's report ----------------------------------------------------
  function trendChart(periods) {
    var NS = "http://www.w3.org/2000/svg", w = 44, h = 100;
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + (periods.length * w) + " " + (h + 16));
    svg.setAttribute("class", "trend");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", periods.map(function (p) { return p.to + " " + pct(p.csat); }).join(", "));
    periods.forEach(function (p, i) {
      var height = p.csat === null ? 0 : Math.max(1, p.csat * (h - 20));
      var rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", i * w + 6); rect.setAttribute("width", w - 12);
      rect.setAttribute("y", h - height); rect.setAttribute("height", height);
      rect.setAttribute("class", p.csat === null ? "none" : "");
      var title = document.createElementNS(NS, "title");
      title.textContent = p.from + " – " + p.to + ": " + (p.csat === null ? t("noRatings") : pct(p.csat) + " (" + p.count + ")");
      rect.appendChild(title); svg.appendChild(rect);
      var label = document.createElementNS(NS, "text");
      label.setAttribute("x", i * w + w / 2); label.setAttribute("y", h - height - 4);
      label.textContent = p.csat === null ? "–" : pct(p.csat);
      svg.appendChild(label);
      var day = document.createElementNS(NS, "text");
      day.setAttribute("x", i * w + w / 2); day.setAttribute("y", h + 13);
      day.textContent = p.to.slice(8, 10) + "/" + p.to.slice(5, 7);
      svg.appendChild(day);
    });
    return svg;
  }
  function significance(trend, minSample) {
    if (trend.change === null || trend.p_value === null) return t("sigNone");
    var v = { chg: signed(trend.change), p: pValue(trend.p_value), min: minSample };
    if (trend.significant) return t("sigYes", v);
    return t(trend.p_value < 0.05 ? "sigSmall" : "sigNo", v);
  }

  var entity = new Section("entity", {
    url: function () {
      if (!state.entity) return null;
      return API.report[state.entity.kind] + encodeURIComponent(state.entity.id) + "?" + query({ from: state.from, to: state.to });
    },
    empty: function () { return null; },
    render: function (d, body) {
      var kind = state.entity.kind, head = el("p", null, "entity-title");
      head.appendChild(el("strong", t(kind) + ": " + nameOf(kind, d.id)));
      if (kind !== "province") head.appendChild(el("small", d.id, "id"));
      body.appendChild(head);
      var badge = el("span", d.enough_data ? t("enough") : t("notEnough"), d.enough_data ? "badge ok" : "badge low");
      var facts = el("p");
      facts.appendChild(badge);
      facts.appendChild(el("span", " " + d.from + " – " + d.to + " · " + t("ratings", { n: d.count }) +
        (d.verified ? " · " + t("verified", { n: d.verified }) : "")));
      body.appendChild(facts);
      if (!d.enough_data) body.appendChild(el("p", t("notEnough") + ": " + t("notEnoughWhy", { min: d.min_sample }), "warn"));
      var big = el("div", null, "figures");
      [[t("csat"), pct(d.csat), interval(d.csat_ci) + " " + t("ci")], [t("score"), num(d.score, 2), "1–5"]].forEach(function (f) {
        var box = el("div"); box.appendChild(el("span", f[0])); box.appendChild(el("strong", f[1])); box.appendChild(el("small", f[2]));
        big.appendChild(box);
      });
      body.appendChild(big);

      var questions = Object.keys(d.means || {});
      if (questions.length) {
        body.appendChild(el("h3", t("means")));
        body.appendChild(table([t("question"), t("mean"), t("ci"), t("n")], questions.map(function (q) {
          var m = d.means[q];
          return [question(q), num(m.mean, 2), m.ci ? num(m.ci[0], 2) + "–" + num(m.ci[1], 2) : "—", m.n];
        })));
      }
      var driver = (d.key_drivers || []).filter(function (k) { return k.r !== null; })[0];
      body.appendChild(el("p", !driver ? t("noDriver") : driver.r <= 0 ? t("noPositiveDriver") :
        t("keyDriver", { q: question(driver.driver), r: num(driver.r, 2), n: driver.n })));

      var periods = (d.trend && d.trend.periods) || [];
      if (periods.length) {
        var monthly = periods.some(function (p) { return daysBetween(p.from, p.to) > 7; });
        body.appendChild(el("h3", t(monthly ? "trendMonth" : "trendWeek")));
        body.appendChild(trendChart(periods));
        body.appendChild(el("p", significance(d.trend, d.min_sample), d.trend.significant ? "warn" : "note"));
        body.appendChild(table([t("period"), t("count"), t("csat")], periods.map(function (p) {
          return [p.from + " – " + p.to, p.count, p.csat === null ? t("noRatings") : pct(p.csat)];
        })));
      }
      var c = d.complaints;
      if (c) body.appendChild(el("p", t("complaints", { filed: c.filed, open: c.open, overdue: c.overdue,
        share: c.within_sla_share === null ? "—" : pct(c.within_sla_share) + " " + interval(c.within_sla_ci) })));
      var z = d.zero_copy && d.zero_copy.figures;
      if (z) body.appendChild(el("p", t("zcLine", { share: pct(z.no_copy_share), copies: z.copies_demanded,
        past: z.copies_past_planned_end, breaches: d.zero_copy_breaches ? d.zero_copy_breaches.total : 0 })));
    }
  });
  function openEntity(kind, id) {
    state.entity = { kind: kind, id: id };
    // the comment themes (dashboard-themes.js) follow the opened entity
    document.dispatchEvent(new CustomEvent("cfz:entity", { detail: { kind: kind, id: id, name: nameOf(kind, id) } }));
    entity.node.hidden = false;
    entity.load();
    entity.node.scrollIntoView({ behavior: "smooth", block: "start" });
  }
  $("entity-close").onclick = function () { state.entity = null; entity.seq++; entity.node.hidden = true; };

  var sections = [rankings, entity, alertsSection, zeroCopy, rollout];

  // --- filters, language -------------------------------------------------------
  function remember() {
    if (!window.history || !history.replaceState) return;
    history.replaceState(null, "", location.pathname + "?" + query({ from: state.from, to: state.to, level: state.level }));
  }
  function readFilters() {
    var msg = $("filters-msg"), from = $("from").value, to = $("to").value, problem = null;
    if (!ISO.test(from) || !ISO.test(to)) problem = t("badDate");
    else if (to < from) problem = t("badRange");
    else if (daysBetween(from, to) >= MAX_DAYS) problem = t("tooLong", { n: MAX_DAYS });
    msg.hidden = !problem; msg.textContent = problem || "";
    if (problem) return false;
    state.from = from; state.to = to; state.level = $("level").value;
    return true;
  }
  $("filters").onsubmit = function (ev) {
    ev.preventDefault();
    if (!readFilters()) return;
    remember(); state.limit = LIMITS[0];
    loadAll();
  };
  function loadAll() {
    rankings.load(); alertsSection.load(); zeroCopy.load(); rollout.load();
    if (state.entity) entity.load();
    document.dispatchEvent(new CustomEvent("cfz:filters"));
  }
  $("level").onchange = function () {
    if (!readFilters()) return;
    remember(); state.limit = LIMITS[0]; rankings.load();
  };
  function applyLang() {
    document.documentElement.lang = lang;
    document.title = t("title") + " · Citizen Feedback & Zero Copy";
    Array.prototype.forEach.call(document.querySelectorAll("[data-th]"), function (n) {
      n.textContent = n.getAttribute("data-" + lang);
    });
  }
  cfz.onLang(function (chosen) {  // the header's language button (cfz.js)
    lang = chosen;
    applyLang();
    sections.forEach(function (s) { s.paint(); });
    var msg = $("filters-msg"); if (!msg.hidden) readFilters();
  });

  $("from").value = state.from; $("to").value = state.to; $("level").value = state.level;
  $("zerocopy").querySelector("select.group").value = state.level === "province" ? "province" : "agency";
  $("rollout").querySelector("select.group").value = state.level === "province" ? "province" : "agency";
  cfz.start();
  applyLang();
  loadAll();
  // a shared link (e.g. the officer app's "own results") opens one entity's report
  if (/^[A-Za-z0-9_-]{1,100}$/.test(params.get("id") || "")) openEntity(state.level, params.get("id"));
})();

// A service point: services with the documents to bring and the copies it
// still demands (why, until when), hours, phone, directions, satisfaction
// with its interval, published comments; buttons to rate and to complain.
(function () {
  "use strict";
  cfz.addTexts({
    th: { rate: "ประเมินความพึงพอใจ", complain: "ร้องเรียน", directions: "นำทาง", call: "โทร {phone}",
          hoursTitle: "เวลาทำการ", satisfactionTitle: "ความพึงพอใจ (12 เดือนล่าสุด)", servicesTitle: "งานบริการและเอกสารที่ต้องนำมา",
          servicesHint: "ตามมติคณะรัฐมนตรี หน่วยงานต้องไม่เรียกสำเนาเอกสารที่ราชการออกให้ (Zero Copy)",
          commentsTitle: "ความคิดเห็นจากผู้มาใช้บริการ", more: "ดูเพิ่มเติม", notFound: "ไม่พบจุดบริการนี้",
          closed: "จุดบริการนี้ปิดแล้ว", noHours: "ไม่ได้ระบุ", noServices: "ยังไม่ได้ระบุงานบริการ",
          undeclared: "ยังไม่ได้สำรวจเอกสาร: สอบถามที่จุดบริการ", noDocuments: "ไม่ต้องใช้เอกสาร", gov: "ราชการออกให้",
          nocopy: "ไม่ต้องถ่ายสำเนา", copy: "ยังขอสำเนา", copyWhy: "เหตุผล: {reason}", copyUntil: "จะเลิกขอสำเนาภายใน {date}",
          copyPast: "เลยกำหนดเลิกขอสำเนา ({date}) แล้ว", allNoCopy: "ไม่ขอสำเนาเอกสารเลย", someCopy: "ยังขอสำเนาบางรายการ",
          csat: "{pct}% พอใจมาก–มากที่สุด", interval: "ช่วงความเชื่อมั่น 95%: {lo}–{hi}%", count: "จากผู้ประเมิน {n} คน",
          noRatings: "ยังไม่มีผู้ประเมิน", fewRatings: "ยังมีผู้ประเมินไม่พอจะสรุปผล ({n} คน ต้องการอย่างน้อย {min} คน)",
          noComments: "ยังไม่มีความคิดเห็นที่เผยแพร่", verified: "ยืนยันการมาใช้บริการ", stars: "ความพึงพอใจ {n}/5",
          pinnedGps: "ปักหมุดที่จุดบริการ (GPS ±{m} ม.)", pinnedHand: "ปักหมุดด้วยมือ", reportFailed: "โหลดผลความพึงพอใจไม่ได้" },
    en: { rate: "Rate your visit", complain: "Complain", directions: "Directions", call: "Call {phone}",
          hoursTitle: "Opening hours", satisfactionTitle: "Satisfaction (last 12 months)", servicesTitle: "Services and documents to bring",
          servicesHint: "By Cabinet resolution, agencies must not demand copies of documents the government itself issued (Zero Copy)",
          commentsTitle: "What visitors say", more: "Show more", notFound: "This service point does not exist",
          closed: "This service point is closed", noHours: "Not given", noServices: "No services listed yet",
          undeclared: "Documents not surveyed yet: ask at the point", noDocuments: "No documents needed", gov: "government-issued",
          nocopy: "no copy needed", copy: "copy still demanded", copyWhy: "Why: {reason}", copyUntil: "Planned to stop by {date}",
          copyPast: "Past its planned end ({date})", allNoCopy: "Demands no copies", someCopy: "Still demands some copies",
          csat: "{pct}% satisfied or very satisfied", interval: "95% interval: {lo}–{hi}%", count: "from {n} ratings",
          noRatings: "No ratings yet", fewRatings: "Not enough ratings yet to judge ({n}; at least {min} needed)",
          noComments: "No published comments yet", verified: "verified visit", stars: "Satisfaction {n}/5",
          pinnedGps: "Pinned on site (GPS ±{m} m)", pinnedHand: "Placed by hand", reportFailed: "Could not load the satisfaction figures" }
  });
  var el = cfz.el, $ = cfz.$, id = cfz.pathPart(1), point = null, report = null, reportError = null, comments = [], total = 0;
  var PAGE = 10;

  function today() { return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10); }
  function yearAgo() { return new Date(Date.now() + 7 * 3600 * 1000 - 364 * 86400 * 1000).toISOString().slice(0, 10); }

  function documentItem(d) {
    var parts = [el("span", {}, cfz.pick(d, "name") + " ")];
    if (d.government_issued) parts.push(el("span", { class: "badge gov" }, cfz.t("gov")), " ");
    parts.push(el("span", { class: "badge " + (d.copy_required ? "copy" : "nocopy") }, cfz.t(d.copy_required ? "copy" : "nocopy")));
    if (d.copy_required) {
      if (d.copy_reason) parts.push(el("div", { class: "hint" }, cfz.t("copyWhy", { reason: d.copy_reason })));
      if (d.copy_planned_end_date) {
        var past = d.copy_planned_end_date < today();
        parts.push(el("div", { class: past ? "field-error" : "hint" },
          cfz.t(past ? "copyPast" : "copyUntil", { date: cfz.formatDate(d.copy_planned_end_date) })));
      }
    }
    return el("li", {}, parts);
  }
  function renderServices() {
    var box = cfz.clear($("services"));
    var services = point.services || [];
    if (!services.length) { box.appendChild(el("p", {}, cfz.t("noServices"))); return; }
    services.forEach(function (s) {
      var head = el("h3", {}, [el("a", { href: "/services/" + encodeURIComponent(s.service_code) }, cfz.pick(s, "name")), " "]);
      if (s.declared) head.appendChild(el("span", { class: "badge " + (s.zero_copy ? "nocopy" : "copy") }, cfz.t(s.zero_copy ? "allNoCopy" : "someCopy")));
      var card = el("section", { class: "card" }, [head]);
      if (!s.declared) card.appendChild(el("p", { class: "muted" }, cfz.t("undeclared")));
      else if (!s.documents || !s.documents.length) card.appendChild(el("p", {}, cfz.t("noDocuments")));
      else card.appendChild(el("ul", {}, s.documents.map(documentItem)));
      box.appendChild(card);
    });
  }
  function renderSatisfaction() {
    var box = cfz.clear($("satisfaction"));
    if (reportError) { box.appendChild(el("p", { class: "muted" }, cfz.t("reportFailed") + ": " + reportError.text())); return; }
    if (!report) { box.appendChild(el("p", { class: "muted" }, cfz.t("loading"))); return; }
    if (!report.count) { box.appendChild(el("p", {}, cfz.t("noRatings"))); return; }
    var pct = function (x) { return Math.round(x * 100); };
    if (!report.enough_data) {
      box.appendChild(el("p", {}, cfz.t("fewRatings", { n: report.count, min: report.min_sample })));
      return;
    }
    box.appendChild(el("p", { class: "big" }, cfz.t("csat", { pct: pct(report.csat) })));
    box.appendChild(el("p", { class: "muted" }, cfz.t("interval", { lo: pct(report.csat_ci[0]), hi: pct(report.csat_ci[1]) }) + " · " +
      cfz.t("count", { n: report.count })));
  }
  function renderComments() {
    var list = cfz.clear($("comments"));
    if (!comments.length) list.appendChild(el("li", { class: "muted" }, cfz.t("noComments")));
    comments.forEach(function (c) {
      list.appendChild(el("li", {}, [
        el("div", { class: "row muted" }, [cfz.t("stars", { n: c.satisfaction }), cfz.formatDate(c.submitted_at),
          c.verified ? el("span", { class: "badge nocopy" }, cfz.t("verified")) : null]),
        el("p", {}, c.comment)
      ]));
    });
    $("more").hidden = comments.length >= total;
  }
  function render() {
    if (!point) return;
    document.title = cfz.pick(point, "name") + " · " + cfz.t("app");
    $("name").textContent = cfz.pick(point, "name");
    $("address").textContent = point.address + (point.province ? " · " + cfz.pick(point.province, "name") : "");
    var pin = point.pin;
    $("pin").textContent = pin ? (pin.method === "gps" && pin.accuracy_m != null ? cfz.t("pinnedGps", { m: Math.round(pin.accuracy_m) }) : cfz.t("pinnedHand")) : "";
    $("hours").textContent = point.opening_hours || cfz.t("noHours");
    $("rate").href = "/feedback?point=" + encodeURIComponent(point.id);
    $("complain").href = "/complaints/new?point=" + encodeURIComponent(point.id);
    $("directions").href = "https://www.google.com/maps/dir/?api=1&destination=" + point.location.lat + "," + point.location.lon;
    if (point.phone) { $("call").hidden = false; $("call").href = "tel:" + point.phone; $("call").textContent = cfz.t("call", { phone: cfz.formatPhone(point.phone) }); }
    if (point.status === "closed") cfz.status($("status"), cfz.t("closed"), "warn");
    renderServices(); renderSatisfaction(); renderComments();
  }
  function loadComments() {
    return cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(id) + "/feedback?limit=" + PAGE + "&offset=" + comments.length)
      .then(function (res) { comments = comments.concat(res.data.results); total = res.data.total; renderComments(); });
  }

  cfz.start(function () {
    cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(id)).then(function (res) {
      point = res.data;
      cfz.status($("status"), "");
      $("point").hidden = false;
      render();
      cfz.api("GET", "/api/v1/reports/service-points/" + encodeURIComponent(id) + "?from=" + yearAgo() + "&to=" + today())
        .then(function (r) { report = r.data; renderSatisfaction(); }, function (err) { reportError = err; renderSatisfaction(); });
      loadComments().catch(function () { /* the point itself is what matters */ });
    }, function (err) {
      cfz.status($("status"), err.status === 404 ? cfz.t("notFound") : err.text(), "error");
    });
    $("more").addEventListener("click", loadComments);
    cfz.onLang(render);
  });
})();

// A Citizen's Manual entry: steps, documents, fee, time, legal basis, and
// the nearest points that offer it with their copy status for it.
(function () {
  "use strict";
  cfz.addTexts({
    th: { fee: "ค่าธรรมเนียม", time: "ระยะเวลา", nearTitle: "จุดบริการที่ใกล้ที่สุด", nearMe: "หาจุดบริการใกล้ฉัน", onMap: "ดูบนแผนที่",
          zeroCopyOnly: "เฉพาะจุดที่ไม่ขอสำเนาเอกสาร", documentsTitle: "เอกสารที่ต้องใช้", stepsTitle: "ขั้นตอน", lawTitle: "กฎหมายที่เกี่ยวข้อง",
          source: "ข้อมูลตามโครงสร้างคู่มือสำหรับประชาชน (พ.ร.บ.การอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558)",
          free: "ไม่เสียค่าธรรมเนียม", baht: "{n} บาท", minutes: "{n} นาที", hours: "{n} ชั่วโมง", days: "{n} วัน", workingDays: "{n} วันทำการ",
          notFound: "ไม่พบงานบริการนี้ในคู่มือสำหรับประชาชน", locating: "กำลังหาตำแหน่งของคุณ…",
          noLocation: "ไม่ทราบตำแหน่งของคุณ ลองดูบนแผนที่ แล้วแตะตรงที่คุณอยู่", noneNear: "ไม่พบจุดที่ให้บริการนี้ตามเงื่อนไข",
          km: "กม.", directions: "นำทาง", nocopy: "ไม่ขอสำเนา", copy: "ยังขอสำเนา", undeclared: "ยังไม่สำรวจ", gov: "ราชการออกให้ (ห้ามเรียกสำเนา)",
          copies: "จำนวน {n}" },
    en: { fee: "Fee", time: "Processing time", nearTitle: "Nearest points offering it", nearMe: "Find points near me", onMap: "See on the map",
          zeroCopyOnly: "Only points that demand no photocopies", documentsTitle: "Documents needed", stepsTitle: "Steps", lawTitle: "Legal basis",
          source: "Structured after the Citizen's Manual (Licensing Facilitation Act B.E. 2558)",
          free: "Free", baht: "{n} baht", minutes: "{n} minutes", hours: "{n} hours", days: "{n} days", workingDays: "{n} working days",
          notFound: "This service is not in the Citizen's Manual", locating: "Finding your location…",
          noLocation: "Your location is unknown. Open the map and tap where you are.", noneNear: "No point offering it matches",
          km: "km", directions: "Directions", nocopy: "No copies", copy: "Copies demanded", undeclared: "Not surveyed", gov: "government-issued (no copy may be demanded)",
          copies: "{n} copies" }
  });
  var el = cfz.el, $ = cfz.$, code = cfz.pathPart(1), entry = null, here = null;

  function duration(pt) {
    if (!pt) return "";
    var unit = { minutes: "minutes", hours: "hours", days: "days", working_days: "workingDays" }[pt.unit] || "days";
    return cfz.t(unit, { n: pt.amount });
  }
  function render() {
    if (!entry) return;
    document.title = cfz.pick(entry, "name") + " · " + cfz.t("app");
    $("name").textContent = cfz.pick(entry, "name");
    $("description").textContent = cfz.pick(entry, "description");
    $("agency").textContent = cfz.pick(entry, "responsible_agency");
    $("fee").textContent = (entry.fee_baht ? cfz.t("baht", { n: entry.fee_baht }) : cfz.t("free")) +
      (cfz.pick(entry, "fee_note") ? " · " + cfz.pick(entry, "fee_note") : "");
    $("time").textContent = duration(entry.processing_time);
    var docs = cfz.clear($("documents"));
    (entry.documents || []).forEach(function (d) {
      docs.appendChild(el("li", {}, [cfz.pick(d, "name"), d.government_issued ? el("span", {}, [" ", el("span", { class: "badge gov" }, cfz.t("gov"))]) : null]));
    });
    var steps = cfz.clear($("steps"));
    (entry.steps || []).forEach(function (s) { steps.appendChild(el("li", {}, cfz.pick(s, "description"))); });
    var law = cfz.clear($("law"));
    (entry.legal_basis || []).forEach(function (l) { law.appendChild(el("li", {}, cfz.pick(l, "name"))); });
    $("on-map").href = "/?service=" + encodeURIComponent(entry.service_code);
    if (here) findNear();
  }
  function statusFor(p) {
    var s = (p.services || []).filter(function (x) { return x.service_code === code; })[0];
    if (!s || !s.declared) return "undeclared";
    return s.zero_copy ? "nocopy" : "copy";
  }
  function findNear() {
    var q = "/api/v1/service-points/nearby?k=5&service_code=" + encodeURIComponent(code) + "&lat=" + here.lat.toFixed(5) + "&lon=" + here.lon.toFixed(5);
    if ($("zero-copy").checked) q += "&zero_copy=true";
    var list = cfz.clear($("near"));
    cfz.api("GET", q).then(function (res) {
      cfz.status($("near-status"), "");
      if (!res.data.results.length) { list.appendChild(el("li", {}, cfz.t("noneNear"))); return; }
      res.data.results.forEach(function (r) {
        var p = r.service_point, state = statusFor(p);
        list.appendChild(el("li", {}, [el("a", { class: "title", href: "/points/" + encodeURIComponent(p.id) }, cfz.pick(p, "name")),
          el("div", { class: "row" }, [r.distance_km.toFixed(1) + " " + cfz.t("km"),
            el("span", { class: "badge " + (state === "undeclared" ? "unknown" : state) }, cfz.t(state)),
            el("a", { href: r.directions_url, target: "_blank", rel: "noopener" }, cfz.t("directions"))])]));
      });
    }, function (err) { cfz.status($("near-status"), err.text(), "error"); });
  }
  function nearMe() {
    cfz.status($("near-status"), cfz.t("locating"));
    if (!navigator.geolocation) { cfz.status($("near-status"), cfz.t("noLocation"), "warn"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      here = { lat: pos.coords.latitude, lon: pos.coords.longitude }; findNear();
    }, function () { cfz.status($("near-status"), cfz.t("noLocation"), "warn"); }, { timeout: 10000, maximumAge: 300000 });
  }

  cfz.start(function () {
    cfz.api("GET", "/api/v1/services/" + encodeURIComponent(code)).then(function (res) {
      entry = res.data; cfz.status($("status"), ""); $("entry").hidden = false; render();
    }, function (err) { cfz.status($("status"), err.status === 404 ? cfz.t("notFound") : err.text(), "error"); });
    $("near-me").addEventListener("click", nearMe);
    $("zero-copy").addEventListener("change", function () { if (here) findNear(); });
    cfz.onLang(render);
  });
})();

// File a complaint: category, what happened, where (a point, a tap on the
// map or an address), photo links, optional contact. Sent with an
// Idempotency-Key; kept on the phone and sent later when offline.
(function () {
  "use strict";
  cfz.addTexts({
    th: { title: "ร้องเรียน", intro: "เรื่องของคุณจะส่งถึงหน่วยงานและศูนย์บริการประชาชน 1111 สำนักนายกรัฐมนตรี คุณจะได้รหัสติดตามเรื่อง",
          category: "ประเภทเรื่อง", chooseCategory: "— เลือกประเภท —", description: "รายละเอียด", descriptionHint: "เกิดอะไรขึ้น เมื่อไร",
          where: "เกิดที่ไหน", atPoint: "ที่จุดบริการ", whereHint: "แตะบนแผนที่ตรงจุดที่เกิดเหตุ หรือพิมพ์ที่อยู่", mapLabel: "แผนที่สำหรับเลือกตำแหน่ง",
          address: "ที่อยู่หรือสถานที่ (ถ้ามี)", media: "ลิงก์รูปภาพหรือหลักฐาน (บรรทัดละลิงก์ ไม่เกิน 5)",
          contactTitle: "ช่องทางติดต่อกลับ (ไม่บังคับ)", contactHint: "เห็นได้เฉพาะหน่วยงานที่รับเรื่องและศูนย์ 1111 ไม่เผยแพร่",
          firstName: "ชื่อ", lastName: "นามสกุล", phone: "โทรศัพท์", email: "อีเมล", anonymous: "ไม่เปิดเผยชื่อต่อหน่วยงาน",
          send: "ส่งเรื่องร้องเรียน", sending: "กำลังส่ง…", picked: "ตำแหน่งที่เลือก: {lat}, {lon}",
          needCategory: "กรุณาเลือกประเภทเรื่อง", needDescription: "กรุณาเล่ารายละเอียด", needWhere: "กรุณาระบุว่าเกิดที่ไหน: แตะบนแผนที่หรือพิมพ์ที่อยู่",
          queuedComplaint: "ยังไม่มีอินเทอร์เน็ต บันทึกเรื่องร้องเรียนไว้ในเครื่องแล้ว จะส่งให้อัตโนมัติเมื่อกลับมาออนไลน์ (อย่าปิดหน้านี้จนกว่าจะได้รหัสติดตาม)",
          sla: "กำหนดแล้วเสร็จประมาณ {days} วัน" },
    en: { title: "File a complaint", intro: "Your complaint goes to the agency and to the Prime Minister's Office centre 1111. You will get a tracking code.",
          category: "What is it about?", chooseCategory: "— choose —", description: "What happened", descriptionHint: "What happened, and when",
          where: "Where", atPoint: "At the service point", whereHint: "Tap the map where it happened, or type an address", mapLabel: "Map to pick the place",
          address: "Address or place (optional)", media: "Links to photos or evidence (one per line, at most 5)",
          contactTitle: "How to reach you (optional)", contactHint: "Seen only by the agency handling it and the 1111 centre; never published",
          firstName: "First name", lastName: "Last name", phone: "Phone", email: "E-mail", anonymous: "Do not show my name to the agency",
          send: "Send the complaint", sending: "Sending…", picked: "Place chosen: {lat}, {lon}",
          needCategory: "Please choose what it is about", needDescription: "Please describe what happened", needWhere: "Please say where: tap the map or type an address",
          queuedComplaint: "No connection yet. The complaint is saved on this phone and will be sent automatically when you are back online (keep this page open until you get a tracking code).",
          sla: "Expected to be handled within about {days} days" }
  });
  var el = cfz.el, $ = cfz.$, categories = [], map = null, marker = null, location_ = null;
  var KEY_STORE = "cfz-complaint-key";

  function renderCategories() {
    var select = $("category"), chosen = select.value;
    cfz.clear(select).appendChild(el("option", { value: "" }, cfz.t("chooseCategory")));
    categories.forEach(function (c) { select.appendChild(el("option", { value: c.code }, cfz.pick(c, "name"))); });
    select.value = chosen;
    hint();
  }
  function hint() {
    var c = categories.filter(function (x) { return x.code === $("category").value; })[0];
    $("category-hint").textContent = c ? cfz.pick(c, "description") + " · " + cfz.t("sla", { days: c.sla_days }) : "";
  }
  function initMap() {
    map = L.map("map").setView([13.5, 100.9], 5);
    cfz.mapTiles(map);
    map.on("click", function (ev) { pick(ev.latlng.lat, ev.latlng.lng); });
  }
  function pick(lat, lon) {
    location_ = { lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)) };
    if (marker) map.removeLayer(marker);
    marker = L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 3, fillColor: "#b3261e", fillOpacity: 1 }).addTo(map);
    $("location-note").textContent = cfz.t("picked", { lat: location_.lat, lon: location_.lon });
  }
  function body() {
    var data = { category: $("category").value, description: $("description").value, anonymous: $("anonymous").checked };
    if ($("service_point_id").value) data.service_point_id = $("service_point_id").value;
    if (location_) data.location = location_;
    if ($("address").value.trim()) data.address = $("address").value;
    var media = $("media_urls").value.split(/\s+/).filter(Boolean);
    if (media.length) data.media_urls = media;
    var contact = {};
    [["first_name", "first_name"], ["last_name", "last_name"], ["phone", "phone"], ["email", "email"]].forEach(function (f) {
      var v = $(f[0]).value.trim(); if (v) contact[f[1]] = v;
    });
    if (Object.keys(contact).length) data.contact = contact;
    return data;
  }
  function localProblems(data) {
    var problems = {};
    if (!data.category) problems.category = [cfz.t("needCategory")];
    if (!data.description.trim()) problems.description = [cfz.t("needDescription")];
    if (!data.service_point_id && !data.location && !data.address) problems.address = [cfz.t("needWhere")];
    return Object.keys(problems).length ? problems : null;
  }
  function done(result) {
    sessionStorage.removeItem(KEY_STORE);
    location.assign("/track/" + encodeURIComponent(result.tracking_code) + "?new=1");
  }
  function submit(ev) {
    ev.preventDefault();
    var form = $("complaint"), data = body(), problems = localProblems(data);
    if (problems) {
      cfz.showFieldErrors(form, new cfz.ApiError(400, { details: { fields: problems, fields_th: problems } }));
      return;
    }
    // one key per complaint being written: a retry or a double tap files it once
    var key = sessionStorage.getItem(KEY_STORE) || cfz.uuid();
    sessionStorage.setItem(KEY_STORE, key);
    $("send").disabled = true;
    cfz.status($("status"), cfz.t("sending"));
    cfz.outbox.send({ method: "POST", path: "/api/v1/complaints", body: data, idempotencyKey: key, kind: "complaint" }).then(function (res) {
      if (res.queued) { cfz.status($("status"), cfz.t("queuedComplaint"), "warn"); return; }
      done(res.data);
    }, function (err) {
      $("send").disabled = false;
      cfz.showError(form, $("status"), err);
    });
  }

  cfz.start(function () {
    initMap();
    cfz.outbox.onSent(function (sent) {
      sent.forEach(function (s) { if (s.item.kind === "complaint" && s.result) done(s.result.data); });
    });
    cfz.api("GET", "/api/v1/complaint-categories").then(function (res) { categories = res.data.results; renderCategories(); },
      function (err) { cfz.status($("status"), err.text(), "error"); });
    $("category").addEventListener("change", hint);
    $("complaint").addEventListener("submit", submit);
    var pointId = cfz.params().get("point");
    if (pointId) {
      cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(pointId)).then(function (res) {
        var p = res.data;
        $("service_point_id").value = p.id;
        $("point-box").hidden = false;
        $("point-name").textContent = cfz.pick(p, "name");
        // the point says where: no need to pick a place on the map
        $("map").hidden = true;
        $("where-hint").hidden = true;
        cfz.onLang(function () { $("point-name").textContent = cfz.pick(p, "name"); });
      });
    }
    cfz.onLang(renderCategories);
  });
})();

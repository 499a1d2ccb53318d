// Follow a complaint by its tracking code: status in plain words, history,
// expected date, the 1111 reference; rate the resolution; reopen it.
(function () {
  "use strict";
  cfz.addTexts({
    th: { title: "ติดตามเรื่องร้องเรียน", codeLabel: "รหัสติดตามเรื่อง", codeHint: "เช่น CFZ-XXXX-XXXX", find: "ค้นหา", trackingCode: "รหัสติดตาม",
          descriptionTitle: "รายละเอียดที่แจ้ง", historyTitle: "ความคืบหน้า", rateTitle: "พอใจกับการแก้ไขเรื่องนี้เพียงใด",
          rateComment: "ความคิดเห็น (ไม่บังคับ)", rateSend: "ส่งคะแนน", reopenTitle: "ยังไม่ได้รับการแก้ไข? ขอเปิดเรื่องใหม่", reason: "เหตุผล",
          reopenSend: "ขอเปิดเรื่องใหม่", newNote: "ได้รับเรื่องแล้ว กรุณาจดหรือถ่ายภาพรหัสติดตามนี้ไว้ เพื่อใช้ติดตามความคืบหน้า",
          expected: "กำหนดแล้วเสร็จ: {date}", overdue: "เลยกำหนดแล้ว", pmoc: "เลขที่เรื่องที่ศูนย์ 1111: {ref}", pmocWaiting: "กำลังส่งต่อไปยังศูนย์ 1111",
          pmocDead: "ส่งต่อศูนย์ 1111 ไม่สำเร็จ เจ้าหน้าที่ได้รับแจ้งแล้ว", atPoint: "จุดบริการ: {name}", closedAt: "ปิดเรื่องเมื่อ {date}",
          rated: "ขอบคุณสำหรับคะแนน {n}/5", needRating: "กรุณาเลือกคะแนน", needReason: "กรุณาบอกเหตุผล", reopened: "ขอเปิดเรื่องใหม่แล้ว",
          scaleLow: "ไม่พอใจ", scaleHigh: "พอใจมาก", notFound: "ไม่พบเรื่องตามรหัสนี้ กรุณาตรวจสอบรหัส" },
    en: { title: "Track a complaint", codeLabel: "Tracking code", codeHint: "e.g. CFZ-XXXX-XXXX", find: "Find", trackingCode: "Tracking code",
          descriptionTitle: "What you reported", historyTitle: "Progress", rateTitle: "How satisfied are you with how it was handled?",
          rateComment: "Comment (optional)", rateSend: "Send rating", reopenTitle: "Not solved? Ask to reopen it", reason: "Why",
          reopenSend: "Ask to reopen", newNote: "Received. Please write down or photograph this tracking code to follow your complaint.",
          expected: "Expected by: {date}", overdue: "Overdue", pmoc: "1111 centre reference: {ref}", pmocWaiting: "Being relayed to the 1111 centre",
          pmocDead: "Relaying to the 1111 centre failed; staff have been alerted", atPoint: "Service point: {name}", closedAt: "Closed on {date}",
          rated: "Thank you for rating it {n}/5", needRating: "Please choose a rating", needReason: "Please say why", reopened: "Reopen requested",
          scaleLow: "unhappy", scaleHigh: "very happy", notFound: "No complaint has this code; please check it" }
  });
  var el = cfz.el, $ = cfz.$, complaint = null, code = cfz.pathPart(1) || cfz.params().get("code") || "";

  function render() {
    var c = complaint;
    if (!c) return;
    $("complaint").hidden = false;
    $("tracking").textContent = c.tracking_code;
    $("state").textContent = cfz.lang() === "en" ? c.status_en : c.status_th;
    $("category").textContent = cfz.pick(c, "category");
    $("where").textContent = c.point_name_th ? cfz.t("atPoint", { name: cfz.pick(c, "point_name") }) : (c.address || "");
    $("expected").textContent = c.closed_at ? cfz.t("closedAt", { date: cfz.formatDate(c.closed_at) })
      : cfz.t("expected", { date: cfz.formatDate(c.expected_at) }) + (c.overdue ? " · " + cfz.t("overdue") : "");
    $("pmoc").textContent = c.pmoc_reference ? cfz.t("pmoc", { ref: c.pmoc_reference })
      : c.relay_status === "dead_letter" ? cfz.t("pmocDead") : cfz.t("pmocWaiting");
    $("description").textContent = c.description;
    var history = cfz.clear($("history"));
    (c.history || []).forEach(function (h) {
      history.appendChild(el("li", {}, [el("strong", {}, cfz.lang() === "en" ? h.status_en : h.status_th), el("br"),
        el("span", { class: "muted" }, cfz.formatDate(h.at, true)), h.note ? el("p", {}, h.note) : null]));
    });
    $("rate").hidden = !c.can_rate || !!c.rating;
    $("rated").hidden = !c.rating;
    if (c.rating) $("rated").textContent = cfz.t("rated", { n: c.rating });
    $("reopen").hidden = !c.can_reopen;
    renderScale();
  }
  function renderScale() {
    var box = $("rating-scale"), chosen = box.querySelector("input:checked");
    chosen = chosen ? chosen.value : null;
    cfz.clear(box);
    for (var v = 1; v <= 5; v++) {
      var input = el("input", { type: "radio", name: "rating", value: v, id: "rating-" + v });
      if (String(v) === chosen) input.checked = true;
      box.appendChild(el("label", { for: "rating-" + v }, [input, String(v),
        v === 1 ? el("small", {}, cfz.t("scaleLow")) : v === 5 ? el("small", {}, cfz.t("scaleHigh")) : null]));
    }
  }
  function load() {
    if (!code) return;
    $("code").value = code;
    cfz.status($("status"), cfz.t("loading"));
    cfz.api("GET", "/api/v1/complaints/" + encodeURIComponent(code)).then(function (res) {
      complaint = res.data; cfz.status($("status"), ""); render();
      if (cfz.params().get("new")) { $("new-note").hidden = false; $("new-note").textContent = cfz.t("newNote"); }
    }, function (err) {
      $("complaint").hidden = true;
      cfz.status($("status"), err.status === 404 ? cfz.t("notFound") : err.text(), "error");
    });
  }
  function action(path, body, form, okText) {
    return cfz.api("POST", "/api/v1/complaints/" + encodeURIComponent(complaint.tracking_code) + path,
                   { body: body, idempotencyKey: cfz.uuid() })
      .then(function () { cfz.status($("action-status"), okText, "ok"); load(); },
            function (err) { cfz.showError(form, $("action-status"), err); });
  }

  cfz.start(function () {
    $("lookup").addEventListener("submit", function (ev) {
      ev.preventDefault();
      code = $("code").value.trim().toUpperCase();
      if (code) { history.pushState(null, "", "/track/" + encodeURIComponent(code)); load(); }
    });
    $("rate").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = $("rate").querySelector("input[name=rating]:checked");
      if (!chosen) { cfz.status($("action-status"), cfz.t("needRating"), "error"); return; }
      var body = { rating: Number(chosen.value) };
      if ($("rating-comment").value.trim()) body.comment = $("rating-comment").value;
      action("/rating", body, $("rate"), cfz.t("rated", { n: body.rating }));
    });
    $("reopen").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!$("reason").value.trim()) { cfz.status($("action-status"), cfz.t("needReason"), "error"); return; }
      action("/reopen", { reason: $("reason").value }, $("reopen"), cfz.t("reopened"));
    });
    window.addEventListener("popstate", function () { code = cfz.pathPart(1); load(); });
    cfz.onLang(render);
    load();
  });
})();

// The rating form: /feedback?point=ID[&service=CODE][&code=COUNTER | &t=TOKEN].
// A counter's QR code (code=) is exchanged for a visit token, which makes the
// rating verified; a point page opens it without one (unverified).
(function () {
  "use strict";
  cfz.addTexts({
    th: { title: "ประเมินความพึงพอใจ", service: "งานบริการที่มาใช้", channel: "ช่องทาง", other: "เอกสารอื่นที่ถูกขอสำเนา (ถ้ามี)",
          commentHint: "ความคิดเห็นจะเผยแพร่โดยปิดบังเบอร์โทรและข้อมูลส่วนตัว", send: "ส่งแบบประเมิน", back: "กลับไปที่จุดบริการ",
          none: "ไม่ระบุ", verified: "✓ ยืนยันการมาใช้บริการแล้ว", alreadyRated: "วันนี้คุณประเมินที่นี่ด้วย QR code นี้แล้ว ส่งได้อีกแต่จะไม่นับเป็นการยืนยันการมาใช้บริการ",
          badCode: "QR code นี้ใช้ไม่ได้ ส่งแบบประเมินได้ แต่จะไม่นับเป็นการยืนยันการมาใช้บริการ",
          required: "กรุณาให้คะแนนความพึงพอใจโดยรวม", sending: "กำลังส่ง…", thanks: "ขอบคุณสำหรับความคิดเห็น",
          pending: "ขอบคุณค่ะ ความคิดเห็นของคุณจะเผยแพร่หลังเจ้าหน้าที่ตรวจสอบ", queuedRating: "ยังไม่มีอินเทอร์เน็ต บันทึกแบบประเมินไว้ในเครื่องแล้ว จะส่งให้อัตโนมัติเมื่อกลับมาออนไลน์",
          sentOffline: "ส่งแบบประเมินที่บันทึกไว้เรียบร้อยแล้ว ขอบคุณค่ะ", noPoint: "ไม่พบจุดบริการ: เปิดแบบประเมินจาก QR code หรือหน้าจุดบริการ",
          breach: "ขอบคุณที่แจ้ง: หน่วยงานจะถูกติดตามเรื่องการขอสำเนาเอกสาร" },
    en: { title: "Rate your visit", service: "Service used", channel: "Channel", other: "Another document you were asked to copy (if any)",
          commentHint: "Comments are published with phone numbers and personal data masked", send: "Send", back: "Back to the service point",
          none: "Not specified", verified: "✓ Visit verified", alreadyRated: "You already rated here today with this QR code. You may send again, but it will not count as verified.",
          badCode: "This QR code is not valid. You may still rate, but it will not count as verified.",
          required: "Please rate your overall satisfaction", sending: "Sending…", thanks: "Thank you for your feedback",
          pending: "Thank you. Your comment will be published after a moderator reviews it.", queuedRating: "No connection yet. Your rating is saved on this phone and will be sent automatically when you are back online.",
          sentOffline: "The rating saved offline has been sent. Thank you.", noPoint: "No service point: open the form from a QR code or a point's page",
          breach: "Thank you: the agency will be followed up on the copies it demanded" }
  });
  var el = cfz.el, $ = cfz.$, params = cfz.params(), pointId = params.get("point");
  var questionnaire = null, point = null, visitToken = params.get("t"), key = cfz.uuid();

  function render() {
    if (!questionnaire || !point) return;
    $("point").textContent = cfz.pick(point, "name");
    $("copies-label").textContent = cfz.pick(questionnaire.copies_question, "text");
    $("comment-label").textContent = cfz.pick(questionnaire.comment_question, "text");
    var channel = $("channel"), chosenChannel = channel.value;
    cfz.clear(channel);
    questionnaire.channels.forEach(function (c) { channel.appendChild(el("option", { value: c.code }, cfz.pick(c, "name"))); });
    if (chosenChannel) channel.value = chosenChannel;
    var service = $("service_code"), current = service.value || params.get("service") || "";
    cfz.clear(service).appendChild(el("option", { value: "" }, cfz.t("none")));
    (point.services || []).forEach(function (s) { service.appendChild(el("option", { value: s.service_code }, cfz.pick(s, "name"))); });
    service.value = current;
    renderCopies();
    var box = $("questions"), answers = collectAnswers(), labels = questionnaire.scale["labels_" + cfz.lang()] || questionnaire.scale.labels_th;
    cfz.clear(box);
    questionnaire.questions.forEach(function (q) {
      var scale = el("div", { class: "scale" });
      for (var v = 1; v <= 5; v++) {
        var input = el("input", { type: "radio", name: "answers." + q.code, value: v, id: q.code + "-" + v, "data-question": q.code });
        if (answers[q.code] === v) input.checked = true;
        scale.appendChild(el("label", { for: q.code + "-" + v, title: labels[v - 1] }, [input, String(v),
          (v === 1 || v === 5) ? el("small", {}, labels[v - 1]) : null]));
      }
      box.appendChild(el("fieldset", { class: "field" }, [el("legend", {}, cfz.pick(q, "text") + (q.required ? " *" : "")), scale]));
    });
  }
  function renderCopies() {
    var code = $("service_code").value, box = cfz.clear($("copies"));
    (point.services || []).filter(function (s) { return s.service_code === code; }).forEach(function (s) {
      (s.documents || []).forEach(function (d, i) {
        var id = "copy-" + i;
        box.appendChild(el("label", { class: "inline", for: id }, [el("input", { type: "checkbox", id: id, value: d.name_th }), cfz.pick(d, "name")]));
      });
    });
  }
  function collectAnswers() {
    var answers = {};
    document.querySelectorAll("#questions input:checked").forEach(function (i) { answers[i.getAttribute("data-question")] = Number(i.value); });
    return answers;
  }
  function finished(result) {
    $("send").hidden = true;
    var text = result.comment_status === "pending" ? cfz.t("pending") : cfz.t("thanks");
    if (result.zero_copy_breaches && result.zero_copy_breaches.length) text += " " + cfz.t("breach");
    cfz.status($("message"), text, "ok");
  }
  function submit(ev) {
    ev.preventDefault();
    var answers = collectAnswers();
    if (!answers.satisfaction) { cfz.status($("message"), cfz.t("required"), "error"); return; }
    var copies = [];
    document.querySelectorAll("#copies input:checked").forEach(function (i) { copies.push(i.value); });
    if ($("copy-other").value.trim()) copies.push($("copy-other").value.trim());
    var body = { channel: $("channel").value, answers: answers, copies_requested: copies, comment: $("comment").value, website: $("website").value };
    if ($("service_code").value) body.service_code = $("service_code").value;
    if (visitToken) body.visit_token = visitToken;
    $("send").disabled = true;
    cfz.status($("message"), cfz.t("sending"));
    cfz.outbox.send({ method: "POST", path: "/api/v1/service-points/" + encodeURIComponent(pointId) + "/feedback",
                      body: body, idempotencyKey: key, kind: "feedback" }).then(function (res) {
      if (res.queued) { $("send").hidden = true; cfz.status($("message"), cfz.t("queuedRating"), "warn"); return; }
      finished(res.data);
    }, function (err) {
      $("send").disabled = false;
      cfz.showError($("form"), $("message"), err);
    });
  }

  cfz.start(function () {
    if (!pointId) { cfz.status($("status"), cfz.t("noPoint"), "error"); return; }
    $("back").href = "/points/" + encodeURIComponent(pointId);
    $("back").hidden = false;
    cfz.outbox.onSent(function (sent) {
      sent.forEach(function (s) { if (s.item.kind === "feedback" && s.result) cfz.status($("message"), cfz.t("sentOffline"), "ok"); });
    });
    var ready = [
      cfz.api("GET", "/api/v1/questionnaire").then(function (r) { questionnaire = r.data; }),
      cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(pointId)).then(function (r) { point = r.data; })
    ];
    var note = null;
    if (params.get("code")) {
      var req = { code: params.get("code"), device_id: deviceId() };
      if (params.get("service")) req.service_code = params.get("service");
      ready.push(cfz.api("POST", "/api/v1/service-points/" + encodeURIComponent(pointId) + "/visit-tokens", { body: req, retries: 1 })
        .then(function (r) {
          if (r.data.used) note = "alreadyRated"; else visitToken = r.data.visit_token;
        }, function () { note = "badCode"; }));
    }
    Promise.all(ready).then(function () {
      cfz.status($("status"), note ? cfz.t(note) : "", note ? "warn" : null);
      $("form").hidden = false;
      $("verified").hidden = !visitToken;
      $("verified").textContent = cfz.t("verified");
      render();
    }, function (err) { cfz.status($("status"), err.text(), "error"); });
    $("service_code").addEventListener("change", renderCopies);
    $("form").addEventListener("submit", submit);
    cfz.onLang(function () { render(); $("verified").textContent = cfz.t("verified"); });
  });

  function deviceId() {
    var id = null;
    try { id = localStorage.getItem("cfz-device"); } catch (e) { /* private mode */ }
    if (!id) { id = cfz.uuid().replace(/[^A-Za-z0-9-]/g, ""); try { localStorage.setItem("cfz-device", id); } catch (e) { /* private mode */ } }
    return id;
  }
})();

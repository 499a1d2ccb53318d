// The feedback form a counter's QR code opens: /feedback?point=ID[&service=CODE][&code=C | &t=TOKEN]
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var pointId = params.get("point");
  var lang = localStorage.getItem("cfz-lang") || "th";
  var idempotencyKey = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9-]/g, "");
  var visitToken = params.get("t");
  var questionnaire = null, point = null;
  var T = {
    th: { title: "ประเมินความพึงพอใจ", service: "งานบริการที่ใช้", channel: "ช่องทาง", send: "ส่งแบบประเมิน",
          other: "เอกสารอื่น (ถ้ามี)", thanks: "ขอบคุณสำหรับความคิดเห็น", verified: "✓ ยืนยันการมาใช้บริการแล้ว",
          required: "กรุณาให้คะแนนความพึงพอใจโดยรวม", error: "ส่งไม่สำเร็จ", none: "ไม่ระบุ" },
    en: { title: "Rate your visit", service: "Service used", channel: "Channel", send: "Send",
          other: "Another document (if any)", thanks: "Thank you for your feedback", verified: "✓ Visit verified",
          required: "Please rate your overall satisfaction", error: "Could not send", none: "Not specified" }
  };
  function t(k) { return T[lang][k]; }
  function pick(o, base) { return o[base + "_" + lang] || o[base + "_th"]; }
  function el(tag, text) { var e = document.createElement(tag); if (text) e.textContent = text; return e; }
  function deviceId() {
    var id = localStorage.getItem("cfz-device");
    if (!id) { id = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9-]/g, ""); localStorage.setItem("cfz-device", id); }
    return id;
  }

  function render() {
    document.documentElement.lang = lang;
    document.getElementById("lang").textContent = lang === "th" ? "EN" : "ไทย";
    document.getElementById("title").textContent = t("title");
    document.getElementById("service-label").textContent = t("service");
    document.getElementById("channel-label").textContent = t("channel");
    document.getElementById("send").textContent = t("send");
    document.getElementById("copy-other").placeholder = t("other");
    document.getElementById("verified").textContent = t("verified");
    if (!questionnaire || !point) return;
    document.getElementById("point").textContent = pick(point, "name");
    document.getElementById("copies-label").textContent = pick(questionnaire.copies_question, "text");
    document.getElementById("comment-label").textContent = pick(questionnaire.comment_question, "text");
    var channel = document.getElementById("channel"), chosen = channel.value;
    channel.innerHTML = "";
    questionnaire.channels.forEach(function (c) { var o = el("option", pick(c, "name")); o.value = c.code; channel.appendChild(o); });
    if (chosen) channel.value = chosen;
    var service = document.getElementById("service"), current = service.value || params.get("service") || "";
    service.innerHTML = "";
    var blank = el("option", t("none")); blank.value = ""; service.appendChild(blank);
    point.services.forEach(function (s) { var o = el("option", pick(s, "name")); o.value = s.service_code; service.appendChild(o); });
    service.value = current;
    renderCopies();
    var box = document.getElementById("questions"), answers = collectAnswers();
    box.innerHTML = "";
    questionnaire.questions.forEach(function (q) {
      var fs = el("fieldset"), legend = el("legend", pick(q, "text") + (q.required ? " *" : ""));
      fs.appendChild(legend);
      var scale = el("div"); scale.className = "scale";
      for (var v = 1; v <= 5; v++) {
        var label = el("label"), input = document.createElement("input");
        input.type = "radio"; input.name = q.code; input.value = v; if (answers[q.code] === v) input.checked = true;
        label.appendChild(input); label.appendChild(document.createTextNode(v));
        label.title = questionnaire.scale["labels_" + lang][v - 1];
        if (v === 1 || v === 5) {  // name the ends of the scale
          var hint = el("small", questionnaire.scale["labels_" + lang][v - 1]);
          hint.style.display = "block"; label.appendChild(hint);
        }
        scale.appendChild(label);
      }
      fs.appendChild(scale); box.appendChild(fs);
    });
  }
  function renderCopies() {
    var code = document.getElementById("service").value, box = document.getElementById("copies");
    box.innerHTML = "";
    point.services.filter(function (s) { return s.service_code === code; }).forEach(function (s) {
      (s.documents || []).forEach(function (d) {
        var label = el("label"), input = document.createElement("input");
        input.type = "checkbox"; input.value = d.name_th;
        label.appendChild(input); label.appendChild(document.createTextNode(" " + pick(d, "name")));
        box.appendChild(label); box.appendChild(el("br"));
      });
    });
  }
  function collectAnswers() {
    var answers = {};
    document.querySelectorAll("#questions input:checked").forEach(function (i) { answers[i.name] = Number(i.value); });
    return answers;
  }

  document.getElementById("lang").onclick = function () { lang = lang === "th" ? "en" : "th"; localStorage.setItem("cfz-lang", lang); render(); };
  document.getElementById("service").onchange = renderCopies;
  document.getElementById("form").onsubmit = function (ev) {
    ev.preventDefault();
    var answers = collectAnswers(), message = document.getElementById("message");
    if (!answers.satisfaction) { message.textContent = t("required"); return; }
    var copies = [];
    document.querySelectorAll("#copies input:checked").forEach(function (i) { copies.push(i.value); });
    var other = document.getElementById("copy-other").value.trim();
    if (other) copies.push(other);
    var body = { channel: document.getElementById("channel").value, answers: answers, copies_requested: copies,
                 comment: document.getElementById("comment").value, website: document.getElementById("website").value };
    var service = document.getElementById("service").value;
    if (service) body.service_code = service;
    if (visitToken) body.visit_token = visitToken;
    document.getElementById("send").disabled = true;
    fetch("/api/v1/service-points/" + encodeURIComponent(pointId) + "/feedback", {
      method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); }).then(function (res) {
      if (res[0] === 201) { message.textContent = t("thanks"); document.getElementById("send").hidden = true; }
      else { message.textContent = t("error") + ": " + res[1].message; document.getElementById("send").disabled = false; }
    }).catch(function () { message.textContent = t("error"); document.getElementById("send").disabled = false; });
  };

  var ready = [
    fetch("/api/v1/questionnaire").then(function (r) { return r.json(); }).then(function (q) { questionnaire = q; }),
    fetch("/api/v1/service-points/" + encodeURIComponent(pointId)).then(function (r) { return r.json(); }).then(function (p) { point = p; })
  ];
  if (params.get("code")) {
    var req = { code: params.get("code"), device_id: deviceId() };
    if (params.get("service")) req.service_code = params.get("service");
    ready.push(fetch("/api/v1/service-points/" + encodeURIComponent(pointId) + "/visit-tokens", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) { if (j) visitToken = j.visit_token; }));
  }
  Promise.all(ready).then(function () { document.getElementById("verified").hidden = !visitToken; render(); });
  render();
})();

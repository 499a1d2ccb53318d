// Citizen-facing map: service points, the Citizen's Manual and Zero Copy status.
(function () {
  "use strict";
  var lang = localStorage.getItem("cfz-lang") || "th";
  var T = {
    th: { docs: "เอกสารที่ต้องใช้", copy: "ยังขอสำเนา", nocopy: "ไม่ต้องใช้สำเนา", fee: "ค่าธรรมเนียม", baht: "บาท",
          time: "ระยะเวลา", steps: "ขั้นตอน", services: "งานบริการ", undeclared: "ยังไม่ได้สำรวจ", none: "ไม่พบ" },
    en: { docs: "Documents to bring", copy: "copy still demanded", nocopy: "no copy needed", fee: "Fee", baht: "baht",
          time: "Processing time", steps: "Steps", services: "Services", undeclared: "not surveyed yet", none: "Nothing found" }
  };
  function t(key) { return T[lang][key]; }
  function name(obj) { return (lang === "en" && obj.name_en) ? obj.name_en : obj.name_th; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }
  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-th]").forEach(function (n) { n.innerHTML = n.getAttribute("data-" + lang); });
    document.getElementById("lang").textContent = lang === "th" ? "EN" : "ไทย";
  }
  document.getElementById("lang").onclick = function () {
    lang = lang === "th" ? "en" : "th"; localStorage.setItem("cfz-lang", lang); applyLang(); loadPoints();
  };

  var map = L.map("map").setView([13.2, 101.0], 6);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  var layer = L.layerGroup().addTo(map);

  function popup(p) {
    var box = el("div");
    box.appendChild(el("strong", name(p)));
    box.appendChild(el("div", p.address));
    if (p.phone) box.appendChild(el("div", "☎ " + p.phone));
    if (p.opening_hours) box.appendChild(el("div", p.opening_hours));
    var list = el("ul");
    (p.services || []).forEach(function (s) {
      var li = el("li", name(s) + " — ");
      var status = s.declared ? (s.zero_copy ? el("span", t("nocopy"), "nocopy") : el("span", t("copy"), "copy"))
                              : el("span", t("undeclared"));
      li.appendChild(status); list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  function loadPoints() {
    layer.clearLayers();
    var shown = 0;
    function page(offset) {
      fetch("/api/v1/service-points?limit=200&offset=" + offset).then(function (r) { return r.json(); }).then(function (data) {
        data.results.forEach(function (p) {
          L.circleMarker([p.location.lat, p.location.lon], { radius: 6, color: p.zero_copy ? "#11743a" : "#a31515" })
            .bindPopup(popup(p)).addTo(layer);
        });
        shown += data.results.length;
        document.getElementById("count").textContent = shown;
        if (offset + data.results.length < data.total) page(offset + data.results.length);
      });
    }
    page(0);
  }

  function showEntry(code) {
    fetch("/api/v1/services/" + encodeURIComponent(code)).then(function (r) { return r.json(); }).then(function (e) {
      var box = document.getElementById("entry");
      box.hidden = false; box.innerHTML = "";
      box.appendChild(el("h2", name(e)));
      box.appendChild(el("p", lang === "en" ? e.description_en : e.description_th));
      box.appendChild(el("p", t("fee") + ": " + e.fee_baht + " " + t("baht") + " · " + t("time") + ": " +
        e.processing_time.amount + " " + e.processing_time.unit));
      box.appendChild(el("h3", t("docs")));
      var docs = el("ul");
      e.documents.forEach(function (d) { docs.appendChild(el("li", name(d))); });
      box.appendChild(docs);
      box.appendChild(el("h3", t("steps")));
      var steps = el("ol");
      e.steps.forEach(function (s) { steps.appendChild(el("li", lang === "en" && s.description_en ? s.description_en : s.description_th)); });
      box.appendChild(steps);
    });
  }

  var timer = null;
  document.getElementById("q").addEventListener("input", function (ev) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch("/api/v1/services?q=" + encodeURIComponent(ev.target.value)).then(function (r) { return r.json(); }).then(function (data) {
        var ul = document.getElementById("results"); ul.innerHTML = "";
        if (!data.results || !data.results.length) { ul.appendChild(el("li", t("none"))); return; }
        data.results.forEach(function (s) {
          var li = el("li"), b = el("button", name(s)); b.type = "button";
          b.onclick = function () { showEntry(s.service_code); }; li.appendChild(b); ul.appendChild(li);
        });
      });
    }, 250);
  });

  applyLang();
  loadPoints();
})();

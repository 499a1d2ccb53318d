// Citizen-facing map: service points, the Citizen's Manual and Zero Copy status.
(function () {
  "use strict";
  var lang = localStorage.getItem("cfz-lang") || "th";
  var T = {
    th: { docs: "เอกสารที่ต้องใช้", copy: "ยังขอสำเนา", nocopy: "ไม่ต้องใช้สำเนา", fee: "ค่าธรรมเนียม", baht: "บาท",
          time: "ระยะเวลา", steps: "ขั้นตอน", services: "งานบริการ", undeclared: "ยังไม่ได้สำรวจ", none: "ไม่พบ",
          km: "กม.", route: "นำทาง", locating: "กำลังหาตำแหน่ง…", nolocation: "ไม่ทราบตำแหน่ง ใช้กึ่งกลางแผนที่แทน", forService: "สำหรับงาน" },
    en: { docs: "Documents to bring", copy: "copy still demanded", nocopy: "no copy needed", fee: "Fee", baht: "baht",
          time: "Processing time", steps: "Steps", services: "Services", undeclared: "not surveyed yet", none: "Nothing found",
          km: "km", route: "Directions", locating: "Finding your location…", nolocation: "Location unknown; using the map centre", forService: "for" }
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

  // Only the points in view, so a slow phone never downloads the whole country.
  function loadPoints() {
    var b = map.getBounds();
    var url = "/api/v1/service-points/bbox?limit=1000&south=" + b.getSouth().toFixed(4) + "&west=" +
      b.getWest().toFixed(4) + "&north=" + b.getNorth().toFixed(4) + "&east=" + b.getEast().toFixed(4);
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      layer.clearLayers();
      (data.results || []).forEach(function (p) {
        L.circleMarker([p.location.lat, p.location.lon], { radius: 6, color: p.zero_copy ? "#11743a" : "#a31515" })
          .bindPopup(popup(p)).addTo(layer);
      });
      document.getElementById("count").textContent = (data.results || []).length + (data.total > 1000 ? " / " + data.total : "");
    });
  }
  map.on("moveend", loadPoints);

  var selectedService = null;
  function findNear(lat, lon) {
    var q = "/api/v1/service-points/nearby?k=10&lat=" + lat.toFixed(5) + "&lon=" + lon.toFixed(5);
    if (selectedService) q += "&service_code=" + encodeURIComponent(selectedService.service_code);
    if (document.getElementById("zero-copy").checked) q += "&zero_copy=true";
    fetch(q).then(function (r) { return r.json(); }).then(function (data) {
      var ol = document.getElementById("near-results"); ol.innerHTML = "";
      document.getElementById("near-status").textContent = selectedService ? t("forService") + " " + name(selectedService) : "";
      if (!data.results || !data.results.length) { ol.appendChild(el("li", t("none"))); return; }
      data.results.forEach(function (r) {
        var li = el("li"), p = r.service_point;
        li.appendChild(el("strong", name(p)));
        li.appendChild(el("span", " · " + r.distance_km.toFixed(1) + " " + t("km") + " · "));
        var a = el("a", t("route")); a.href = r.directions_url; a.target = "_blank"; a.rel = "noopener";
        li.appendChild(a);
        li.onclick = function () { map.setView([p.location.lat, p.location.lon], 14); };
        ol.appendChild(li);
      });
      ol.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }
  document.getElementById("near-me").onclick = function () {
    var status = document.getElementById("near-status");
    function fallback() { status.textContent = t("nolocation"); var c = map.getCenter(); findNear(c.lat, c.lng); }
    if (!navigator.geolocation) { fallback(); return; }
    status.textContent = t("locating");
    navigator.geolocation.getCurrentPosition(function (pos) {
      map.setView([pos.coords.latitude, pos.coords.longitude], 12);
      findNear(pos.coords.latitude, pos.coords.longitude);
    }, fallback, { timeout: 8000, maximumAge: 600000 });
  };

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
          b.onclick = function () { selectedService = s; showEntry(s.service_code); }; li.appendChild(b); ul.appendChild(li);
        });
      });
    }, 250);
  });

  applyLang();
  loadPoints();
})();

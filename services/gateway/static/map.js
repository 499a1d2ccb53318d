// The map page: search the Citizen's Manual, find the nearest points, see
// each point's copy status for the service looked for.
(function () {
  "use strict";
  cfz.addTexts({
    th: { findTitle: "ค้นหาจุดบริการ", searchLabel: "ต้องการทำเรื่องอะไร", searchPlaceholder: "เช่น ทำบัตรประชาชน ย้ายทะเบียนบ้าน",
          nearMe: "หาจุดบริการใกล้ฉัน", zeroCopyOnly: "เฉพาะจุดที่ไม่ขอสำเนาเอกสาร", mapTitle: "แผนที่", mapLabel: "แผนที่จุดบริการ",
          legendNoCopy: "ไม่ขอสำเนา", legendCopy: "ยังขอสำเนา", legendUnknown: "ยังไม่สำรวจ / ไม่มีบริการนี้", legendMe: "ตำแหน่งของคุณ",
          attribution: "ข้อมูลจังหวัด: geothai (CC-BY-4.0) · แผนที่ © ผู้ร่วมพัฒนา OpenStreetMap", openData: "ข้อมูลเปิด",
          noServices: "ไม่พบงานบริการที่ตรงกับคำค้น ลองใช้คำอื่น เช่น \"บัตรประชาชน\"", searching: "กำลังค้นหา…",
          details: "รายละเอียดงานบริการ", showPoints: "หาจุดที่ให้บริการนี้", showing: "กำลังแสดงจุดที่ให้บริการ: {name}", clear: "ล้าง",
          clearLabel: "ล้างตัวกรองงานบริการ", locating: "กำลังหาตำแหน่งของคุณ…",
          noLocation: "ไม่ทราบตำแหน่งของคุณ (ไม่ได้รับอนุญาตหรือหาไม่พบ) แตะบนแผนที่ตรงที่คุณอยู่ แล้วเราจะหาจุดบริการที่ใกล้ที่สุดให้",
          tapped: "ใช้ตำแหน่งที่คุณแตะบนแผนที่", nearTitle: "จุดบริการใกล้ {where}", yourLocation: "ตำแหน่งของคุณ",
          noneNear: "ไม่พบจุดบริการที่ตรงเงื่อนไขในบริเวณนี้", km: "กม.", directions: "นำทาง", open: "ดูจุดบริการ",
          nocopy: "ไม่ขอสำเนา", copy: "ยังขอสำเนา", undeclared: "ยังไม่สำรวจ", notOffered: "ไม่มีบริการนี้",
          pointsShown: "แสดง {n} จุดบริการ", zoomIn: "แสดง {n} จาก {total} จุด ซูมเข้าเพื่อดูทั้งหมด",
          noTiles: "แผนที่พื้นหลังโหลดไม่ได้ แต่ยังดูจุดบริการและรายการด้านบนได้", pointsFailed: "โหลดจุดบริการบนแผนที่ไม่ได้" },
    en: { findTitle: "Find a service point", searchLabel: "What do you need to do?", searchPlaceholder: "e.g. ID card, move house registration",
          nearMe: "Find service points near me", zeroCopyOnly: "Only points that demand no photocopies", mapTitle: "Map", mapLabel: "Map of service points",
          legendNoCopy: "No copies", legendCopy: "Copies still demanded", legendUnknown: "Not surveyed / not offered", legendMe: "You",
          attribution: "Province data: geothai (CC-BY-4.0) · Map © OpenStreetMap contributors", openData: "Open data",
          noServices: "No service matches; try other words, e.g. \"ID card\"", searching: "Searching…",
          details: "Service details", showPoints: "Find points offering it", showing: "Showing points that offer: {name}", clear: "Clear",
          clearLabel: "Clear the service filter", locating: "Finding your location…",
          noLocation: "Your location is unknown (not allowed or not found). Tap the map where you are and we will find the nearest points.",
          tapped: "Using the place you tapped on the map", nearTitle: "Service points near {where}", yourLocation: "your location",
          noneNear: "No service point matches here", km: "km", directions: "Directions", open: "Open",
          nocopy: "No copies", copy: "Copies demanded", undeclared: "Not surveyed", notOffered: "Not offered",
          pointsShown: "{n} service points shown", zoomIn: "Showing {n} of {total} points; zoom in to see all",
          noTiles: "The background map did not load, but points and the list still work", pointsFailed: "Could not load the points on the map" }
  });
  var el = cfz.el, $ = cfz.$;
  var COLORS = { nocopy: "#11743a", copy: "#b3261e", unknown: "#7b8594" };
  var map, layer, me = null, selected = null, awaitingTap = false, lastPoints = [];

  // a point's status for the service looked for (or overall, without one)
  function statusOf(point) {
    var services = point.services || [];
    if (!selected) return point.zero_copy === true ? "nocopy" : point.zero_copy === false ? "copy" : "unknown";
    var s = services.filter(function (x) { return x.service_code === selected.service_code; })[0];
    if (!s) return "notOffered";
    if (!s.declared) return "undeclared";
    return s.zero_copy ? "nocopy" : "copy";
  }
  function badge(state) {
    var cls = state === "nocopy" ? "nocopy" : state === "copy" ? "copy" : "unknown";
    return el("span", { class: "badge " + cls }, cfz.t(state));
  }

  function initMap() {
    map = L.map("map", { zoomControl: true }).setView([13.5, 100.9], 6);
    cfz.mapTiles(map, function () { $("map-status").textContent = cfz.t("noTiles"); });
    layer = L.layerGroup().addTo(map);
    map.on("moveend", loadPoints);
    map.on("click", function (ev) {
      if (!awaitingTap) return;
      awaitingTap = false;
      setMe(ev.latlng.lat, ev.latlng.lng);
      cfz.status($("near-status"), cfz.t("tapped"), "ok");
      findNear(ev.latlng.lat, ev.latlng.lng, false);
    });
  }

  function popup(p) {
    var state = statusOf(p);
    return el("div", {}, [el("strong", {}, cfz.pick(p, "name")), el("br"), badge(state), el("br"),
      el("a", { href: "/points/" + encodeURIComponent(p.id) }, cfz.t("open"))]);
  }
  function drawPoints() {
    layer.clearLayers();
    lastPoints.forEach(function (p) {
      var state = statusOf(p), color = COLORS[state] || COLORS.unknown;
      var marker = L.circleMarker([p.location.lat, p.location.lon], {
        radius: state === "notOffered" ? 4 : 7, color: "#fff", weight: 1.5, fillColor: color, fillOpacity: state === "notOffered" ? 0.5 : 0.95 });
      marker.bindPopup(function () { return popup(p); });
      marker.addTo(layer);
    });
    if (me) me.addTo(map);
  }
  var loadSeq = 0;
  function loadPoints() {
    var b = map.getBounds(), seq = ++loadSeq;
    var query = "south=" + Math.max(-90, b.getSouth()).toFixed(4) + "&west=" + Math.max(-180, b.getWest()).toFixed(4) +
      "&north=" + Math.min(90, b.getNorth()).toFixed(4) + "&east=" + Math.min(180, b.getEast()).toFixed(4) + "&limit=500";
    if (selected) query += "&service_code=" + encodeURIComponent(selected.service_code);
    cfz.api("GET", "/api/v1/service-points/bbox?" + query).then(function (res) {
      if (seq !== loadSeq) return;
      lastPoints = res.data.results || [];
      drawPoints();
      $("map-status").textContent = res.data.total > lastPoints.length
        ? cfz.t("zoomIn", { n: lastPoints.length, total: res.data.total }) : cfz.t("pointsShown", { n: lastPoints.length });
    }, function (err) { $("map-status").textContent = cfz.t("pointsFailed") + ": " + err.text(); });
  }

  function setMe(lat, lon) {
    if (me) map.removeLayer(me);
    me = L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 3, fillColor: "#1a73e8", fillOpacity: 1 })
      .bindTooltip(cfz.t("yourLocation"));
    me.addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), 11));
  }

  function findNear(lat, lon, fromGps) {
    var q = "/api/v1/service-points/nearby?k=10&lat=" + lat.toFixed(5) + "&lon=" + lon.toFixed(5);
    if (selected) q += "&service_code=" + encodeURIComponent(selected.service_code);
    if ($("zero-copy").checked) q += "&zero_copy=true";
    var list = cfz.clear($("near"));
    cfz.api("GET", q).then(function (res) {
      var results = res.data.results || [];
      if (!results.length) { list.appendChild(el("li", {}, cfz.t("noneNear"))); return; }
      results.forEach(function (r) {
        var p = r.service_point, state = statusOf(p);
        list.appendChild(el("li", {}, [
          el("a", { class: "title", href: "/points/" + encodeURIComponent(p.id) }, cfz.pick(p, "name")),
          el("div", { class: "row" }, [el("span", {}, r.distance_km.toFixed(1) + " " + cfz.t("km")), badge(state),
            el("a", { href: r.directions_url, target: "_blank", rel: "noopener" }, cfz.t("directions"))])
        ]));
      });
      if (!fromGps) return;
      list.scrollIntoView({ behavior: "smooth", block: "nearest" });
    }, function (err) { cfz.status($("near-status"), err.text(), "error"); });
  }

  function nearMe() {
    cfz.status($("near-status"), cfz.t("locating"));
    function unknown() {
      // never pretend: ask for a tap instead of using the map's centre
      awaitingTap = true;
      cfz.clear($("near"));
      cfz.status($("near-status"), cfz.t("noLocation"), "warn");
    }
    if (!navigator.geolocation) { unknown(); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      cfz.status($("near-status"), "");
      setMe(pos.coords.latitude, pos.coords.longitude);
      findNear(pos.coords.latitude, pos.coords.longitude, true);
    }, unknown, { timeout: 10000, maximumAge: 300000, enableHighAccuracy: false });
  }

  function select(service) {
    selected = service;
    if (service) cfz.clear($("services"));  // chosen: the list has done its job
    var box = cfz.clear($("filter"));
    box.hidden = !service;
    if (service) {
      box.appendChild(el("span", { class: "chip" }, [cfz.t("showing", { name: cfz.pick(service, "name") }),
        el("button", { type: "button", id: "clear-filter", "aria-label": cfz.t("clearLabel"), onclick: function () { select(null); } }, "× " + cfz.t("clear"))]));
    }
    var url = new URL(location.href);
    if (service) url.searchParams.set("service", service.service_code); else url.searchParams.delete("service");
    history.replaceState(null, "", url.pathname + url.search);
    loadPoints();
    if (me) { var ll = me.getLatLng(); findNear(ll.lat, ll.lng, false); }
  }

  var searchTimer = null, searchSeq = 0;
  function search(text) {
    var list = $("services"), seq = ++searchSeq;
    if (!text.trim()) { cfz.clear(list); cfz.status($("search-status"), ""); return; }
    cfz.status($("search-status"), cfz.t("searching"));
    cfz.api("GET", "/api/v1/services?q=" + encodeURIComponent(text)).then(function (res) {
      if (seq !== searchSeq) return;
      cfz.clear(list);
      var results = res.data.results || [];
      cfz.status($("search-status"), results.length ? "" : cfz.t("noServices"), results.length ? null : "warn");
      results.slice(0, 8).forEach(function (s) {
        list.appendChild(el("li", {}, [
          el("a", { class: "title", href: "/services/" + encodeURIComponent(s.service_code) }, cfz.pick(s, "name")),
          el("div", { class: "actions" }, [el("button", { type: "button", onclick: function () { select(s); } }, cfz.t("showPoints"))])
        ]));
      });
    }, function (err) { if (seq === searchSeq) cfz.status($("search-status"), err.text(), "error"); });
  }

  cfz.start(function () {
    initMap();
    $("search").addEventListener("submit", function (ev) { ev.preventDefault(); search($("q").value); });
    $("q").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(function () { search($("q").value); }, 250); });
    $("near-me").addEventListener("click", nearMe);
    $("zero-copy").addEventListener("change", function () { if (me) { var ll = me.getLatLng(); findNear(ll.lat, ll.lng, false); } });
    cfz.onLang(function () { drawPoints(); if ($("q").value) search($("q").value); if (selected) select(selected); });
    var code = cfz.params().get("service");
    if (code) {
      cfz.api("GET", "/api/v1/services/" + encodeURIComponent(code)).then(function (res) { select(res.data); }, function () { loadPoints(); });
    } else {
      loadPoints();
    }
    var q = cfz.params().get("q");
    if (q) { $("q").value = q; search(q); }
  });
})();

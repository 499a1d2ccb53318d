// The officer app (/officer/...): register, log in, pin a point at the
// counter (GPS refined to an accuracy threshold, or dragged, or typed),
// declare services and copies, print QR posters, moderate comments, handle
// complaints. One script, one address per view; built on cfz.js.
(function () {
  "use strict";
  cfz.addTexts({
    th: {
      oTitle: "สำหรับเจ้าหน้าที่", login: "เข้าสู่ระบบ", logout: "ออกจากระบบ", username: "ชื่อผู้ใช้", password: "รหัสผ่าน",
      register: "ลงทะเบียนหน่วยงาน", registerIntro: "ลงทะเบียนหน่วยงานพร้อมบัญชีเจ้าหน้าที่คนแรก ผู้ดูแลระบบจะตรวจสอบและอนุมัติ",
      nameTh: "ชื่อหน่วยงาน (ไทย)", nameEn: "ชื่อหน่วยงาน (อังกฤษ)", ministry: "กระทรวง / สังกัด", contactEmail: "อีเมลติดต่อหน่วยงาน",
      passwordHint: "อย่างน้อย 10 ตัวอักษร", send: "ส่ง", save: "บันทึก", noAccount: "ยังไม่มีบัญชี? ลงทะเบียนหน่วยงาน",
      pendingTitle: "ส่งคำขอแล้ว รอการอนุมัติ", pendingText: "ผู้ดูแลระบบจะตรวจสอบหน่วยงานของคุณ เมื่ออนุมัติแล้วจึงเข้าสู่ระบบด้วยชื่อผู้ใช้ {u} ได้ หากไม่ได้รับอนุมัติ จะแจ้งเหตุผลเมื่อเข้าสู่ระบบ",
      expired: "หมดเวลาการเข้าสู่ระบบ กรุณาเข้าสู่ระบบใหม่ ข้อมูลที่พิมพ์ไว้ยังอยู่", hello: "สวัสดี {u}",
      points: "จุดบริการของหน่วยงาน", newPoint: "ปักหมุดจุดบริการใหม่", progress: "ความคืบหน้า", pinned: "ปักหมุดแล้ว {n} จุด",
      surveyed: "สำรวจเอกสารแล้ว {n} จุด", pastEnd: "สำเนาที่เลยกำหนดเลิกขอ {n} รายการ", notSurveyed: "ยังสำรวจไม่ครบ", surveyedOk: "สำรวจครบแล้ว",
      moderation: "ตรวจความคิดเห็น", complaints: "เรื่องร้องเรียน", results: "ผลการประเมินของหน่วยงาน", audit: "ประวัติการแก้ไข",
      admin: "อนุมัติหน่วยงาน", pendingAgencies: "หน่วยงานที่รออนุมัติ", approve: "อนุมัติ", reject: "ไม่อนุมัติ", reason: "เหตุผล",
      noPending: "ไม่มีหน่วยงานที่รออนุมัติ", approved: "อนุมัติแล้ว", rejected: "ไม่อนุมัติแล้ว",
      pointName: "ชื่อจุดบริการ (ไทย)", pointNameEn: "ชื่อจุดบริการ (อังกฤษ)", address: "ที่อยู่", province: "จังหวัด", chooseProvince: "— เลือกจังหวัด —",
      hours: "เวลาทำการ", phone: "โทรศัพท์", location: "ตำแหน่ง", useGps: "ใช้ตำแหน่งของฉัน (GPS)", acceptFix: "ใช้ตำแหน่งนี้",
      gpsWaiting: "กำลังรอสัญญาณ GPS…", gpsAccuracy: "ความคลาดเคลื่อน ±{m} ม. (ต้องการไม่เกิน {t} ม.) กำลังปรับให้แม่นขึ้น…",
      gpsGood: "ได้ตำแหน่งแล้ว ±{m} ม.", gpsDenied: "ใช้ GPS ไม่ได้: ลากหมุดบนแผนที่หรือพิมพ์พิกัดแทน",
      dragHint: "ลากหมุดบนแผนที่เพื่อปรับตำแหน่ง หรือพิมพ์พิกัด", lat: "ละติจูด", lon: "ลองจิจูด",
      pinProvince: "หมุดอยู่ที่: {p}", pinNoProvince: "ตำแหน่งนี้ไม่อยู่ในจังหวัดใด", pinOtherProvince: "หมุดอยู่ที่ {p} ไม่ตรงกับจังหวัดที่เลือก กรุณาย้ายหมุดหรือเปลี่ยนจังหวัด",
      method_gps: "GPS", method_drag: "ลากหมุด", method_typed: "พิมพ์พิกัด", pinBy: "ปักหมุดโดย: {m}", createPoint: "บันทึกจุดบริการ",
      savedOffline: "ยังไม่มีอินเทอร์เน็ต บันทึกไว้ในเครื่องแล้ว จะส่งให้อัตโนมัติเมื่อออนไลน์ (ส่งซ้ำก็ไม่เกิดจุดซ้ำ)",
      created: "บันทึกจุดบริการแล้ว", saved: "บันทึกแล้ว", close: "ปิดจุดบริการ", closeConfirm: "ปิดจุดบริการนี้? ประชาชนจะไม่เห็นจุดนี้อีก",
      survey: "งานบริการ เอกสาร และการขอสำเนา", addService: "เพิ่มงานบริการ (ค้นจากคู่มือสำหรับประชาชน)", remove: "เอาออก",
      govIssued: "ราชการออกให้", copyRequired: "ยังขอสำเนา", copyReason: "เหตุผลที่ยังขอสำเนา", copyEnd: "วันที่จะเลิกขอสำเนา",
      saveSurvey: "บันทึกการสำรวจ", missing: "ยังขาด: {what}", noServicesYet: "ยังไม่ได้เลือกงานบริการ", poster: "พิมพ์ QR code",
      posterTitle: "ประเมินความพึงพอใจ", posterText: "สแกน QR code เพื่อประเมินการให้บริการ ใช้เวลาไม่ถึง 1 นาที",
      posterTextEn: "Scan to rate our service. It takes less than a minute.", print: "พิมพ์", download: "ดาวน์โหลด {f}", allServices: "ทุกงานบริการ",
      tablet: "จอ QR ที่เคาน์เตอร์", tabletHint: "เปิดหน้านี้บนแท็บเล็ตที่เคาน์เตอร์ QR ใช้ได้ครั้งเดียว เปลี่ยนใหม่เองทันทีหลังมีผู้ประเมิน (นับเป็นการประเมินที่ยืนยันแล้ว)",
      tabletThanks: "ขอบคุณที่ประเมิน · Thank you", tabletRenewed: "QR ใหม่พร้อมแล้ว", tabletOffline: "ขาดการเชื่อมต่อ กำลังลองใหม่…", fullScreen: "เต็มจอ",
      queue: "ความคิดเห็นที่รอตรวจ", noQueue: "ไม่มีความคิดเห็นที่รอตรวจ", publish: "เผยแพร่", editPublish: "แก้ไขแล้วเผยแพร่", note: "หมายเหตุ",
      matched: "คำที่ตรวจพบ: {w}", decided: "บันทึกแล้ว",
      inbox: "เรื่องร้องเรียนของหน่วยงาน", allStatuses: "ทุกสถานะ", overdueOnly: "เฉพาะที่เลยกำหนด", noComplaints: "ไม่มีเรื่องร้องเรียน",
      due: "ครบกำหนด {date}", daysLeft: "เหลือ {n} วัน", daysOver: "เลยกำหนด {n} วัน", contact: "ผู้ร้องเรียน (เห็นเฉพาะหน่วยงาน)",
      anonymousC: "ผู้ร้องเรียนไม่ประสงค์เปิดเผยตัว", newStatus: "เปลี่ยนสถานะ", responses: "ข้อความสำเร็จรูป", changed: "เปลี่ยนสถานะแล้ว",
      resp1: "รับเรื่องแล้ว กำลังตรวจสอบข้อเท็จจริง", resp2: "ได้ดำเนินการแก้ไขแล้ว ขอบคุณที่แจ้ง", resp3: "เรื่องนี้อยู่นอกอำนาจหน้าที่ ได้ส่งต่อหน่วยงานที่รับผิดชอบแล้ว",
      forbidden: "หน้านี้สำหรับเจ้าหน้าที่ของหน่วยงานเจ้าของจุดบริการ", back: "กลับ",
      officers: "เจ้าหน้าที่ของหน่วยงาน", addOfficer: "เพิ่มเจ้าหน้าที่", fullName: "ชื่อ-นามสกุล", isAdmin: "เป็นผู้ดูแลของหน่วยงาน",
      disable: "ระงับบัญชี", disabled: "ระงับแล้ว", disableConfirm: "ระงับบัญชี {u}? จะเข้าสู่ระบบไม่ได้อีก", added: "เพิ่มแล้ว",
      noAudit: "ยังไม่มีการแก้ไข", before: "ก่อน", after: "หลัง",
      auditAgency: "หน่วยงาน", chooseAgency: "— เลือกหน่วยงาน —", by: "โดย {u}", nobody: "ไม่ทราบผู้แก้ไข", bySystem: "โดยระบบ",
      openPoint: "เปิดจุดบริการ", openComplaint: "เปิดเรื่องร้องเรียน", showMore: "แสดงเพิ่ม",
      "act_point.create": "ปักหมุดจุดบริการใหม่", "act_point.update": "แก้ไขจุดบริการ", "act_point.close": "ปิดจุดบริการ",
      "act_point.services": "สำรวจงานบริการและสำเนา", "act_agency.approve": "อนุมัติหน่วยงาน", "act_agency.reject": "ไม่อนุมัติหน่วยงาน",
      "act_account.disable": "ระงับบัญชี", "act_comment.moderate": "ตรวจความคิดเห็น", "act_complaint.status": "เปลี่ยนสถานะเรื่องร้องเรียน",
      f_status: "สถานะ", f_comment: "ข้อความความคิดเห็น", f_note: "หมายเหตุ", f_services: "งานบริการ", f_pin: "วิธีปักหมุด",
      f_rejection_reason: "เหตุผล", f_username: "ชื่อผู้ใช้",
      role_admin: "ผู้ดูแลระบบ",
      "st_service_point.open": "เปิดให้บริการ", "st_service_point.closed": "ปิดแล้ว",
      "st_agency.pending": "รออนุมัติ", "st_agency.approved": "อนุมัติแล้ว", "st_agency.rejected": "ไม่อนุมัติ",
      "st_account.active": "ใช้งานได้", "st_account.disabled": "ระงับแล้ว",
      "st_feedback.pending": "รอตรวจ", "st_feedback.published": "เผยแพร่แล้ว", "st_feedback.rejected": "ไม่เผยแพร่",
      // the complaints service's names (services/complaints/lifecycle.py STATUSES)
      "st_complaint.received": "รับเรื่องแล้ว", "st_complaint.relayed": "ส่งต่อศูนย์บริการประชาชน 1111 แล้ว",
      "st_complaint.accepted": "หน่วยงานรับเรื่องแล้ว", "st_complaint.in_progress": "อยู่ระหว่างดำเนินการ",
      "st_complaint.resolved": "แก้ไขเสร็จสิ้น", "st_complaint.rejected": "ไม่รับพิจารณา",
      "st_complaint.forwarded": "ส่งต่อหน่วยงานอื่น", "st_complaint.reopened": "เปิดเรื่องใหม่ตามคำขอผู้ร้องเรียน"
    },
    en: {
      oTitle: "For officers", login: "Log in", logout: "Log out", username: "Username", password: "Password",
      register: "Register an agency", registerIntro: "Register your agency and its first officer; a system administrator checks and approves it.",
      nameTh: "Agency name (Thai)", nameEn: "Agency name (English)", ministry: "Ministry / parent body", contactEmail: "Agency contact e-mail",
      passwordHint: "At least 10 characters", send: "Send", save: "Save", noAccount: "No account yet? Register an agency",
      pendingTitle: "Sent: waiting for approval", pendingText: "A system administrator will check your agency. Once approved, log in as {u}. If it is not approved, you will see why when you log in.",
      expired: "Your session expired; please log in again. What you typed is kept.", hello: "Hello {u}",
      points: "Your agency's service points", newPoint: "Pin a new service point", progress: "Progress", pinned: "{n} pinned",
      surveyed: "{n} surveyed", pastEnd: "{n} copies past their planned end", notSurveyed: "Survey incomplete", surveyedOk: "Surveyed",
      moderation: "Moderate comments", complaints: "Complaints", results: "Your agency's results", audit: "Change history",
      admin: "Approve agencies", pendingAgencies: "Agencies waiting for approval", approve: "Approve", reject: "Reject", reason: "Reason",
      noPending: "No agency is waiting", approved: "Approved", rejected: "Rejected",
      pointName: "Point name (Thai)", pointNameEn: "Point name (English)", address: "Address", province: "Province", chooseProvince: "— choose a province —",
      hours: "Opening hours", phone: "Phone", location: "Location", useGps: "Use my location (GPS)", acceptFix: "Use this position",
      gpsWaiting: "Waiting for GPS…", gpsAccuracy: "Accuracy ±{m} m (want {t} m or better); refining…",
      gpsGood: "Position found ±{m} m", gpsDenied: "GPS is not available: drag the pin on the map or type coordinates",
      dragHint: "Drag the pin on the map, or type coordinates", lat: "Latitude", lon: "Longitude",
      pinProvince: "The pin is in: {p}", pinNoProvince: "This spot is in no province", pinOtherProvince: "The pin is in {p}, not in the chosen province: move the pin or change the province",
      method_gps: "GPS", method_drag: "dragged", method_typed: "typed", pinBy: "Pinned by: {m}", createPoint: "Save the service point",
      savedOffline: "No connection yet. Saved on this phone; it will be sent automatically when online (sending twice never makes two points).",
      created: "Service point saved", saved: "Saved", close: "Close this point", closeConfirm: "Close this point? Citizens will no longer see it.",
      survey: "Services, documents and copies", addService: "Add a service (search the Citizen's Manual)", remove: "Remove",
      govIssued: "government-issued", copyRequired: "copy still demanded", copyReason: "Why a copy is still demanded", copyEnd: "Date the copy will stop being demanded",
      saveSurvey: "Save the survey", missing: "Still missing: {what}", noServicesYet: "No service chosen yet", poster: "Print QR code",
      posterTitle: "ประเมินความพึงพอใจ", posterText: "สแกน QR code เพื่อประเมินการให้บริการ ใช้เวลาไม่ถึง 1 นาที",
      posterTextEn: "Scan to rate our service. It takes less than a minute.", print: "Print", download: "Download {f}", allServices: "All services",
      tablet: "Counter tablet QR", tabletHint: "Open this page on the counter's tablet. Each QR code rates once and is replaced as soon as someone has rated (a verified rating).",
      tabletThanks: "ขอบคุณที่ประเมิน · Thank you", tabletRenewed: "A new QR code is ready", tabletOffline: "Connection lost, trying again…", fullScreen: "Full screen",
      queue: "Comments waiting", noQueue: "No comment is waiting", publish: "Publish", editPublish: "Edit and publish", note: "Note",
      matched: "Matched words: {w}", decided: "Saved",
      inbox: "Your agency's complaints", allStatuses: "All statuses", overdueOnly: "Overdue only", noComplaints: "No complaints",
      due: "Due {date}", daysLeft: "{n} days left", daysOver: "{n} days overdue", contact: "Complainant (seen only by the agency)",
      anonymousC: "The complainant chose to stay anonymous", newStatus: "Change status", responses: "Ready-made texts", changed: "Status changed",
      resp1: "Received; we are checking the facts", resp2: "It has been fixed; thank you for telling us", resp3: "Outside our remit; forwarded to the body responsible",
      forbidden: "This page is for officers of the point's agency", back: "Back",
      officers: "Your agency's officers", addOfficer: "Add an officer", fullName: "Full name", isAdmin: "Agency administrator",
      disable: "Disable", disabled: "Disabled", disableConfirm: "Disable {u}? They will no longer be able to log in.", added: "Added",
      noAudit: "No changes yet", before: "before", after: "after",
      auditAgency: "Agency", chooseAgency: "— choose an agency —", by: "by {u}", nobody: "unknown", bySystem: "by the system",
      openPoint: "Open the point", openComplaint: "Open the complaint", showMore: "Show more",
      "act_point.create": "Point pinned", "act_point.update": "Point changed", "act_point.close": "Point closed",
      "act_point.services": "Services and copies declared", "act_agency.approve": "Agency approved", "act_agency.reject": "Agency rejected",
      "act_account.disable": "Account disabled", "act_comment.moderate": "Comment moderated", "act_complaint.status": "Complaint status changed",
      f_status: "Status", f_comment: "Comment text", f_note: "Note", f_services: "Services", f_pin: "How it was pinned",
      f_rejection_reason: "Reason", f_username: "Username",
      role_admin: "system administrator",
      "st_service_point.open": "open", "st_service_point.closed": "closed",
      "st_agency.pending": "waiting for approval", "st_agency.approved": "approved", "st_agency.rejected": "rejected",
      "st_account.active": "active", "st_account.disabled": "disabled",
      "st_feedback.pending": "waiting for moderation", "st_feedback.published": "published", "st_feedback.rejected": "rejected",
      "st_complaint.received": "Received", "st_complaint.relayed": "Relayed to the PMOC 1111 centre",
      "st_complaint.accepted": "Accepted by the agency", "st_complaint.in_progress": "In progress",
      "st_complaint.resolved": "Resolved", "st_complaint.rejected": "Rejected",
      "st_complaint.forwarded": "Forwarded to another body", "st_complaint.reopened": "Reopened by the complainant"
    }
  });
  var el = cfz.el, $ = cfz.$, main = $("content");
  var path = location.pathname.replace(/\/+$/, "") || "/officer";
  var threshold = Number(cfz.params().get("accuracy") || 30);  // metres: ODK Collect's default style
  var provinces = [];

  // --- session -------------------------------------------------------------
  function claims() {
    var token = cfz.session.token();
    if (!token) return null;
    try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { return null; }
  }
  cfz.session.onExpired = function () {
    location.assign("/officer/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search));
  };
  function requireLogin() {
    var c = claims();
    if (!c) { location.assign("/officer/login?next=" + encodeURIComponent(location.pathname + location.search)); return null; }
    return c;
  }
  function call(method, apiPath, opts) { return cfz.api(method, apiPath, Object.assign({ auth: true }, opts || {})); }

  // Drafts: what an officer typed survives an expired session or a reload.
  function keepDraft(form) {
    var key = "cfz-draft:" + location.pathname;
    try {
      var saved = JSON.parse(sessionStorage.getItem(key) || "{}");
      Object.keys(saved).forEach(function (name) {
        var input = form.querySelector('[name="' + name + '"]');
        if (input && input.type !== "password" && !input.value) input.value = saved[name];
      });
    } catch (e) { /* nothing kept */ }
    form.addEventListener("input", function () {
      var data = {};
      form.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (i) {
        if (i.type !== "password" && i.type !== "checkbox") data[i.name] = i.value;
      });
      sessionStorage.setItem(key, JSON.stringify(data));
    });
    return function done() { sessionStorage.removeItem(key); };
  }

  // --- small form helpers ----------------------------------------------------
  function field(label, name, attrs) {
    var id = "f-" + name.replace(/\W/g, "-");
    var input = el(attrs && attrs.tag === "textarea" ? "textarea" : attrs && attrs.tag === "select" ? "select" : "input",
      Object.assign({ id: id, name: name, type: "text" }, attrs || {}, { tag: null }));
    if (input.tagName !== "INPUT") input.removeAttribute("type");
    return el("div", { class: "field" }, [el("label", { for: id }, label), input]);
  }
  function statusLine(id) { return el("p", { id: id || "status", class: "status", role: "status", "aria-live": "polite", hidden: true }); }
  function page(title, children) {
    cfz.clear(main);
    document.title = title + " · " + cfz.t("oTitle");
    main.appendChild(el("h1", {}, title));
    [].concat(children).forEach(function (c) { if (c) main.appendChild(c); });
  }
  function provinceSelect(name) {
    var f = field(cfz.t("province"), name, { tag: "select", required: true });
    var select = f.querySelector("select");
    select.appendChild(el("option", { value: "" }, cfz.t("chooseProvince")));
    provinces.forEach(function (p) { select.appendChild(el("option", { value: p.code }, cfz.pick(p, "name"))); });
    return f;
  }
  function loadProvinces() {
    return cfz.api("GET", "/api/v1/provinces").then(function (r) { provinces = r.data.results; });
  }

  // --- views -----------------------------------------------------------------
  function loginView() {
    var params = cfz.params(), st = statusLine();
    var form = el("form", { id: "login", action: "/api/v1/auth/token", method: "post", novalidate: true }, [
      field(cfz.t("username"), "username", { autocomplete: "username", autocapitalize: "none" }),
      field(cfz.t("password"), "password", { type: "password", autocomplete: "current-password" }),
      el("button", { type: "submit", class: "primary wide" }, cfz.t("login")), st]);
    page(cfz.t("login"), [form, el("p", {}, el("a", { href: "/officer/register" }, cfz.t("noAccount")))]);
    if (params.get("expired")) cfz.status(st, cfz.t("expired"), "warn");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      cfz.api("POST", "/api/v1/auth/token", { body: { username: form.username.value.trim(), password: form.password.value } }).then(function (r) {
        cfz.session.save(r.data.access_token, r.data.expires_in);
        var next = params.get("next");
        location.assign(next && next.indexOf("/officer") === 0 ? next : "/officer");
      }, function (err) { cfz.showError(form, st, err); });
    });
  }

  function registerView() {
    var st = statusLine();
    var form = el("form", { id: "register", action: "/api/v1/agencies", method: "post", novalidate: true }, [
      el("p", { class: "hint" }, cfz.t("registerIntro")),
      field(cfz.t("nameTh"), "name_th", { maxlength: 200 }), field(cfz.t("nameEn"), "name_en", { maxlength: 200 }),
      field(cfz.t("ministry"), "ministry", { maxlength: 200 }), field(cfz.t("contactEmail"), "contact_email", { type: "email", autocomplete: "email" }),
      field(cfz.t("username"), "username", { autocomplete: "username", autocapitalize: "none" }),
      field(cfz.t("password") + " (" + cfz.t("passwordHint") + ")", "password", { type: "password", autocomplete: "new-password" }),
      el("button", { type: "submit", class: "primary wide" }, cfz.t("register")), st]);
    page(cfz.t("register"), form);
    var done = keepDraft(form);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      ["name_th", "name_en", "ministry", "contact_email", "username", "password"].forEach(function (k) { body[k] = form[k].value; });
      cfz.api("POST", "/api/v1/agencies", { body: body }).then(function () {
        done();
        page(cfz.t("pendingTitle"), [el("p", { class: "status ok" }, cfz.t("pendingText", { u: body.username })),
          el("a", { class: "button", href: "/officer/login" }, cfz.t("login"))]);
      }, function (err) { cfz.showError(form, st, err); });
    });
  }

  function homeView() {
    var c = requireLogin();
    if (!c) return;
    var links = el("div", { class: "actions" });
    var list = el("ul", { class: "list", id: "points" }), prog = el("div", { class: "card", id: "progress" });
    page(cfz.t("hello", { u: c.username }), [links, el("h2", {}, cfz.t("progress")), prog, el("h2", {}, cfz.t("points")), list,
      el("div", { class: "actions" }, el("button", { type: "button", id: "logout", onclick: function () { cfz.session.clear(); location.assign("/officer/login"); } }, cfz.t("logout")))]);
    if (c.role === "admin") {
      links.appendChild(el("a", { class: "button primary", href: "/officer/admin" }, cfz.t("admin")));
      links.appendChild(el("a", { class: "button", href: "/officer/audit" }, cfz.t("audit")));
    }
    if (c.agency_id) {
      [["/officer/points/new", "newPoint", "primary"], ["/officer/moderation", "moderation"], ["/officer/complaints", "complaints"],
       ["/dashboard?level=agency&id=" + encodeURIComponent(c.agency_id), "results"]].concat(c.agency_admin
        ? [["/officer/officers", "officers"], ["/officer/audit", "audit"]] : []).forEach(function (l) {
        links.appendChild(el("a", { class: "button" + (l[2] ? " " + l[2] : ""), href: l[0] }, cfz.t(l[1])));
      });
      call("GET", "/api/v1/service-points?limit=200&agency_id=" + encodeURIComponent(c.agency_id)).then(function (r) {
        (r.data.results || []).forEach(function (p) {
          list.appendChild(el("li", {}, [el("a", { class: "title", href: "/officer/points/" + encodeURIComponent(p.id) }, cfz.pick(p, "name")),
            " ", el("span", { class: "badge " + (p.surveyed ? "nocopy" : "unknown") }, cfz.t(p.surveyed ? "surveyedOk" : "notSurveyed"))]));
        });
      });
      cfz.api("GET", "/api/v1/reports/rollout?group_by=agency&id=" + encodeURIComponent(c.agency_id)).then(function (r) {
        var row = (r.data.groups || []).filter(function (g) { return g.id === c.agency_id; })[0] || {};
        cfz.clear(prog).appendChild(el("p", {}, [cfz.t("pinned", { n: row.pinned || 0 }), " · ", cfz.t("surveyed", { n: row.surveyed || 0 }), " · ",
          cfz.t("pastEnd", { n: row.copies_past_planned_end || 0 })]));
      });
    }
  }

  function adminView() {
    var c = requireLogin();
    if (!c) return;
    var list = el("ul", { class: "list", id: "pending" }), st = statusLine();
    page(cfz.t("pendingAgencies"), [st, list]);
    function load() {
      call("GET", "/api/v1/admin/agencies?status=pending").then(function (r) {
        cfz.clear(list);
        if (!r.data.results.length) list.appendChild(el("li", { class: "muted" }, cfz.t("noPending")));
        r.data.results.forEach(function (a) {
          var reason = el("input", { type: "text", name: "reason", id: "reason-" + a.id, maxlength: 500 });
          var form = el("form", { novalidate: true }, [el("label", { for: "reason-" + a.id }, cfz.t("reason")), reason]);
          var decide = function (what) {
            var body = what === "reject" ? { reason: reason.value } : undefined;
            call("POST", "/api/v1/admin/agencies/" + encodeURIComponent(a.id) + "/" + what, { body: body }).then(function () {
              cfz.status(st, cfz.t(what === "reject" ? "rejected" : "approved") + ": " + a.name_th, "ok"); load();
            }, function (err) { cfz.showError(form, st, err); });
          };
          list.appendChild(el("li", { "data-agency": a.id }, [el("strong", {}, a.name_th + " · " + a.name_en), el("div", { class: "muted" }, a.ministry + " · " + a.contact_email),
            el("div", { class: "actions" }, [el("button", { type: "button", class: "primary", onclick: function () { decide("approve"); } }, cfz.t("approve")),
              el("button", { type: "button", onclick: function () { decide("reject"); } }, cfz.t("reject"))]), form]));
        });
      }, function (err) { cfz.status(st, err.text(), "error"); });
    }
    load();
  }

  // --- pinning: GPS refined to the threshold, or dragged, or typed ----------
  // `provinceOf()`: the form's province select, so the page can say where
  // the pin is, fill an empty province and warn of a mismatch before the
  // registry refuses it
  function pinWidget(start, provinceOf) {
    var box = el("fieldset", { class: "field" }, [el("legend", {}, cfz.t("location"))]);
    var note = el("p", { id: "gps-status", class: "status", role: "status", "aria-live": "polite", hidden: true });
    var gps = el("button", { type: "button", id: "use-gps", class: "primary" }, cfz.t("useGps"));
    var accept = el("button", { type: "button", id: "accept-fix", hidden: true }, cfz.t("acceptFix"));
    var mapBox = el("div", { id: "map" });
    var lat = field(cfz.t("lat"), "location.lat", { inputmode: "decimal" }), lon = field(cfz.t("lon"), "location.lon", { inputmode: "decimal" });
    var method = el("p", { id: "pin-method", class: "hint" }, cfz.t("dragHint"));
    var where = el("p", { id: "pin-province", class: "status", role: "status", "aria-live": "polite", hidden: true });
    box.appendChild(el("div", { class: "actions" }, [gps, accept]));
    [note, mapBox, method, where, el("div", { class: "row" }, [lat, lon])].forEach(function (n) { box.appendChild(n); });
    var state = { pin: null, watch: null, best: null, found: undefined, asked: 0 };
    function checkProvince() {
      var select = provinceOf && provinceOf();
      if (state.found === undefined) return;
      if (state.found === null) { cfz.status(where, cfz.t("pinNoProvince"), "warn"); return; }
      if (select && !select.value) select.value = state.found.code;
      var name = cfz.pick(state.found, "name");
      if (select && select.value && select.value !== state.found.code) cfz.status(where, cfz.t("pinOtherProvince", { p: name }), "warn");
      else cfz.status(where, cfz.t("pinProvince", { p: name }), "ok");
    }
    function lookUpProvince(la, lo) {
      var asked = ++state.asked;  // only the newest pin's answer counts
      cfz.api("GET", "/api/v1/provinces/at?lat=" + la.toFixed(6) + "&lon=" + lo.toFixed(6)).then(function (r) {
        if (asked !== state.asked) return;
        state.found = r.data.province; checkProvince();
      }, function (err) {
        if (asked !== state.asked) return;
        state.found = undefined;
        // outside Thailand: the field's own message; offline: the registry checks later
        var m = err.status === 400 ? err.fieldMessages() : null;
        if (m) cfz.status(where, Object.keys(m).map(function (k) { return m[k]; }).join(" ") || err.text(), "error"); else where.hidden = true;
      });
    }
    var map, marker;
    function setInputs(la, lo) { lat.querySelector("input").value = la.toFixed(6); lon.querySelector("input").value = lo.toFixed(6); }
    function place(la, lo, how, accuracy) {
      state.pin = { method: how, captured_at: new Date().toISOString() };
      if (accuracy !== undefined) state.pin.accuracy_m = Math.round(accuracy * 10) / 10;
      setInputs(la, lo);
      if (marker) marker.setLatLng([la, lo]); else marker = L.marker([la, lo], { draggable: true, keyboard: true, title: cfz.t("location") }).addTo(map)
        .on("dragend", function () { var p = marker.getLatLng(); stop(); place(p.lat, p.lng, "drag"); });
      map.setView([la, lo], Math.max(map.getZoom(), 16));
      method.textContent = cfz.t("pinBy", { m: cfz.t("method_" + how) }) + (accuracy !== undefined ? " ±" + Math.round(accuracy) + " m" : "");
      lookUpProvince(la, lo);
    }
    function stop() { if (state.watch !== null) { navigator.geolocation.clearWatch(state.watch); state.watch = null; } accept.hidden = true; }
    gps.addEventListener("click", function () {
      if (!navigator.geolocation) { cfz.status(note, cfz.t("gpsDenied"), "warn"); return; }
      cfz.status(note, cfz.t("gpsWaiting"));
      stop();
      state.watch = navigator.geolocation.watchPosition(function (pos) {
        var acc = pos.coords.accuracy;
        if (!state.best || acc <= state.best.coords.accuracy) state.best = pos;
        if (acc <= threshold) {
          stop();
          place(pos.coords.latitude, pos.coords.longitude, "gps", acc);
          cfz.status(note, cfz.t("gpsGood", { m: Math.round(acc) }), "ok");
        } else {
          accept.hidden = false;
          cfz.status(note, cfz.t("gpsAccuracy", { m: Math.round(acc), t: threshold }), "warn");
        }
      }, function (err) {
        // only a refusal ends the watch; a lost or slow fix is part of refining
        if (err.code === 1 || !state.best) { if (err.code === 1) stop(); cfz.status(note, cfz.t("gpsDenied"), "warn"); }
      }, { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
    });
    accept.addEventListener("click", function () {  // the officer takes a worse fix
      var best = state.best;
      stop();
      if (best) { place(best.coords.latitude, best.coords.longitude, "gps", best.coords.accuracy); cfz.status(note, cfz.t("gpsGood", { m: Math.round(best.coords.accuracy) }), "ok"); }
    });
    [lat, lon].forEach(function (f) {
      f.querySelector("input").addEventListener("change", function () {
        var la = Number(lat.querySelector("input").value), lo = Number(lon.querySelector("input").value);
        if (isFinite(la) && isFinite(lo) && la && lo) { stop(); place(la, lo, "typed"); }
      });
    });
    return {
      node: box,
      mount: function () {
        var select = provinceOf && provinceOf();
        if (select) select.addEventListener("change", checkProvince);
        map = L.map(mapBox).setView(start ? [start.lat, start.lon] : [13.5, 100.9], start ? 16 : 5);
        cfz.mapTiles(map);
        map.on("click", function (ev) { stop(); place(ev.latlng.lat, ev.latlng.lng, "drag"); });
        if (start) { setInputs(start.lat, start.lon); marker = L.marker([start.lat, start.lon], { draggable: true }).addTo(map)
          .on("dragend", function () { var p = marker.getLatLng(); place(p.lat, p.lng, "drag"); }); }
      },
      value: function () {
        var la = lat.querySelector("input").value, lo = lon.querySelector("input").value;
        if (la === "" || lo === "") return null;
        return { location: { lat: Number(la), lon: Number(lo) }, pin: state.pin };
      },
      changed: function () { return !!state.pin; }
    };
  }

  function newPointView() {
    var c = requireLogin();
    if (!c) return;
    loadProvinces().then(function () {
      var st = statusLine(), form, pin = pinWidget(null, function () { return form && form.province_code; });
      form = el("form", { id: "point-form", action: "/api/v1/service-points", method: "post", novalidate: true }, [
        field(cfz.t("pointName"), "name_th", { maxlength: 200 }), field(cfz.t("pointNameEn"), "name_en", { maxlength: 200 }),
        field(cfz.t("address"), "address", { tag: "textarea", rows: 2, maxlength: 500 }), provinceSelect("province_code"),
        pin.node, field(cfz.t("hours"), "opening_hours", { maxlength: 200, placeholder: "จ.-ศ. 08:30-16:30" }),
        field(cfz.t("phone"), "phone", { type: "tel", maxlength: 40 }), st,
        el("button", { type: "submit", class: "primary wide" }, cfz.t("createPoint"))]);
      page(cfz.t("newPoint"), form);
      pin.mount();
      var done = keepDraft(form);
      // one key per point being created: a retry or an offline resend makes one point
      var key = sessionStorage.getItem("cfz-point-key") || cfz.uuid();
      sessionStorage.setItem("cfz-point-key", key);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var body = {};
        ["name_th", "name_en", "address", "province_code", "opening_hours", "phone"].forEach(function (k) { if (form[k].value.trim()) body[k] = form[k].value; });
        var where = pin.value();
        if (where) { body.location = where.location; if (where.pin) body.pin = where.pin; }
        cfz.outbox.send({ method: "POST", path: "/api/v1/service-points", body: body, idempotencyKey: key, auth: true, kind: "point" }).then(function (res) {
          if (res.queued) { cfz.status(st, cfz.t("savedOffline"), "warn"); return; }
          done(); sessionStorage.removeItem("cfz-point-key");
          location.assign("/officer/points/" + encodeURIComponent(res.data.id) + "?created=1");
        }, function (err) { cfz.showError(form, st, err); });
      });
      cfz.outbox.onSent(function (sent) {
        sent.forEach(function (s) {
          if (s.item.kind === "point" && s.result) { done(); sessionStorage.removeItem("cfz-point-key"); location.assign("/officer/points/" + encodeURIComponent(s.result.data.id) + "?created=1"); }
        });
      });
    });
  }

  // --- a point: details, re-pin, the survey of services and copies ---------
  function documentRow(doc, i, si) {
    var prefix = "services." + si + ".documents." + i + ".";
    var gov = el("input", { type: "checkbox", name: prefix + "government_issued", id: "gov-" + si + "-" + i });
    var copy = el("input", { type: "checkbox", name: prefix + "copy_required", id: "copy-" + si + "-" + i });
    gov.checked = !!doc.government_issued; copy.checked = !!doc.copy_required;
    var why = field(cfz.t("copyReason"), prefix + "copy_reason", { maxlength: 500 });
    var until = field(cfz.t("copyEnd"), prefix + "copy_planned_end_date", { type: "date" });
    why.querySelector("input").value = doc.copy_reason || "";
    until.querySelector("input").value = doc.copy_planned_end_date || "";
    var extra = el("div", { class: "copy-details", hidden: !copy.checked }, [why, until]);
    copy.addEventListener("change", function () { extra.hidden = !copy.checked; });
    var row = el("li", { class: "doc", "data-name": doc.name_th }, [el("strong", {}, cfz.pick(doc, "name")),
      el("label", { class: "inline", for: gov.id }, [gov, cfz.t("govIssued")]), el("label", { class: "inline", for: copy.id }, [copy, cfz.t("copyRequired")]), extra]);
    row.declaration = function () {  // (li.value is a number in the DOM)
      var d = { name_th: doc.name_th, government_issued: gov.checked, copy_required: copy.checked };
      if (doc.name_en) d.name_en = doc.name_en;
      if (copy.checked) {
        if (why.querySelector("input").value.trim()) d.copy_reason = why.querySelector("input").value;
        if (until.querySelector("input").value) d.copy_planned_end_date = until.querySelector("input").value;
      }
      return d;
    };
    return row;
  }
  function surveyWidget(point) {
    var services = (point.services || []).map(function (s) { return { code: s.service_code, name_th: s.name_th, name_en: s.name_en, documents: s.documents }; });
    var box = el("section", { id: "survey" }), list = el("div"), missing = el("p", { id: "missing", class: "hint" });
    var search = field(cfz.t("addService"), "service-search", { type: "search", autocomplete: "off" }), found = el("ul", { class: "list", id: "service-results" });
    box.appendChild(el("h2", {}, cfz.t("survey")));
    [missing, list, search, found].forEach(function (n) { box.appendChild(n); });
    function render() {
      cfz.clear(list);
      if (!services.length) list.appendChild(el("p", { class: "muted" }, cfz.t("noServicesYet")));
      services.forEach(function (s, si) {
        var docs = el("ul", { class: "list" });
        s.rows = (s.documents || []).map(function (d, i) { var r = documentRow(d, i, si); docs.appendChild(r); return r; });
        list.appendChild(el("div", { class: "card", "data-service": s.code }, [el("h3", {}, cfz.pick(s, "name")), docs,
          el("button", { type: "button", onclick: function () { services.splice(si, 1); render(); } }, cfz.t("remove"))]));
      });
      var undeclared = (point.services || []).filter(function (s) { return !s.declared; }).map(function (s) { return cfz.pick(s, "name"); });
      missing.textContent = undeclared.length ? cfz.t("missing", { what: undeclared.join(", ") }) : "";
    }
    var timer = null;
    search.querySelector("input").addEventListener("input", function (ev) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!ev.target.value.trim()) { cfz.clear(found); return; }
        cfz.api("GET", "/api/v1/services?q=" + encodeURIComponent(ev.target.value)).then(function (r) {
          cfz.clear(found);
          r.data.results.slice(0, 6).forEach(function (entry) {
            found.appendChild(el("li", {}, el("button", { type: "button", class: "wide", onclick: function () {
              cfz.api("GET", "/api/v1/services/" + encodeURIComponent(entry.service_code)).then(function (full) {
                // start from the manual's own document list
                if (!services.some(function (s) { return s.code === entry.service_code; })) {
                  services.push({ code: entry.service_code, name_th: full.data.name_th, name_en: full.data.name_en,
                    documents: full.data.documents.map(function (d) { return { name_th: d.name_th, name_en: d.name_en, government_issued: !!d.government_issued, copy_required: false }; }) });
                }
                cfz.clear(found); search.querySelector("input").value = ""; render();
              });
            } }, cfz.pick(entry, "name"))));
          });
        });
      }, 250);
    });
    render();
    return { node: box, value: function () {
      return { services: services.map(function (s) { return { service_code: s.code, documents: s.rows.map(function (r) { return r.declaration(); }) }; }) };
    } };
  }

  function pointView(id) {
    var c = requireLogin();
    if (!c) return;
    Promise.all([loadProvinces(), cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(id))]).then(function (res) {
      var point = res[1].data;
      if (c.role !== "admin" && point.agency_id !== c.agency_id) { page(cfz.pick(point, "name"), el("p", { class: "status error" }, cfz.t("forbidden"))); return; }
      var form, st = statusLine(), sst = statusLine("survey-status"), survey = surveyWidget(point);
      var pin = pinWidget(point.location, function () { return form && form.province_code; });
      form = el("form", { id: "point-form", novalidate: true }, [
        field(cfz.t("pointName"), "name_th", { maxlength: 200 }), field(cfz.t("pointNameEn"), "name_en", { maxlength: 200 }),
        field(cfz.t("address"), "address", { tag: "textarea", rows: 2, maxlength: 500 }), provinceSelect("province_code"), pin.node,
        field(cfz.t("hours"), "opening_hours", { maxlength: 200 }), field(cfz.t("phone"), "phone", { type: "tel", maxlength: 40 }), st,
        el("button", { type: "submit", class: "primary wide" }, cfz.t("save"))]);
      var surveyForm = el("form", { id: "survey-form", novalidate: true }, [survey.node, sst, el("button", { type: "submit", class: "primary wide" }, cfz.t("saveSurvey"))]);
      var links = el("div", { class: "actions" }, [el("a", { class: "button", href: "/officer/points/" + encodeURIComponent(id) + "/poster" }, cfz.t("poster")),
        el("a", { class: "button", href: "/officer/points/" + encodeURIComponent(id) + "/tablet" }, cfz.t("tablet")),
        el("a", { class: "button", href: "/points/" + encodeURIComponent(id) }, cfz.t("results")),
        el("button", { type: "button", id: "close-point", onclick: function () {
          if (!window.confirm(cfz.t("closeConfirm"))) return;
          call("DELETE", "/api/v1/service-points/" + encodeURIComponent(id)).then(function () { location.assign("/officer"); }, function (err) { cfz.showError(null, st, err); });
        } }, cfz.t("close"))]);
      page(cfz.pick(point, "name"), [cfz.params().get("created") ? el("p", { class: "status ok" }, cfz.t("created")) : null, links, form, surveyForm]);
      ["name_th", "name_en", "address", "province_code", "opening_hours", "phone"].forEach(function (k) { form[k].value = point[k] || ""; });
      pin.mount();
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var body = {};
        ["name_th", "name_en", "address", "province_code", "opening_hours", "phone"].forEach(function (k) {
          if (form[k].value !== (point[k] || "")) body[k] = form[k].value;
        });
        var where = pin.value();
        if (pin.changed() && where) { body.location = where.location; body.pin = where.pin; }
        call("PATCH", "/api/v1/service-points/" + encodeURIComponent(id), { body: body }).then(function (r) {
          point = r.data; cfz.status(st, cfz.t("saved"), "ok");
        }, function (err) { cfz.showError(form, st, err); });
      });
      surveyForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        call("PUT", "/api/v1/service-points/" + encodeURIComponent(id) + "/services", { body: survey.value() }).then(function () {
          cfz.status(sst, cfz.t("saved"), "ok");
        }, function (err) { cfz.showError(surveyForm, sst, err); });
      });
    }, function (err) { page(cfz.t("oTitle"), el("p", { class: "status error" }, err.text())); });
  }

  function posterView(id) {
    var c = requireLogin();
    if (!c) return;
    cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(id)).then(function (res) {
      var point = res.data, service = cfz.params().get("service") || "";
      var img = el("img", { id: "qr", alt: "QR code", width: 280, height: 280 }), downloads = el("div", { class: "actions no-print" });
      var choose = field(cfz.t("survey"), "service", { tag: "select" }), select = choose.querySelector("select");
      select.appendChild(el("option", { value: "" }, cfz.t("allServices")));
      (point.services || []).forEach(function (s) { select.appendChild(el("option", { value: s.service_code }, cfz.pick(s, "name"))); });
      select.value = service;
      select.addEventListener("change", function () { location.assign(location.pathname + (select.value ? "?service=" + encodeURIComponent(select.value) : "")); });
      page(cfz.t("poster"), [el("div", { class: "no-print" }, choose), el("section", { class: "poster card" }, [
        el("h2", {}, cfz.t("posterTitle") + " · Rate your visit"), el("p", { class: "big" }, point.name_th), el("p", {}, point.name_en),
        img, el("p", {}, cfz.t("posterText")), el("p", {}, cfz.t("posterTextEn"))]), downloads,
        el("div", { class: "actions no-print" }, el("button", { type: "button", onclick: function () { window.print(); } }, cfz.t("print")))]);
      var q = "/api/v1/service-points/" + encodeURIComponent(id) + "/qr?kind=counter" + (service ? "&service_code=" + encodeURIComponent(service) : "");
      ["svg", "png"].forEach(function (format) {
        fetch(q + "&format=" + format, { headers: { Authorization: "Bearer " + cfz.session.token() } }).then(function (r) {
          if (r.status === 401) { cfz.session.expired(); return null; }
          if (!r.ok) throw new Error(String(r.status));
          var url = r.headers.get("X-Feedback-Url");
          return r.blob().then(function (blob) {
            var href = URL.createObjectURL(blob);
            if (format === "svg") { img.src = href; img.setAttribute("data-url", url); }
            downloads.appendChild(el("a", { class: "button", href: href, download: "qr-" + id + "." + format }, cfz.t("download", { f: format.toUpperCase() })));
          });
        }).catch(function () { main.appendChild(el("p", { class: "status error" }, cfz.t("forbidden"))); });
      });
    });
  }

  // A counter tablet shows a single-use code; once a citizen has rated with
  // it, the next one appears (a verified rating per visit, no printed code
  // to photograph and reuse). Polls gently; survives a lost connection.
  function tabletView(id) {
    var c = requireLogin();
    if (!c) return;
    var service = cfz.params().get("service") || "", current = null, timer = null;
    var img = el("img", { id: "tablet-qr", alt: "QR code", width: 320, height: 320 });
    var st = statusLine();
    var box = el("section", { class: "poster card tablet", id: "tablet" }, [
      el("h2", {}, cfz.t("posterTitle") + " · Rate your visit"), el("p", { class: "big", id: "tablet-point" }), img,
      el("p", {}, cfz.t("posterText")), el("p", {}, cfz.t("posterTextEn")), st]);
    page(cfz.t("tablet"), [el("p", { class: "hint no-print" }, cfz.t("tabletHint")), box,
      el("div", { class: "actions no-print" }, el("button", { type: "button", onclick: function () {
        if (box.requestFullscreen) box.requestFullscreen().catch(function () { /* refused: stays in the page */ });
      } }, cfz.t("fullScreen")))]);
    cfz.api("GET", "/api/v1/service-points/" + encodeURIComponent(id)).then(function (res) {
      document.getElementById("tablet-point").textContent = cfz.pick(res.data, "name");
    }, function () { /* the name is a courtesy */ });
    function tokenOf(url) { try { return new URL(url).searchParams.get("t"); } catch (e) { return null; } }
    function renew(thanks) {
      var q = "/api/v1/service-points/" + encodeURIComponent(id) + "/qr?kind=single&format=svg" + (service ? "&service_code=" + encodeURIComponent(service) : "");
      fetch(q, { headers: { Authorization: "Bearer " + cfz.session.token() } }).then(function (r) {
        if (r.status === 401) { cfz.session.expired(); return; }
        if (!r.ok) throw new Error(String(r.status));
        var url = r.headers.get("X-Feedback-Url");
        return r.blob().then(function (blob) {
          if (img.src) URL.revokeObjectURL(img.src);
          img.src = URL.createObjectURL(blob); img.setAttribute("data-url", url);
          current = tokenOf(url);
          cfz.status(st, thanks ? cfz.t("tabletThanks") + " — " + cfz.t("tabletRenewed") : "", thanks ? "ok" : "");
          schedule();
        });
      }).catch(function () { cfz.status(st, cfz.t("tabletOffline"), "error"); schedule(true); });
    }
    function schedule(retry) { clearTimeout(timer); timer = setTimeout(retry ? function () { renew(false); } : check, 3000); }
    function check() {
      if (!current) return renew(false);
      call("GET", "/api/v1/service-points/" + encodeURIComponent(id) + "/visit-tokens/status?visit_token=" + encodeURIComponent(current), { retries: 0 }).then(function (r) {
        if (r.data.used) renew(true); else schedule();
      }, function (err) {
        if (err.status === 400) renew(false);  // expired: a fresh one
        else { cfz.status(st, cfz.t("tabletOffline"), "error"); schedule(); }
      });
    }
    renew(false);
  }

  function moderationView() {
    var c = requireLogin();
    if (!c) return;
    var list = el("ul", { class: "list", id: "queue" }), st = statusLine();
    page(cfz.t("queue"), [st, list]);
    function highlight(text, words) {
      var nodes = [], rest = text;
      if (!words || !words.length) return [text];
      var re = new RegExp("(" + words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|") + ")", "g");
      rest.split(re).forEach(function (part) { nodes.push(words.indexOf(part) >= 0 ? el("mark", {}, part) : part); });
      return nodes;
    }
    function load() {
      call("GET", "/api/v1/moderation/feedback").then(function (r) {
        cfz.clear(list);
        if (!r.data.results.length) list.appendChild(el("li", { class: "muted" }, cfz.t("noQueue")));
        r.data.results.forEach(function (f) {
          var text = el("textarea", { name: "comment", rows: 3, id: "edit-" + f.feedback_id, maxlength: 1000 }), note = el("input", { type: "text", name: "note", id: "note-" + f.feedback_id, maxlength: 500 });
          text.value = f.comment || "";
          var form = el("form", { novalidate: true }, [el("label", { for: text.id }, cfz.t("editPublish")), text, el("label", { for: note.id }, cfz.t("note")), note]);
          var decide = function (decision, edited) {
            var body = { decision: decision };
            if (note.value.trim()) body.note = note.value;
            if (edited) body.comment = text.value;
            call("POST", "/api/v1/feedback/" + encodeURIComponent(f.feedback_id) + "/moderation", { body: body }).then(function () { cfz.status(st, cfz.t("decided"), "ok"); load(); },
              function (err) { cfz.showError(form, st, err); });
          };
          list.appendChild(el("li", { "data-feedback": f.feedback_id }, [el("p", {}, highlight(f.comment_original, f.abusive_terms)),
            el("p", { class: "hint" }, cfz.t("matched", { w: (f.abusive_terms || []).join(", ") })), form,
            el("div", { class: "actions" }, [el("button", { type: "button", class: "primary", onclick: function () { decide("publish"); } }, cfz.t("publish")),
              el("button", { type: "button", onclick: function () { decide("publish", true); } }, cfz.t("editPublish")),
              el("button", { type: "button", onclick: function () { decide("reject"); } }, cfz.t("reject"))])]));
        });
      }, function (err) { cfz.status(st, err.text(), "error"); });
    }
    load();
  }

  function daysBetween(iso) { return Math.round((new Date(iso) - Date.now()) / 86400000); }
  function complaintsView() {
    var c = requireLogin();
    if (!c) return;
    var list = el("ul", { class: "list", id: "inbox" }), st = statusLine(), params = cfz.params();
    var filter = el("select", { id: "status-filter", name: "status" }, [el("option", { value: "" }, cfz.t("allStatuses"))].concat(
      ["received", "relayed", "accepted", "in_progress", "reopened", "resolved", "rejected", "forwarded"].map(function (s) { return el("option", { value: s }, cfz.t("st_complaint." + s)); })));
    var overdue = el("input", { type: "checkbox", id: "overdue" });
    filter.value = params.get("status") || ""; overdue.checked = params.get("overdue") === "true";
    page(cfz.t("inbox"), [el("div", { class: "row" }, [el("label", { for: "status-filter", class: "hp" }, cfz.t("allStatuses")), filter,
      el("label", { class: "inline", for: "overdue" }, [overdue, cfz.t("overdueOnly")])]), st, list]);
    function reload() { location.assign("/officer/complaints?" + new URLSearchParams({ status: filter.value, overdue: overdue.checked ? "true" : "" }).toString()); }
    filter.addEventListener("change", reload); overdue.addEventListener("change", reload);
    var q = "/api/v1/officer/complaints?limit=100" + (filter.value ? "&status=" + filter.value : "") + (overdue.checked ? "&overdue=true" : "");
    call("GET", q).then(function (r) {
      if (!r.data.results.length) list.appendChild(el("li", { class: "muted" }, cfz.t("noComplaints")));
      r.data.results.forEach(function (x) {
        var left = daysBetween(x.expected_at);
        list.appendChild(el("li", {}, [el("a", { class: "title", href: "/officer/complaints/" + encodeURIComponent(x.complaint_id) }, cfz.pick(x, "category") + " · " + (cfz.lang() === "en" ? x.status_en : x.status_th)),
          el("div", { class: "row muted" }, [cfz.formatDate(x.filed_at), x.closed_at ? null : el("span", { class: "badge " + (x.overdue ? "copy" : "unknown") },
            x.overdue ? cfz.t("daysOver", { n: -left }) : cfz.t("daysLeft", { n: left }))]),
          el("p", {}, (x.description || "").slice(0, 140))]));
      });
    }, function (err) { cfz.status(st, err.text(), "error"); });
  }
  function complaintView(id) {
    var c = requireLogin();
    if (!c) return;
    call("GET", "/api/v1/officer/complaints/" + encodeURIComponent(id)).then(function (r) {
      var x = r.data, st = statusLine();
      var contact = x.contact ? el("ul", {}, Object.keys(x.contact).map(function (k) { return el("li", {}, k + ": " + x.contact[k]); }))
                              : el("p", { class: "muted" }, cfz.t("anonymousC"));
      var select = el("select", { id: "new-status", name: "status" }, ["accepted", "in_progress", "resolved", "rejected", "forwarded"].map(function (s) { return el("option", { value: s }, cfz.t("st_complaint." + s)); }));
      var note = el("textarea", { id: "status-note", name: "note", rows: 3, maxlength: 2000 });
      var ready = el("div", { class: "actions" }, ["resp1", "resp2", "resp3"].map(function (k) { return el("button", { type: "button", onclick: function () { note.value = cfz.t(k); } }, cfz.t(k)); }));
      var form = el("form", { id: "status-form", novalidate: true }, [el("label", { for: "new-status" }, cfz.t("newStatus")), select,
        el("label", { for: "status-note" }, cfz.t("note")), note, el("p", { class: "hint" }, cfz.t("responses")), ready, st,
        el("button", { type: "submit", class: "primary wide" }, cfz.t("save"))]);
      page(cfz.pick(x, "category") + " · " + (cfz.lang() === "en" ? x.status_en : x.status_th), [
        el("p", {}, x.description), el("p", { class: "muted" }, cfz.t("due", { date: cfz.formatDate(x.expected_at) })),
        el("h2", {}, cfz.t("contact")), contact, el("ol", { class: "timeline" }, (x.history || []).map(function (h) {
          return el("li", {}, [el("strong", {}, cfz.lang() === "en" ? h.status_en : h.status_th), " ", el("span", { class: "muted" }, cfz.formatDate(h.at, true)), h.note ? el("p", {}, h.note) : null]);
        })), form]);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var body = { status: select.value };
        if (note.value.trim()) body.note = note.value;
        call("POST", "/api/v1/officer/complaints/" + encodeURIComponent(id) + "/status", { body: body }).then(function () { complaintView(id); },
          function (err) { cfz.showError(form, st, err); });
      });
    }, function (err) { page(cfz.t("complaints"), el("p", { class: "status error" }, err.text())); });
  }

  function officersView() {
    var c = requireLogin();
    if (!c) return;
    var list = el("ul", { class: "list", id: "officers" }), st = statusLine();
    var form = el("form", { id: "officer-form", novalidate: true }, [
      field(cfz.t("fullName"), "full_name", { maxlength: 200 }), field(cfz.t("username"), "username", { autocapitalize: "none" }),
      field(cfz.t("password") + " (" + cfz.t("passwordHint") + ")", "password", { type: "password", autocomplete: "new-password" }),
      el("label", { class: "inline", for: "agency_admin" }, [el("input", { type: "checkbox", id: "agency_admin", name: "agency_admin" }), cfz.t("isAdmin")]),
      el("button", { type: "submit", class: "primary wide" }, cfz.t("addOfficer"))]);
    page(cfz.t("officers"), [st, list, el("h2", {}, cfz.t("addOfficer")), form]);
    var base = "/api/v1/agencies/" + encodeURIComponent(c.agency_id) + "/officers";
    function load() {
      call("GET", base).then(function (r) {
        cfz.clear(list);
        r.data.results.forEach(function (a) {
          list.appendChild(el("li", {}, [el("strong", {}, a.username), a.full_name ? " · " + a.full_name : "", " ",
            el("span", { class: "badge " + (a.status === "active" ? "nocopy" : "unknown") }, a.status === "disabled" ? cfz.t("disabled") : a.status),
            a.status === "active" && a.id !== c.sub ? el("div", { class: "actions" }, el("button", { type: "button", onclick: function () {
              if (!window.confirm(cfz.t("disableConfirm", { u: a.username }))) return;
              call("POST", "/api/v1/admin/accounts/" + encodeURIComponent(a.id) + "/disable").then(load, function (err) { cfz.showError(null, st, err); });
            } }, cfz.t("disable"))) : null]));
        });
      }, function (err) { cfz.status(st, err.text(), "error"); });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { username: form.username.value.trim(), password: form.password.value, agency_admin: form.agency_admin.checked };
      if (form.full_name.value.trim()) body.full_name = form.full_name.value;
      call("POST", base, { body: body }).then(function () { form.reset(); cfz.status(st, cfz.t("added"), "ok"); load(); },
        function (err) { cfz.showError(form, st, err); });
    });
    load();
  }

  // The audit trail in words: what, when, who, and before -> after of each
  // changed field (a point's, an agency's, a moderation's, a complaint's).
  // An agency administrator sees their agency's; a system administrator
  // chooses the agency (?agency=).
  var AUDIT_FIELDS = { name_th: "pointName", name_en: "pointNameEn", address: "address", province_code: "province", location: "location",
    opening_hours: "hours", phone: "phone" };
  function has(key) { return cfz.t(key) !== key; }
  function auditValue(entity, key, v) {
    if (v === undefined || v === null || v === "") return "—";
    if (key === "status" && has("st_" + entity + "." + v)) return cfz.t("st_" + entity + "." + v);
    if (key === "location" && typeof v === "object") return v.lat + ", " + v.lon;
    if (key === "province_code") { var p = provinces.filter(function (x) { return x.code === v; })[0]; if (p) return cfz.pick(p, "name"); }
    if (key === "pin" && typeof v === "object") return cfz.t("method_" + v.method) + (v.accuracy_m ? " ±" + Math.round(v.accuracy_m) + " m" : "");
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  function auditField(key) {
    return AUDIT_FIELDS[key] ? cfz.t(AUDIT_FIELDS[key]) : has("f_" + key) ? cfz.t("f_" + key) : key;
  }
  function auditEntry(e) {
    var type = e.entity.type, before = e.before || {}, after = e.after || {};
    var who = e.actor.username || e.actor.account_id;
    var changes = el("div", { class: "changes" }, Object.keys(Object.assign({}, before, after)).map(function (k) {
      return el("p", { "data-field": k }, [el("span", { class: "muted" }, auditField(k) + ": "),
        cfz.t("before") + " " + auditValue(type, k, before[k]) + " → " + cfz.t("after") + " " + auditValue(type, k, after[k])]);
    }));
    var link = type === "service_point" ? el("a", { href: "/officer/points/" + encodeURIComponent(e.entity.id) }, cfz.t("openPoint"))
      : type === "complaint" ? el("a", { href: "/officer/complaints/" + encodeURIComponent(e.entity.id) }, cfz.t("openComplaint")) : null;
    return el("li", { "data-action": e.action }, [el("strong", {}, has("act_" + e.action) ? cfz.t("act_" + e.action) : e.action), " ",
      el("span", { class: "muted" }, cfz.formatDate(e.at, true) + " · " + (who ? cfz.t("by", { u: who }) : e.actor.role === "system" ? cfz.t("bySystem") : cfz.t("nobody")) +
        (e.actor.role === "admin" ? " (" + cfz.t("role_admin") + ")" : "")), link ? " " : null, link, changes]);
  }
  function auditView() {
    var c = requireLogin();
    if (!c) return;
    var agencyId = cfz.params().get("agency") || c.agency_id || "";
    var list = el("ol", { class: "timeline", id: "audit" }), st = statusLine(), offset = 0, PAGE = 50;
    var more = el("button", { type: "button", id: "audit-more", hidden: true }, cfz.t("showMore"));
    var chooser = null;
    if (c.role === "admin") {  // a system administrator reads any agency's trail
      var select = el("select", { id: "audit-agency", name: "agency" }, [el("option", { value: "" }, cfz.t("chooseAgency"))]);
      chooser = el("div", { class: "field" }, [el("label", { for: "audit-agency" }, cfz.t("auditAgency")), select]);
      call("GET", "/api/v1/admin/agencies?status=approved").then(function (r) {
        r.data.results.forEach(function (a) { select.appendChild(el("option", { value: a.id }, cfz.pick(a, "name"))); });
        select.value = agencyId;
      }, function (err) { cfz.status(st, err.text(), "error"); });
      select.addEventListener("change", function () { location.assign("/officer/audit" + (select.value ? "?agency=" + encodeURIComponent(select.value) : "")); });
    }
    page(cfz.t("audit"), [chooser, st, list, el("div", { class: "actions" }, more)]);
    if (!agencyId) return;
    function load() {
      call("GET", "/api/v1/agencies/" + encodeURIComponent(agencyId) + "/audit?limit=" + PAGE + "&offset=" + offset).then(function (r) {
        if (!offset && !r.data.results.length) list.appendChild(el("li", { class: "muted" }, cfz.t("noAudit")));
        r.data.results.forEach(function (e) { list.appendChild(auditEntry(e)); });
        offset += r.data.results.length;
        more.hidden = offset >= r.data.total;
      }, function (err) { cfz.status(st, err.text(), "error"); });
    }
    more.addEventListener("click", load);
    loadProvinces().then(load, load);  // province names are a courtesy
  }

  function route() {
    var m;
    if (path === "/officer/login") return loginView();
    if (path === "/officer/register") return registerView();
    if (path === "/officer/admin") return adminView();
    if (path === "/officer/points/new") return newPointView();
    if ((m = path.match(/^\/officer\/points\/([^/]+)\/poster$/))) return posterView(decodeURIComponent(m[1]));
    if ((m = path.match(/^\/officer\/points\/([^/]+)\/tablet$/))) return tabletView(decodeURIComponent(m[1]));
    if ((m = path.match(/^\/officer\/points\/([^/]+)$/))) return pointView(decodeURIComponent(m[1]));
    if (path === "/officer/moderation") return moderationView();
    if (path === "/officer/officers") return officersView();
    if (path === "/officer/audit") return auditView();
    if (path === "/officer/complaints") return complaintsView();
    if ((m = path.match(/^\/officer\/complaints\/([^/]+)$/))) return complaintView(decodeURIComponent(m[1]));
    return homeView();
  }
  cfz.start(function () { route(); cfz.onLang(route); });
})();

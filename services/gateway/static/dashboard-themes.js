// Executive dashboard: what citizens write (comment themes, ADR 6). Three
// views of the published comments of one scope over the dashboard's dates:
// the distinctive themes, what the unhappy say, and what is rising, each
// with its examples and CSV. The scope is the nation until the dashboard
// opens a point, agency or province (the "cfz:entity" event of
// dashboard.js); the dates follow its filters ("cfz:filters").
(function () {
  "use strict";
  var API = "/api/v1/reports/themes", SHORT = 5, EXCERPT = 160;
  var VIEWS = [["themes", ""], ["unhappy", "/unhappy"], ["rising", "/rising"]];
  cfz.addTexts({
    th: {
      th_nation: "ทั้งประเทศ", th_service_point: "จุดบริการ", th_agency: "หน่วยงาน", th_province: "จังหวัด",
      th_scope: "ขอบเขต: {scope}", th_backToNation: "ดูทั้งประเทศ",
      th_summary: "ความคิดเห็นที่เผยแพร่ {n} รายการ · ความพึงพอใจเฉลี่ย {mean}/5 · ไม่พอใจ (1–2) {lo} · พอใจ (4–5) {hi}",
      th_h_themes: "ประเด็นเด่น", th_h_unhappy: "สิ่งที่ผู้ไม่พอใจพูดถึง", th_h_rising: "ประเด็นที่เพิ่มขึ้น",
      th_note_themes: "คำหรือวลีที่ความคิดเห็นของขอบเขตนี้พูดถึงบ่อยกว่าส่วนอื่นของประเทศอย่างมีนัยสำคัญ",
      th_note_nation: "คำหรือวลีที่ความคิดเห็นทั้งประเทศพูดถึงมากที่สุด",
      th_note_unhappy: "คำหรือวลีที่ผู้ให้คะแนน 1–2 พูดถึงบ่อยกว่าผู้ให้คะแนน 4–5 อย่างมีนัยสำคัญ",
      th_note_rising: "เทียบกับช่วงก่อนหน้าที่ยาวเท่ากัน ({from} ถึง {to}, {n} ความคิดเห็น)",
      th_mentions: "{n} ความคิดเห็น ({share})", th_meanSat: "ความพึงพอใจเฉลี่ย {mean}/5",
      th_vsRest: "ส่วนอื่นของประเทศ {share}", th_unhappyLine: "ผู้ไม่พอใจ {lo} ราย ({slo}) · ผู้พอใจ {hi} ราย ({shi})",
      th_risingLine: "ช่วงก่อน {before} ความคิดเห็น ({sb}) → ช่วงนี้ {now} ({sn})",
      th_examples: "ตัวอย่างความคิดเห็น", th_together: "พูดถึงพร้อมกันในความคิดเห็นเดียวกัน: {terms}", th_stars: "คะแนน {n}/5",
      th_noComments: "ยังไม่มีความคิดเห็นที่เผยแพร่ในช่วงนี้",
      th_noThemes: "ยังไม่พบประเด็นที่เด่นชัด (ต้องมีอย่างน้อย {min} ความคิดเห็นที่พูดถึงเรื่องเดียวกัน และแตกต่างอย่างมีนัยสำคัญ)",
      th_noUnhappy: "ยังไม่พบสิ่งที่ผู้ไม่พอใจพูดถึงต่างจากผู้พอใจอย่างชัดเจน",
      th_noPrevious: "ช่วงก่อนหน้าไม่มีความคิดเห็น จึงยังเทียบไม่ได้",
      th_noRising: "ไม่มีประเด็นที่เพิ่มขึ้นอย่างมีนัยสำคัญเมื่อเทียบกับช่วงก่อนหน้า",
      th_showAll: "แสดงทั้งหมด ({n})", th_showLess: "แสดงน้อยลง", th_csv: "CSV",
      th_loading: "กำลังโหลด…", th_error: "โหลดไม่สำเร็จ", th_retry: "ลองอีกครั้ง",
      th_stat: "G² = {g2}, p {p}", th_method: "นับเฉพาะความคิดเห็นที่เผยแพร่แล้วและปิดข้อมูลส่วนบุคคล ตัดคำภาษาไทยด้วยพจนานุกรม (PyThaiNLP) ทดสอบด้วย log-likelihood (G²) ที่ p < 0.01 และต้องมีอย่างน้อย 3 ความคิดเห็น"
    },
    en: {
      th_nation: "Whole country", th_service_point: "Service point", th_agency: "Agency", th_province: "Province",
      th_scope: "Scope: {scope}", th_backToNation: "Show the whole country",
      th_summary: "{n} published comments · mean satisfaction {mean}/5 · unhappy (1–2) {lo} · satisfied (4–5) {hi}",
      th_h_themes: "Distinctive themes", th_h_unhappy: "What the unhappy say", th_h_rising: "Rising themes",
      th_note_themes: "Words and phrases this scope's comments mention significantly more than the rest of the country",
      th_note_nation: "The words and phrases the country's comments mention most",
      th_note_unhappy: "Words and phrases ratings of 1–2 mention significantly more than ratings of 4–5",
      th_note_rising: "Against the previous period of equal length ({from} to {to}, {n} comments)",
      th_mentions: "{n} comments ({share})", th_meanSat: "mean satisfaction {mean}/5",
      th_vsRest: "rest of the country {share}", th_unhappyLine: "unhappy {lo} ({slo}) · satisfied {hi} ({shi})",
      th_risingLine: "before {before} comments ({sb}) → now {now} ({sn})",
      th_examples: "Example comments", th_together: "said in the same comments: {terms}", th_stars: "rated {n}/5",
      th_noComments: "No published comments in this period yet",
      th_noThemes: "No clear theme yet (a theme needs at least {min} comments on the same thing and a significant difference)",
      th_noUnhappy: "Nothing the unhappy say clearly differs from what the satisfied say",
      th_noPrevious: "The previous period has no comments, so nothing to compare with yet",
      th_noRising: "Nothing rose significantly against the previous period",
      th_showAll: "Show all ({n})", th_showLess: "Show fewer", th_csv: "CSV",
      th_loading: "Loading…", th_error: "Could not load", th_retry: "Try again",
      th_stat: "G² = {g2}, p {p}", th_method: "Published comments only, personal data masked; Thai words segmented with a dictionary (PyThaiNLP); log-likelihood (G²) at p < 0.01 and at least 3 comments"
    }
  });
  var t = cfz.t, el = cfz.el;
  var section = cfz.$("themes");
  if (!section) return;
  var state = { level: "nation", id: null, name: null, from: null, to: null, seq: 0, data: {}, errors: {}, open: {} };

  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0) + "%"; }
  function fixed(x, d) { return x === null || x === undefined ? "—" : Number(x).toFixed(d); }
  function pText(p) { return p === null || p === undefined ? "" : (p < 0.001 ? "< 0.001" : "= " + p.toFixed(3)); }
  function excerpt(s) { return s.length > EXCERPT ? s.slice(0, EXCERPT - 1) + "…" : s; }
  function query() {
    var q = { level: state.level, from: state.from, to: state.to };
    if (state.level !== "nation") q.id = state.id;
    return Object.keys(q).filter(function (k) { return q[k]; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(q[k]); }).join("&");
  }
  function dates() {
    var from = cfz.$("from"), to = cfz.$("to");
    state.from = from && from.value || null; state.to = to && to.value || null;
  }

  function load() {
    var seq = ++state.seq;
    state.data = {}; state.errors = {};
    paint();
    VIEWS.forEach(function (v) {
      var url = API + v[1] + "?" + query();
      var link = section.querySelector('a.csv[data-view="' + v[0] + '"]');
      if (link) { link.href = url + "&format=csv"; link.hidden = false; }
      cfz.api("GET", url).then(function (res) {
        if (seq !== state.seq) return;
        state.data[v[0]] = res.data; paint();
      }, function (err) {
        if (seq !== state.seq) return;
        state.errors[v[0]] = err; paint();
      });
    });
  }

  function example(e) {
    return el("li", {}, [el("q", {}, excerpt(e.comment)),
      el("small", {}, " · " + t("th_stars", { n: e.satisfaction }) + " · " + cfz.formatDate(e.submitted_at))]);
  }
  function item(view, row) {
    var facts = [t("th_mentions", { n: row.count, share: pct(row.share) }),
                 t("th_meanSat", { mean: fixed(row.mean_satisfaction, 1) })];
    if (view === "themes" && row.reference_share !== null && row.reference_share !== undefined) {
      facts.push(t("th_vsRest", { share: pct(row.reference_share) }));
    }
    var lines = [el("p", { class: "theme-term" }, [el("strong", {}, row.term)]),
                 el("p", { class: "theme-facts" }, facts.join(" · "))];
    if (row.together && row.together.length) {
      lines.push(el("p", { class: "theme-facts" }, t("th_together", { terms: row.together.join(", ") })));
    }
    if (view === "unhappy") {
      lines.push(el("p", { class: "theme-facts" }, t("th_unhappyLine", {
        lo: row.count_unhappy, slo: pct(row.share_unhappy), hi: row.count_happy, shi: pct(row.share_happy) })));
    }
    if (view === "rising") {
      lines.push(el("p", { class: "theme-facts" }, t("th_risingLine", {
        before: row.previous_count, sb: pct(row.previous_share), now: row.count, sn: pct(row.share) })));
    }
    if (row.g2 !== null && row.g2 !== undefined) {
      lines.push(el("p", { class: "theme-stat" }, t("th_stat", { g2: fixed(row.g2, 1), p: pText(row.p_value) })));
    }
    if (row.examples.length) {
      lines.push(el("p", { class: "theme-ex-h" }, t("th_examples")));
      lines.push(el("ul", { class: "theme-ex" }, row.examples.map(example)));
    }
    return el("li", { class: "theme" }, lines);
  }
  function emptyText(view, d) {
    if (!d.comments) return t("th_noComments");
    if (view === "rising" && d.previous && !d.previous.comments) return t("th_noPrevious");
    if (view === "unhappy") return t("th_noUnhappy");
    if (view === "rising") return t("th_noRising");
    return t("th_noThemes", { min: d.min_count });
  }
  function paintView(view) {
    var box = section.querySelector('[data-view-box="' + view + '"]');
    var status = box.querySelector(".status"), body = cfz.clear(box.querySelector(".body"));
    var d = state.data[view], err = state.errors[view];
    var note = box.querySelector(".note");
    if (err) {
      note.textContent = "";
      cfz.status(status, err.text ? err.text() : t("th_error"), "error");
      status.appendChild(el("button", { type: "button", onclick: load }, t("th_retry")));
      return;
    }
    if (!d) { note.textContent = ""; cfz.status(status, t("th_loading"), "loading"); return; }
    note.textContent = view === "themes" ? t(d.level === "nation" ? "th_note_nation" : "th_note_themes") :
      view === "unhappy" ? t("th_note_unhappy") :
      t("th_note_rising", { from: cfz.formatDate(d.previous.from), to: cfz.formatDate(d.previous.to), n: d.previous.comments });
    if (!d.themes.length) { cfz.status(status, emptyText(view, d), "empty"); return; }
    cfz.status(status, "");
    var rows = state.open[view] ? d.themes : d.themes.slice(0, SHORT);
    body.appendChild(el("ol", { class: "themes" }, rows.map(function (row) { return item(view, row); })));
    if (d.themes.length > SHORT) {
      body.appendChild(el("button", { type: "button", class: "more", onclick: function () {
        state.open[view] = !state.open[view]; paintView(view);
      } }, state.open[view] ? t("th_showLess") : t("th_showAll", { n: d.themes.length })));
    }
  }
  function paint() {
    var scope = state.level === "nation" ? t("th_nation") : t("th_" + state.level) + ": " + (state.name || state.id);
    cfz.$("themes-scope").textContent = t("th_scope", { scope: scope });
    var back = cfz.$("themes-nation");
    back.hidden = state.level === "nation";
    back.textContent = t("th_backToNation");
    var d = state.data.themes, summary = cfz.$("themes-summary");
    summary.textContent = d ? t("th_summary", { n: d.comments, mean: fixed(d.mean_satisfaction, 2),
                                                lo: d.comments_unhappy, hi: d.comments_happy }) : "";
    summary.hidden = !d;
    cfz.$("themes-method").textContent = t("th_method");
    VIEWS.forEach(function (v) {
      var box = section.querySelector('[data-view-box="' + v[0] + '"]');
      box.querySelector("h3").textContent = t("th_h_" + v[0]);
      paintView(v[0]);
    });
  }

  cfz.$("themes-nation").addEventListener("click", function () {
    state.level = "nation"; state.id = null; state.name = null; load();
  });
  document.addEventListener("cfz:entity", function (ev) {
    if (!ev.detail) return;
    state.level = ev.detail.kind; state.id = ev.detail.id; state.name = ev.detail.name || null;
    dates(); load();
  });
  document.addEventListener("cfz:filters", function () { dates(); load(); });
  cfz.onLang(paint);
  dates();
  load();
})();

"""Demo data for `cfz run`: agencies, officers and service points in all 77
provinces, with services from the catalogue and a realistic Zero Copy mix.

Deterministic (seeded) so a demo looks the same every time. Points are
written through the same functions as real ones, so their events flow.
"""
import json
import os
import random
from datetime import date, timedelta

from services.common import thai
from services.common.actor import SYSTEM_ADMIN, Actor
from services.registry import accounts, points

PLACES_PATH = os.path.join(os.path.dirname(__file__), "data", "demo_places.json")
DEMO_PASSWORD = "demo-password-2569"
SYSTEM_ACTOR = Actor(account_id="demo-loader", role=SYSTEM_ADMIN)

# kind of office: agency, catalogue code prefix, where it stands, name templates
AGENCIES = [
    {"key": "dopa", "prefix": "DOPA-", "name_th": "กรมการปกครอง", "name_en": "Department of Provincial Administration",
     "ministry": "กระทรวงมหาดไทย (Ministry of Interior)", "where": "every",
     "point_th": "ที่ว่าการอำเภอ{place}", "point_en": "{place} District Office",
     "bangkok_th": "สำนักงาน{place}", "bangkok_en": "{place} District Office"},
    {"key": "dol", "prefix": "DOL-", "name_th": "กรมที่ดิน", "name_en": "Department of Lands",
     "ministry": "กระทรวงมหาดไทย (Ministry of Interior)", "where": "seat",
     "point_th": "สำนักงานที่ดินจังหวัด{province}", "point_en": "{province} Provincial Land Office"},
    {"key": "dlt", "prefix": "DLT-", "name_th": "กรมการขนส่งทางบก", "name_en": "Department of Land Transport",
     "ministry": "กระทรวงคมนาคม (Ministry of Transport)", "where": "seat",
     "point_th": "สำนักงานขนส่งจังหวัด{province}", "point_en": "{province} Provincial Land Transport Office"},
    {"key": "local", "prefix": ("DLA-", "DBD-", "DPT-", "MOPH-"),
     "name_th": "องค์กรปกครองส่วนท้องถิ่น (เทศบาล)", "name_en": "Local Administrative Organisations (Municipalities)",
     "ministry": "กระทรวงมหาดไทย (Ministry of Interior)", "where": "second",
     "point_th": "สำนักงานเทศบาล{place}", "point_en": "{place} Municipal Office"},
]
COPY_REASONS = [
    "ระบบเชื่อมโยงข้อมูลกับกรมการปกครองยังไม่พร้อมใช้งาน",
    "เครื่องอ่านบัตรสมาร์ตการ์ดชำรุด รอจัดซื้อใหม่",
    "ระเบียบของหน่วยงานยังกำหนดให้แนบสำเนา อยู่ระหว่างแก้ไข",
]


def _places():
    with open(PLACES_PATH, encoding="utf-8") as f:
        return json.load(f)["provinces"]


def _strip_district_word(name_th):
    for word in ("อำเภอ", "เขต"):
        if name_th.startswith(word):
            return name_th[len(word):]
    return name_th


def _point_names(agency, province_code, place, index):
    province = thai.province_names(province_code)
    place_th = _strip_district_word(place["name_th"])
    if province_code == "10" and "bangkok_th" in agency:
        return (agency["bangkok_th"].format(place=place["name_th"]),
                agency["bangkok_en"].format(place=place["name_en"]))
    fields = {"place": place_th, "province": province["name_th"]}
    name_th = agency["point_th"].format(**fields)
    name_en = agency["point_en"].format(place=place["name_en"], province=province["name_en"])
    return name_th, name_en


def _jitter(rng, place):
    """Offset a few hundred metres so co-located offices do not overlap."""
    for _ in range(5):
        lat = round(place["lat"] + rng.uniform(-0.003, 0.003), 6)
        lon = round(place["lon"] + rng.uniform(-0.003, 0.003), 6)
        if thai.in_thailand(lat, lon):
            return {"lat": lat, "lon": lon}
    return {"lat": place["lat"], "lon": place["lon"]}


def _documents(rng, entry, today):
    """Declared documents: mostly Zero Copy, some copies still demanded."""
    docs = []
    for d in entry["documents"]:
        if d["government_issued"]:
            copy_required = rng.random() < 0.12   # a breach some offices still commit
        else:
            copy_required = d.get("copies", 0) > 0 and rng.random() < 0.5
        doc = {"name_th": d["name_th"], "name_en": d.get("name_en"),
               "government_issued": d["government_issued"], "copy_required": copy_required}
        if copy_required:
            doc["copy_reason"] = rng.choice(COPY_REASONS)
            doc["copy_planned_end_date"] = (today + timedelta(days=rng.randint(30, 400))).isoformat()
        docs.append(doc)
    return docs


def _services_for(rng, entries, today):
    chosen = entries if len(entries) <= 6 else rng.sample(entries, 6)
    undeclared_point = rng.random() < 0.15  # has not finished its survey
    services = []
    for entry in sorted(chosen, key=lambda e: e["service_code"]):
        declared = not (undeclared_point and rng.random() < 0.5)
        services.append({"service_code": entry["service_code"],
                         "documents": _documents(rng, entry, today) if declared else None})
    return {"services": services}


def load(storage, passwords, seed=2569):
    """Create the demo agencies and points unless they exist; return a summary."""
    if storage.demo_agencies_loaded():
        return {"loaded": False, "points": storage.count_points()}
    rng = random.Random(seed)
    today = date.today()
    all_entries = list(storage.catalogue_entries())
    places = _places()
    logins = []
    created = 0
    for agency in AGENCIES:
        username = "demo-" + agency["key"]
        registration = accounts.register_agency(storage, passwords, {
            "name_th": agency["name_th"], "name_en": agency["name_en"],
            "ministry": agency["ministry"], "contact_email": "{}@demo.example.go.th".format(agency["key"]),
            "username": username, "password": DEMO_PASSWORD})
        agency_id = registration["agency"]["id"]
        storage.mark_demo_agency(agency_id)
        accounts.approve_agency(storage, SYSTEM_ACTOR, agency_id)
        logins.append({"username": username, "agency": agency["name_en"]})
        prefixes = agency["prefix"] if isinstance(agency["prefix"], tuple) else (agency["prefix"],)
        entries = [e for e in all_entries if e["service_code"].startswith(prefixes)]
        for province_code in sorted(places):
            province_places = places[province_code]
            chosen = {"every": province_places, "seat": province_places[:1],
                      "second": province_places[1:2]}[agency["where"]]
            for index, place in enumerate(chosen):
                name_th, name_en = _point_names(agency, province_code, place, index)
                point = points.create(storage, SYSTEM_ACTOR, {
                    "name_th": name_th, "name_en": name_en,
                    "address": "{} {}".format(place["name_th"], thai.province_names(province_code)["name_th"]),
                    "province_code": province_code, "location": _jitter(rng, place),
                    "opening_hours": "จ.-ศ. 08:30-16:30 (Mon-Fri)",
                    "phone": "0{}{:07d}".format(rng.choice("34567"), rng.randint(0, 9_999_999))[:9],
                }, agency_id=agency_id)
                if entries:
                    points.set_services(storage, SYSTEM_ACTOR, point["id"],
                                        _services_for(rng, entries, today))
                created += 1
    return {"loaded": True, "points": created, "logins": logins, "password": DEMO_PASSWORD}

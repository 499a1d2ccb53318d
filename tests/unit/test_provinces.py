"""Which province a pin lies in, and whether it may belong to the province
an officer chose (services.common.thai, Natural Earth's boundaries)."""
import json

import pytest
from shapely.geometry import Point

from services.common import i18n, thai
from services.registry import demo, schemas
from services.common.errors import ValidationFailed

with open(demo.PLACES_PATH, encoding="utf-8") as f:
    DISTRICT_SEATS = [(code, place) for code, places in json.load(f)["provinces"].items()
                      for place in places]


def test_the_boundaries_cover_all_77_provinces():
    codes, shapes, _ = thai._province_shapes()
    assert codes == list(thai.province_codes())
    assert all(shape.is_valid and not shape.is_empty for shape in shapes)


def test_every_district_seat_lies_in_its_own_province():
    assert len(DISTRICT_SEATS) >= 300
    wrong = [(code, p["name_en"], thai.province_at(p["lat"], p["lon"])) for code, p in DISTRICT_SEATS
             if thai.province_at(p["lat"], p["lon"]) != code
             or not thai.pin_fits_province(p["lat"], p["lon"], code)]
    assert wrong == []


@pytest.mark.parametrize("name, lat, lon, code", [
    ("Ko Tao", 10.095, 99.840, "84"), ("Ko Samui", 9.53, 100.06, "84"),
    ("Ko Phi Phi (not in the boundaries)", 7.74, 98.77, "81"), ("Mu Ko Similan", 8.65, 97.645, "82"),
    ("Ko Lipe", 6.49, 99.30, "91"), ("Ko Chang, Trat", 12.05, 102.33, "23"),
    ("Ko Si Chang (not in the boundaries)", 13.15, 100.81, "20"),
])
def test_islands_belong_to_their_province(name, lat, lon, code):
    assert thai.in_thailand(lat, lon)
    assert thai.province_at(lat, lon) == code
    assert thai.pin_fits_province(lat, lon, code)


def test_a_pin_deep_in_another_province_does_not_fit():
    assert thai.province_at(18.7953, 98.9862) == "50"
    assert not thai.pin_fits_province(18.7953, 98.9862, "10")
    assert not thai.pin_fits_province(18.7953, 98.9862, "51")  # Lamphun, the neighbour
    assert thai.province_at(3.0, 101.0) is None


def _in_a_near_b(a_code, b_code, km):
    """A point inside province a, at most `km` from province b: walk from
    inside a toward b and take the first such point."""
    codes, shapes, _ = thai._province_shapes()
    a, b = shapes[codes.index(a_code)], shapes[codes.index(b_code)]
    start, target = a.representative_point(), b.representative_point()
    for step in range(1, 2000):
        f = step / 2000
        p = Point(start.x + (target.x - start.x) * f, start.y + (target.y - start.y) * f)
        if a.contains(p) and not b.contains(p) and thai._km(b.distance(p)) <= km:
            return p
    raise AssertionError("no such point")


def test_the_coarse_border_leaves_a_margin_of_about_3_km():
    near = _in_a_near_b("10", "12", 2.5)   # in Bangkok, within 2.5 km of Nonthaburi
    assert thai.province_at(near.y, near.x) == "10"
    assert thai.pin_fits_province(near.y, near.x, "12")
    codes, shapes, _ = thai._province_shapes()
    deep = shapes[codes.index("10")].representative_point()
    assert thai._km(shapes[codes.index("12")].distance(deep)) > thai.PROVINCE_BORDER_TOLERANCE_KM
    assert not thai.pin_fits_province(deep.y, deep.x, "12")


def test_the_officer_reads_where_the_pin_is_in_thai_and_english():
    point = dict(name_th="ก", name_en="a", address="x", province_code="10",
                 location={"lat": 18.7953, "lon": 98.9862})
    with pytest.raises(ValidationFailed) as refused:
        schemas.load(schemas.ServicePointCreate, point)
    message, = refused.value.details["fields"]["location"]
    assert message == "The pin lies in Chiang Mai (50), not in the chosen province Bangkok (10)."
    assert i18n.thai_field_message(message) == (
        "ตำแหน่งนี้อยู่ในจังหวัดเชียงใหม่ ไม่ใช่กรุงเทพมหานครที่เลือกไว้ "
        "กรุณาย้ายหมุดหรือเลือกจังหวัดให้ถูกต้อง")
    assert schemas.load(schemas.ServicePointCreate, dict(point, province_code="50"))["province_code"] == "50"

"""Citizens find the nearest points that offer a service, over HTTP."""
from tests.helpers import POINT, agency, wait_for

BANGKOK = {"name_th": "สำนักงานเขตพระนคร", "name_en": "Phra Nakhon District Office",
           "address": "ถนนจักรพงษ์ เขตพระนคร", "province_code": "10",
           "location": {"lat": 13.7640, "lon": 100.4990}}
NONTHABURI = dict(BANGKOK, name_th="ที่ว่าการอำเภอเมืองนนทบุรี", name_en="Mueang Nonthaburi",
                  province_code="12", location={"lat": 13.8621, "lon": 100.5144})


def declare(api, token, point_id, copy_required):
    document = {"name_th": "ทะเบียนบ้าน", "government_issued": True, "copy_required": copy_required}
    if copy_required:
        document.update(copy_reason="ระบบยังไม่พร้อม", copy_planned_end_date="2027-01-31")
    response = api.put("/api/v1/service-points/{}/services".format(point_id), token=token,
                       json={"services": [{"service_code": "DOPA-HR-MOVE-IN", "documents": [document]}]})
    assert response.status_code == 200, response.text


def nearby(api, **params):
    response = api.get("/api/v1/service-points/nearby", params=params)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_nearest_first_with_distance_directions_and_zero_copy_filter(api):
    token, _ = api.approved_agency(agency("near"))
    bangkok = api.post("/api/v1/service-points", json=BANGKOK, token=token).json()
    nonthaburi = api.post("/api/v1/service-points", json=NONTHABURI, token=token).json()
    chiang_mai = api.post("/api/v1/service-points", json=POINT, token=token).json()
    declare(api, token, bangkok["id"], copy_required=True)
    declare(api, token, nonthaburi["id"], copy_required=False)

    here = {"lat": 13.7563, "lon": 100.5018}  # Democracy Monument
    assert wait_for(lambda: len(nearby(api, **here)) == 3)
    results = nearby(api, **here)
    assert [r["service_point"]["id"] for r in results] == [bangkok["id"], nonthaburi["id"], chiang_mai["id"]]
    assert 0.8 < results[0]["distance_km"] < 1.2
    assert 570 < results[2]["distance_km"] < 600
    assert results[0]["directions_url"].startswith("https://www.google.com/maps/dir/")
    assert "openstreetmap.org/directions" in results[0]["directions"]["links"]["openstreetmap"]
    assert results[0]["service_point"]["province"]["name_en"] == "Bangkok"

    # the citizen needs a move-in without photocopies: Nonthaburi, though farther
    assert wait_for(lambda: [r["service_point"]["id"] for r in nearby(
        api, service_code="DOPA-HR-MOVE-IN", zero_copy="true", **here)] == [nonthaburi["id"]])
    offered = nearby(api, service_code="DOPA-HR-MOVE-IN", **here)
    assert [r["service_point"]["id"] for r in offered] == [bangkok["id"], nonthaburi["id"]]
    assert [r["service_point"]["id"] for r in nearby(api, radius_km=5, **here)] == [bangkok["id"]]
    assert [r["service_point"]["id"] for r in nearby(api, k=1, province_code="50", **here)] == [chiang_mai["id"]]

    box = api.get("/api/v1/service-points/bbox", params={
        "south": 13.5, "west": 100.3, "north": 14.0, "east": 100.7}).json()
    assert box["total"] == 2 and {p["id"] for p in box["results"]} == {bangkok["id"], nonthaburi["id"]}
    polygon = {"type": "Polygon", "coordinates": [[[98.5, 18.5], [99.5, 18.5], [99.5, 19.2],
                                                   [98.5, 19.2], [98.5, 18.5]]]}
    inside = api.post("/api/v1/service-points/within", json=polygon).json()
    assert [p["id"] for p in inside["results"]] == [chiang_mai["id"]]

    # closing a point removes it from the next answers
    assert api.delete("/api/v1/service-points/" + bangkok["id"], token=token).status_code == 200
    assert wait_for(lambda: [r["service_point"]["id"] for r in nearby(api, k=1, **here)]
                    == [nonthaburi["id"]])


def test_administrator_can_resync_geo(api):
    response = api.post("/api/v1/admin/geo/resync", token=api.admin_token())
    assert response.status_code == 200
    assert set(response.json()) >= {"open_points", "closed", "indexed"}

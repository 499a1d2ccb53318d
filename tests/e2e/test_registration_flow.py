"""A user's path through the gateway: register, approval, login, pin, services."""
import eventlet

from tests.helpers import POINT, agency, wait_for


def test_agency_registers_is_approved_pins_a_point_and_lists_services(api, received):
    data = agency("flow")
    registered = api.post("/api/v1/agencies", json=data)
    assert registered.status_code == 201
    assert registered.json()["agency"]["status"] == "pending"
    assert "password" not in registered.text

    # pending: cannot log in yet
    refused = api.post("/api/v1/auth/token", json={"username": data["username"],
                                                   "password": data["password"]})
    assert refused.status_code == 403
    assert refused.json()["error"] == "ACCOUNT_PENDING"

    agency_id = registered.json()["agency"]["id"]
    pending = api.get("/api/v1/admin/agencies?status=pending", token=api.admin_token()).json()
    assert agency_id in [a["id"] for a in pending["results"]]
    assert api.post("/api/v1/admin/agencies/{}/approve".format(agency_id),
                    token=api.admin_token()).json()["status"] == "approved"

    login = api.post("/api/v1/auth/token", json={"username": data["username"],
                                                 "password": data["password"]})
    assert login.status_code == 200
    body = login.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    token = body["access_token"]

    created = api.post("/api/v1/service-points", json=POINT, token=token)
    assert created.status_code == 201, created.text
    point = created.json()
    assert created.headers["Location"] == "/api/v1/service-points/" + point["id"]
    assert point["agency_id"] == agency_id
    assert point["province"]["name_en"] == "Chiang Mai"
    assert point["phone"] == "053112345"
    assert point["surveyed"] is False

    catalogue = api.get("/api/v1/services", params={"q": "บัตรประชาชน"}).json()
    code = catalogue["results"][0]["service_code"]
    entry = api.get("/api/v1/services/" + code).json()
    documents = [{"name_th": d["name_th"], "name_en": d.get("name_en"),
                  "government_issued": d["government_issued"], "copy_required": False}
                 for d in entry["documents"]]
    declared = api.put("/api/v1/service-points/{}/services".format(point["id"]),
                       json={"services": [{"service_code": code, "documents": documents}]},
                       token=token)
    assert declared.status_code == 200, declared.text
    services = api.get("/api/v1/service-points/{}/services".format(point["id"])).json()
    assert [s["service_code"] for s in services["services"]] == [code]
    assert services["surveyed"] is True and services["zero_copy"] is True

    # exactly one office_registered for this point reaches a consumer
    assert wait_for(lambda: any(n == "services_changed" for n, _ in received))
    eventlet.sleep(0.5)
    registered_events = [e for n, e in received if n == "office_registered" and e["id"] == point["id"]]
    assert len(registered_events) == 1
    assert registered_events[0]["province_code"] == "50"

    listed = api.get("/api/v1/service-points", params={"agency_id": agency_id}).json()
    assert [p["id"] for p in listed["results"]] == [point["id"]] and listed["total"] == 1

    rollout = api.get("/api/v1/rollout", params={"group_by": "agency"}).json()
    row = [r for r in rollout["results"] if r["agency_id"] == agency_id][0]
    assert (row["pinned"], row["surveyed"], row["zero_copy"]) == (1, 1, 1)


def test_update_and_close_a_point(api):
    token, _ = api.approved_agency(agency("upd"))
    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    moved = api.patch("/api/v1/service-points/" + point["id"], token=token,
                      json={"location": {"lat": 18.80, "lon": 98.99}, "opening_hours": "ทุกวัน 08:00-20:00"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["location"] == {"lat": 18.80, "lon": 98.99}
    assert moved.json()["entity_version"] == 2
    closed = api.delete("/api/v1/service-points/" + point["id"], token=token)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = api.delete("/api/v1/service-points/" + point["id"], token=token)
    assert again.status_code == 409
    assert api.get("/api/v1/service-points/" + point["id"]).json()["status"] == "closed"
    open_points = api.get("/api/v1/service-points").json()["results"]
    assert point["id"] not in [p["id"] for p in open_points]


def test_health_readiness_and_openapi(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["services"]) >= {"registry", "geo", "feedback"}
    assert set(ready.json()["services"].values()) == {"ok"}
    document = api.get("/api/v1/openapi.json").json()
    from openapi_spec_validator import validate
    validate(document)
    assert "/api/v1/service-points/{point_id}/services" in document["paths"]


def test_web_ui_and_leaflet_are_served(api):
    page = api.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "leaflet" in page.text.lower()
    assert api.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert api.get("/static/../service.py").status_code == 404

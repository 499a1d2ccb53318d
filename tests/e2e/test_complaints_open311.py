"""Open311 GeoReport v2 conformance of the gateway's /open311/v2/ server:
responses carry the spec's field lists, bad requests get the spec's errors
(an array of {code, description}; 400, 403, 404)."""
from datetime import datetime, timedelta, timezone

import pytest

from services.complaints import open311
from tests.e2e import test_complaints_flow as flow
from tests.helpers import wait_for

BASE = "/open311/v2"
API_KEY = "open311-test-key"
pmoc = flow.pmoc
stack_config = flow.stack_config


@pytest.fixture
def o311(runner_factory, stack_config):
    config = dict(stack_config, CFZ_OPEN311_API_KEYS="other-key," + API_KEY)
    runner = runner_factory(config, flow.RegistryService, flow.ComplaintsService, flow.Gateway)
    runner.start()
    return flow.Api("http://{}".format(config["WEB_SERVER_ADDRESS"]))


def is_datetime_with_zone(value):
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None


def assert_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def post(api, **form):
    form.setdefault("api_key", API_KEY)
    return api.post(BASE + "/requests.json", data=form)


def test_discovery_services_and_definitions(o311):
    discovery = o311.get(BASE + "/discovery.json").json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(discovery)
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] in ("production", "test") and endpoint["url"].endswith("/open311/v2/")
    assert endpoint["formats"] == ["application/json"]
    services = o311.get(BASE + "/services.json")
    assert services.headers["Content-Type"].startswith("application/json")
    for service in services.json():
        assert set(service) == set(open311.SERVICE_FIELDS)
        assert isinstance(service["metadata"], bool) and service["type"] in ("realtime", "batch", "blackbox")
    assert {s["service_code"] for s in services.json()} >= {"COPY-DEMANDED", "CORRUPTION"}
    definition = o311.get(BASE + "/services/COPY-DEMANDED.json").json()
    assert definition == {"service_code": "COPY-DEMANDED", "attributes": []}
    assert_error(o311.get(BASE + "/services/NOPE.json"), 404)
    assert_error(o311.get(BASE + "/services.xml"), 404)


def test_file_and_follow_a_request(o311, pmoc):
    created = post(o311, service_code="NUISANCE", lat="13.7563", long="100.5018",
                   description="เสียงดังทั้งคืน โทรกลับ 081-234-5678", email="a@example.com",
                   first_name="สมใจ", media_url="https://example.org/noise.jpg")
    assert created.status_code == 201, created.text
    answer = created.json()
    assert isinstance(answer, list) and len(answer) == 1
    assert {"service_request_id", "service_notice", "account_id"} <= set(answer[0])
    request_id = answer[0]["service_request_id"]
    by_address = post(o311, service_code="ROAD-PUBLIC-WORKS", address_string="ถนนพระราม 4 หน้าตลาด")
    assert by_address.status_code == 201, by_address.text

    one = o311.get(BASE + "/requests/{}.json".format(request_id))
    assert one.status_code == 200
    [request] = one.json()
    assert set(request) == set(open311.REQUEST_FIELDS)
    assert request["service_request_id"] == request_id and request["status"] == "open"
    assert request["service_code"] == "NUISANCE" and request["lat"] == 13.7563
    assert request["media_url"] == "https://example.org/noise.jpg"
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert is_datetime_with_zone(request[key])
    assert "081" not in one.text and "a@example.com" not in one.text and "สมใจ" not in one.text
    # the same complaint through our own API, with the tracking code
    tracked = o311.get("/api/v1/complaints/" + answer[0]["tracking_code"]).json()
    assert tracked["complaint_id"] == request_id

    listed = o311.get(BASE + "/requests.json").json()
    assert {r["service_request_id"] for r in listed} >= {request_id, by_address.json()[0]["service_request_id"]}
    assert all(set(r) == set(open311.REQUEST_FIELDS) for r in listed)
    assert [r["service_code"] for r in o311.get(BASE + "/requests.json?service_code=NUISANCE").json()] == ["NUISANCE"]
    assert o311.get(BASE + "/requests.json?status=closed").json() == []
    now = datetime.now(timezone.utc)
    window = {"start_date": (now - timedelta(days=1)).isoformat(), "end_date": (now + timedelta(minutes=1)).isoformat()}
    assert len(o311.get(BASE + "/requests.json", params=window).json()) == 2
    past = {"start_date": "2025-01-01T00:00:00+07:00", "end_date": "2025-02-01T00:00:00+07:00"}
    assert o311.get(BASE + "/requests.json", params=past).json() == []
    ids = o311.get(BASE + "/requests.json", params={"service_request_id": request_id, "status": "closed"}).json()
    assert [r["service_request_id"] for r in ids] == [request_id]  # the id overrides the rest
    # relayed to PMOC and closed there: Open311 shows it closed
    assert wait_for(lambda: len(pmoc.snapshot()["requests"]) == 2, timeout=30)
    pmoc_id = next(r["service_request_id"] for r in pmoc.snapshot()["requests"]
                   if r["service_code"] == "NUISANCE")
    pmoc.set_status(pmoc_id, "closed", "ตักเตือนแล้ว")
    assert wait_for(lambda: o311.get(BASE + "/requests/{}.json".format(request_id)).json()[0]["status"] == "closed",
                    timeout=30)
    closed = o311.get(BASE + "/requests/{}.json".format(request_id)).json()[0]
    assert "ตักเตือนแล้ว" in closed["status_notes"]


def test_bad_requests_get_the_spec_errors(o311, pmoc):
    assert "service_code" in assert_error(post(o311, lat="13.75", long="100.5"), 400)
    assert "location" in assert_error(post(o311, service_code="OTHER", description="x"), 400)
    assert "service_code" in assert_error(post(o311, service_code="NOPE", lat="13.75", long="100.5"), 400)
    assert_error(post(o311, service_code="OTHER", lat="abc", long="100.5"), 400)
    assert_error(post(o311, service_code="OTHER", lat="48.85", long="2.35"), 400)  # not Thailand
    assert_error(post(o311, service_code="OTHER", address_string="x", description="ก" * 4001), 400)
    assert_error(post(o311, service_code="OTHER", address_string="x", email="not-an-email"), 400)
    assert_error(post(o311, service_code="OTHER", address_string="x", address_id="sp-nope"), 400)
    assert_error(post(o311, api_key="wrong", service_code="OTHER", address_string="x"), 403)
    assert_error(o311.post(BASE + "/requests.json", data={"service_code": "OTHER", "address_string": "x"}), 403)
    for query in ({"start_date": "yesterday"}, {"end_date": "2026-02-30T00:00:00Z"},
                  {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"},
                  {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},
                  {"status": "pending"}, {"service_code": "NOPE"}):
        assert_error(o311.get(BASE + "/requests.json", params=query), 400)
    assert_error(o311.get(BASE + "/requests/cmp-doesnotexist.json"), 404)
    assert_error(o311.get(BASE + "/requests/x.xml"), 404)
    assert_error(o311.get(BASE + "/nothing-here"), 404)
    assert pmoc.snapshot()["stats"]["stored"] == 0
    assert o311.get(BASE + "/requests.json").json() == []  # nothing was filed

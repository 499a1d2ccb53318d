"""Comment themes through the gateway: known comments (some held for
moderation, one moderated away after publication, one published with an
edit) give exactly the expected theme counts; replaying every feedback
event twice, shuffled, changes nothing; the recount agrees; bad input is a
400 with Thai field messages."""
import random
import uuid

import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher

from services.reporting import themes
from tests.helpers import POINT, agency, wait_for

NAMES = ("feedback_submitted", "feedback_moderated")


def raw_recorder(received):
    handlers = {"name": "raw_feedback_recorder"}
    for name in NAMES:
        def handler(self, payload, _name=name):
            received.append((_name, payload))
        handlers[name] = event_handler("feedback", name)(handler)
    return type("RawFeedbackRecorder", (), handlers)


@pytest.fixture
def raw():
    return []


@pytest.fixture
def world(runner_factory, config, raw):
    from services.complaints.service import ComplaintsService
    from services.feedback.service import FeedbackService
    from services.gateway.service import GatewayService
    from services.registry.service import RegistryService
    from services.reporting.service import ReportingService
    from tests.e2e.conftest import Api
    settings = dict(config, CFZ_REPORT_COMPACT_INTERVAL="0.2", CFZ_FEEDBACK_RATE_LIMIT="1000/minute")
    runner = runner_factory(settings, RegistryService, FeedbackService, ComplaintsService,
                            ReportingService, GatewayService, raw_recorder(raw))
    runner.start()
    return Api("http://{}".format(config["WEB_SERVER_ADDRESS"]))


def rate(api, point_id, satisfaction, comment):
    response = api.post("/api/v1/service-points/{}/feedback".format(point_id),
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"service_code": "DOPA-ID-NEW", "answers": {"satisfaction": satisfaction},
                              "comment": comment})
    assert response.status_code == 201, response.text
    return response.json()


# the counter sends citizens out for photocopies; the other point is praised
COUNTER = [
    (1, "ต้องถ่ายเอกสารสำเนาบัตรประชาชนเองอีกแล้ว โทร 081-234-5678"),
    (2, "เจ้าหน้าที่ให้ไปถ่ายเอกสารที่ร้านข้างนอก"),
    (2, "ถ่ายเอกสารหน้าละสามบาท แพงมาก"),
    (1, "ถ่ายเอกสารอีกแล้ว พนักงานโง่มาก"),          # held: abusive; published with an edit
    (2, "ถ่ายเอกสารเองทุกครั้ง เสียเวลา"),            # published, then rejected by a moderator
    (5, "บริการดี รอไม่นาน"),
]
OTHER = [(5, "บริการดีมาก ประทับใจ"), (5, "เจ้าหน้าที่ใจดี บริการดี"), (4, "บริการรวดเร็ว"),
         (5, "ประทับใจการบริการค่ะ"), (4, "รอนิดหน่อย บริการดี"), (5, "ขอบคุณเจ้าหน้าที่")]
EDITED = "ถ่ายเอกสารอีกแล้ว พนักงานไม่ช่วยเลย"


def views(api, path, params):
    return {view: api.get(path + suffix, params=params).json()
            for view, suffix in (("themes", ""), ("unhappy", "/unhappy"), ("rising", "/rising"))}


def test_themes_through_the_gateway_replay_and_recount(world, raw, config):
    api = world
    token, own = api.approved_agency(agency("themes"))
    counter = api.post("/api/v1/service-points", json=POINT, token=token).json()
    other = api.post("/api/v1/service-points", token=token, json=dict(
        POINT, name_en="Second office", province_code="10",
        location={"lat": 13.7563, "lon": 100.5018})).json()
    for point in (counter, other):
        assert api.put("/api/v1/service-points/{}/services".format(point["id"]), token=token, json={
            "services": [{"service_code": "DOPA-ID-NEW", "documents": []}]}).status_code == 200
    sent = [rate(api, counter["id"], score, text) for score, text in COUNTER]
    for score, text in OTHER:
        rate(api, other["id"], score, text)
    assert [s["comment_status"] for s in sent] == ["published"] * 3 + ["pending"] + ["published"] * 2

    theme_path = "/api/v1/reports/themes"
    params = {"level": "service_point", "id": counter["id"]}

    def counted(n):
        return lambda: api.get(theme_path, params=params).json()["comments"] == n
    assert wait_for(counted(5), timeout=30)  # the held comment is not public yet

    held, rejected = sent[3]["feedback_id"], sent[4]["feedback_id"]
    for feedback_id, decision in ((held, {"decision": "publish", "comment": EDITED}),
                                  (rejected, {"decision": "reject", "note": "ซ้ำ"})):
        answer = api.post("/api/v1/feedback/{}/moderation".format(feedback_id), json=decision,
                          token=token)
        assert answer.status_code == 200, answer.text
    assert wait_for(lambda: [e["feedback_id"] for e in api.get(theme_path, params=params).json()
                             ["themes"][0]["examples"]][:1] == [held], timeout=30)

    result = api.get(theme_path, params=params).json()
    assert result["comments"] == 5 and result["comments_unhappy"] == 4
    top = result["themes"][0]
    # ถ่ายเอกสาร: comments 1, 2, 3 and the edited 4 (5 was moderated away);
    # the other point never says it: the rest of the country has 0 of 6
    assert (top["term"], top["count"], top["share"]) == ("ถ่ายเอกสาร", 4, 0.8)
    assert top["mean_satisfaction"] == pytest.approx((1 + 2 + 2 + 1) / 4)
    assert top["g2"] == pytest.approx(themes.g2(4, 5, 0, 6))
    assert result["reference"]["comments"] == 6
    assert [e["feedback_id"] for e in top["examples"]] == [held, sent[2]["feedback_id"],
                                                          sent[1]["feedback_id"]]
    assert top["examples"][0]["comment"] == EDITED
    shown = str(result)
    assert "081-234-5678" not in shown and "โง่" not in shown and "ทุกครั้ง" not in shown

    nation = api.get(theme_path).json()
    assert nation["comments"] == 11 and nation["reference"] is None
    assert {row["term"]: row["count"] for row in nation["themes"]}["บริการ"] == 6
    unhappy = api.get(theme_path + "/unhappy", params={"level": "agency", "id": own["id"]}).json()
    assert unhappy["themes"][0]["term"] == "ถ่ายเอกสาร"
    assert (unhappy["themes"][0]["count_unhappy"], unhappy["themes"][0]["count_happy"]) == (4, 0)
    rising = api.get(theme_path + "/rising", params=params).json()
    assert rising["previous"]["comments"] == 0 and rising["themes"] == []

    # what the dashboard's section (static/dashboard-themes.js) reads
    for view in views(api, theme_path, {"level": "agency", "id": own["id"]}).values():
        assert {"level", "comments", "mean_satisfaction", "comments_unhappy", "comments_happy",
                "min_count", "themes"} <= set(view), view
    assert {"from", "to", "comments"} <= set(rising["previous"])
    row_fields = {"term", "count", "share", "mean_satisfaction", "g2", "p_value", "examples"}
    assert row_fields | {"reference_share"} <= set(top)
    assert row_fields | {"count_unhappy", "share_unhappy", "count_happy", "share_happy"} <= set(
        unhappy["themes"][0])
    assert {"comment", "satisfaction", "submitted_at"} <= set(top["examples"][0])

    csv = api.get(theme_path, params=dict(params, format="csv"))
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("term,count,share,mean_satisfaction,g2")
    assert lines[1].startswith("ถ่ายเอกสาร,4,0.8,1.5,")

    admin = api.admin_token()
    recount = api.post("/api/v1/admin/reports/recount", token=admin).json()
    assert recount["ok"] is True, recount
    assert recount["themes"] == {"records": 11, "differences": []}

    scopes = [("/api/v1/reports/themes", params),
              ("/api/v1/reports/themes", {"level": "agency", "id": own["id"]}),
              ("/api/v1/reports/themes", {"level": "province", "id": "10"}),
              ("/api/v1/reports/themes", {})]
    before = [views(api, path, p) for path, p in scopes]
    assert wait_for(lambda: len(raw) == len(COUNTER) + len(OTHER) + 2, timeout=10)
    replay = list(raw) * 2
    random.Random(7).shuffle(replay)
    from services.reporting.service import EVENTS_APPLIED

    def unchanged():
        return sum(EVENTS_APPLIED.labels(name + ":themes", "false")._value.get() for name in NAMES)
    start = unchanged()
    dispatch = event_dispatcher(config)
    for name, payload in replay:
        dispatch("feedback", name, payload)
    assert wait_for(lambda: unchanged() - start == len(replay), timeout=30)
    assert [views(api, path, p) for path, p in scopes] == before
    assert api.post("/api/v1/admin/reports/recount", token=admin).json()["ok"] is True


@pytest.mark.parametrize("params,field", [
    ({"level": "county"}, "level"),
    ({"level": "agency"}, "id"),
    ({"level": "province", "id": "99"}, "id"),
    ({"from": "2025-01-01", "to": "2026-06-30"}, "to"),
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"limit": "0"}, "limit"),
    ({"min_count": "1"}, "min_count"),
    ({"format": "xml"}, "format"),
    ({"colour": "red"}, "colour"),
])
@pytest.mark.parametrize("suffix", ["", "/unhappy", "/rising"])
def test_bad_theme_queries_are_400_with_thai_messages(world, params, field, suffix):
    answer = world.get("/api/v1/reports/themes" + suffix, params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "VALIDATION_ERROR" and field in body["details"]["fields"]
    assert body["message_th"] and body["details"]["fields_th"][field]
    assert all(any("\u0e00" <= ch <= "\u0e7f" for ch in message)
               for message in body["details"]["fields_th"][field])


def test_unknown_scopes_are_404(world):
    for level in ("service_point", "agency"):
        answer = world.get("/api/v1/reports/themes", params={"level": level, "id": "nope-123"})
        assert answer.status_code == 404, answer.text


def test_the_dashboard_loads_its_themes_section(world):
    page = world.get("/dashboard").content.decode("utf-8")
    assert '<section id="themes"' in page and "/static/dashboard-themes.js" in page
    script = world.get("/static/dashboard-themes.js")
    assert script.status_code == 200 and '"/api/v1/reports/themes"' in script.content.decode("utf-8")

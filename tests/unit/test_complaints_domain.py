"""Complaints domain modules: status model, SLA and overdue with a
controllable clock, tracking codes, backoff, Open311 parsing, the store."""
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from services.common import events
from services.common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from services.common.storage import ensure_indexes
from services.complaints import categories, lifecycle, open311, relay, store, tracking
from services.complaints.schemas import ComplaintCreate
from services.gateway.routes_complaints import open311_error_body
from services.registry.schemas import load

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
OFFICER = {"sub": "acc-1", "role": "officer", "agency_id": "ag-1"}
OTHER_OFFICER = {"sub": "acc-2", "role": "officer", "agency_id": "ag-2"}
ADMIN = {"sub": "acc-0", "role": "admin"}
POINT = {"id": "sp-1", "agency_id": "ag-1", "name_th": "ที่ว่าการอำเภอ", "name_en": "District Office",
         "province_code": "50", "location": {"lat": 18.79, "lon": 98.98}, "address": "ถนนช้างเผือก"}
AGENCY = {"id": "ag-1", "name_th": "กรมการปกครอง", "name_en": "Department of Provincial Administration"}


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


@pytest.fixture
def db(database):
    ensure_indexes(database, store.INDEXES)
    return database


@pytest.fixture
def complaints(db):
    return store.ComplaintStore(db)


def complaint(**changes):
    data = {"category": "COPY-DEMANDED",
            "description": "เจ้าหน้าที่เรียกสำเนาบัตรประชาชน โทร 081-234-5678",
            "service_point_id": "sp-1",
            "contact": {"first_name": "สมชาย", "phone": "081-234-5678"}}
    data.update(changes)
    return load(ComplaintCreate, data)


def filed(complaints, now=T0, key=None, sla=(15, {}), **changes):
    view, created = complaints.file(complaint(**changes), POINT, AGENCY, key, sla, now=now)
    return view


# --- status model and SLA ------------------------------------------------------
def test_status_model_maps_to_open311_and_allows_only_the_documented_moves():
    assert {s: lifecycle.open311_status(s) for s in lifecycle.STATUSES} == {
        "received": "open", "relayed": "open", "accepted": "open", "in_progress": "open",
        "reopened": "open", "resolved": "closed", "rejected": "closed", "forwarded": "closed"}
    assert lifecycle.can_move("received", "relayed")
    assert lifecycle.can_move("relayed", "accepted") and lifecycle.can_move("accepted", "in_progress")
    assert lifecycle.can_move("in_progress", "resolved") and lifecycle.can_move("resolved", "reopened")
    assert not lifecycle.can_move("rejected", "in_progress")
    assert not lifecycle.can_move("in_progress", "accepted")
    with pytest.raises(Conflict):
        lifecycle.require_move("resolved", "in_progress")
    for status, (name_th, name_en) in lifecycle.STATUSES.items():
        assert name_th and name_en and name_th != name_en


def test_sla_due_date_and_overdue_follow_the_clock():
    due = lifecycle.sla_due(T0, 15)
    assert due == T0 + timedelta(days=15)
    assert not lifecycle.is_overdue("in_progress", due, T0 + timedelta(days=15))
    assert lifecycle.is_overdue("in_progress", due, T0 + timedelta(days=15, seconds=1))
    assert not lifecycle.is_overdue("resolved", due, T0 + timedelta(days=40))
    assert categories.parse_sla_overrides("CORRUPTION=7, ROAD-PUBLIC-WORKS=30") == {
        "CORRUPTION": 7, "ROAD-PUBLIC-WORKS": 30}
    assert categories.sla_days("CORRUPTION", 15, {"CORRUPTION": 7}) == 7
    assert categories.sla_days("OTHER", 15, {"CORRUPTION": 7}) == 15
    for bad in ("NOPE=3", "CORRUPTION", "CORRUPTION=0", "CORRUPTION=x"):
        with pytest.raises(ValueError):
            categories.parse_sla_overrides(bad)


def test_filed_complaint_is_overdue_after_its_category_sla(complaints):
    clock = Clock()
    view = filed(complaints, now=clock(), category="CORRUPTION", sla=(15, {"CORRUPTION": 7}))
    assert view["sla_days"] == 7
    assert view["expected_at"] == (T0 + timedelta(days=7)).isoformat()
    clock.advance(days=7)
    assert store.public_view(complaints.get(view["complaint_id"]), clock())["overdue"] is False
    clock.advance(minutes=1)
    assert store.public_view(complaints.get(view["complaint_id"]), clock())["overdue"] is True
    listing = complaints.list_for_officer(OFFICER, {"overdue": "true"}, now=clock())
    assert [c["complaint_id"] for c in listing["results"]] == [view["complaint_id"]]
    assert complaints.list_for_officer(OFFICER, {"overdue": "false"}, now=clock())["total"] == 0
    complaints.change_status(OFFICER, view["complaint_id"], "resolved", "แก้ไขแล้ว", now=clock())
    assert complaints.list_for_officer(OFFICER, {"overdue": "true"}, now=clock())["total"] == 0


def test_rating_and_one_reopen_within_30_days(complaints):
    clock = Clock()
    view = filed(complaints, now=clock())
    code = view["tracking_code"]
    with pytest.raises(Conflict):
        complaints.rate(code, 4, now=clock())
    with pytest.raises(Conflict):
        complaints.reopen(code, "ยังไม่แก้", now=clock())
    complaints.change_status(OFFICER, view["complaint_id"], "accepted", now=clock())
    clock.advance(days=3)
    complaints.change_status(OFFICER, view["complaint_id"], "resolved", "ยกเลิกการเรียกสำเนาแล้ว",
                             now=clock())
    rated = complaints.rate(code, 2, "ยังถูกเรียกอยู่", now=clock())
    assert rated["rating"] == 2
    with pytest.raises(ValidationFailed):
        complaints.rate(code, 6, now=clock())
    clock.advance(days=30)
    reopened = complaints.reopen(code, "ยังถูกเรียกสำเนาอยู่", now=clock())
    assert reopened["status"] == "reopened" and reopened["open311_status"] == "open"
    assert reopened["expected_at"] == (clock() + timedelta(days=15)).isoformat()
    assert reopened["rating"] is None
    complaints.change_status(OFFICER, view["complaint_id"], "resolved", now=clock())
    with pytest.raises(Conflict) as once:
        complaints.reopen(code, "อีกครั้ง", now=clock())
    assert once.value.error_code == "ALREADY_REOPENED"
    history = [h["status"]
               for h in store.public_view(complaints.get(view["complaint_id"]))["history"]]
    assert history == ["received", "accepted", "resolved", "reopened", "resolved"]


def test_reopen_window_closes_after_30_days(complaints):
    clock = Clock()
    view = filed(complaints, now=clock())
    complaints.change_status(OFFICER, view["complaint_id"], "resolved", now=clock())
    clock.advance(days=30, seconds=1)
    with pytest.raises(Conflict) as late:
        complaints.reopen(view["tracking_code"], "ช้าไป", now=clock())
    assert late.value.error_code == "REOPEN_WINDOW_PASSED"


# --- tracking codes -----------------------------------------------------------
def test_tracking_codes_are_typable_checked_and_distinct():
    codes = {tracking.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = sorted(codes)[0]
    assert len(code) == 13 and code.count("-") == 2
    assert tracking.normalise(code.lower().replace("-", " ")) == code
    assert tracking.normalise(code.replace("-", "")) == code
    # a mistyped symbol is caught by the check symbol
    body = code.replace("-", "")
    wrong = ("1" if body[0] != "1" else "2") + body[1:]
    assert tracking.normalise(wrong) is None
    assert tracking.normalise("O0O0O-0O0O0-0") == tracking.normalise("00000-00000-0")
    for bad in ("", "abc", "x" * 50, None, 12345):
        assert tracking.normalise(bad) is None


def test_new_tracking_codes_end_in_a_letter_or_digit_and_old_ones_still_count():
    # a code ending in "=" showed as %3D in the tracking page's address
    codes = [tracking.new_code() for _ in range(3000)]
    assert all(re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]", code) for code in codes)
    assert {code[-1] for code in codes} >= set("0123456789ABC")
    # a body whose check is a symbol, as codes issued before had
    body = next(b for b in ("{:010d}".format(i) for i in range(10000))
                if tracking._check_symbol(b) == "=")
    assert tracking.normalise(body + "=") == body[:5] + "-" + body[5:] + "-="


# --- filing, idempotency, privacy ---------------------------------------------
def test_same_idempotency_key_files_once_and_a_different_body_is_refused(complaints):
    first = filed(complaints, key="key-0001-abcdef")
    again = filed(complaints, key="key-0001-abcdef")
    assert again["tracking_code"] == first["tracking_code"]
    assert complaints.count() == 1
    with pytest.raises(Conflict) as reused:
        filed(complaints, key="key-0001-abcdef", description="อีกเรื่องหนึ่ง")
    assert reused.value.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_contact_details_stay_out_of_public_views_and_events(db, complaints):
    view = filed(complaints)
    doc = db.complaints.find_one({"_id": view["complaint_id"]})
    assert "contact" not in view and "contact" not in doc
    assert "081-234-5678" not in str({k: v for k, v in doc.items() if k != "description"})
    payload = doc["outbox"][0]["payload"]
    assert doc["outbox"][0]["name"] == "complaint_filed"
    events.parse_event("complaint_filed", payload)
    assert "081" not in str(payload) and "สมชาย" not in str(payload)
    # the agency sees the contact unless the complainant is anonymous
    assert complaints.officer_get(OFFICER, view["complaint_id"])["contact"] == {
        "first_name": "สมชาย", "phone": "0812345678"}
    assert "tracking_code" not in complaints.officer_get(OFFICER, view["complaint_id"])
    hidden = filed(complaints, anonymous=True)
    assert complaints.officer_get(OFFICER, hidden["complaint_id"])["contact"] is None
    assert complaints.contact_of(hidden["complaint_id"])["phone"] == "0812345678"  # PMOC gets it
    # Open311's public view: no contact, personal data redacted
    public = open311.request_view(complaints.get(view["complaint_id"]))
    assert "0812345678" not in str(public) and "081-234-5678" not in str(public)
    assert set(public) == set(open311.REQUEST_FIELDS)


def test_officers_act_only_on_their_agency(db, complaints):
    view = filed(complaints)
    with pytest.raises(Forbidden):
        complaints.change_status(OTHER_OFFICER, view["complaint_id"], "accepted")
    with pytest.raises(Forbidden):  # known, but neither officer nor administrator
        complaints.change_status({"sub": "acc-c", "role": "citizen"}, view["complaint_id"],
                                 "accepted")
    with pytest.raises(Unauthorized):  # no identity at all
        complaints.change_status(None, view["complaint_id"], "accepted")
    assert complaints.change_status(ADMIN, view["complaint_id"], "accepted")["status"] == "accepted"
    assert complaints.list_for_officer(OTHER_OFFICER, {})["total"] == 0
    with pytest.raises(NotFound):
        complaints.get_by_tracking_code("AAAAA-AAAAA-A")
    doc = db.complaints.find_one({"_id": view["complaint_id"]})
    assert [e["name"] for e in doc["outbox"]] == ["complaint_filed", "complaint_status_changed"]
    assert doc["outbox"][1]["payload"]["previous_status"] == "received"


# --- relay bookkeeping -------------------------------------------------------
def test_backoff_doubles_with_jitter_up_to_the_cap():
    assert relay.backoff(1, 2, 600, rng=lambda: 1.0) == 2
    assert relay.backoff(1, 2, 600, rng=lambda: 0.0) == 1
    assert relay.backoff(4, 2, 600, rng=lambda: 1.0) == 16
    assert relay.backoff(30, 2, 600, rng=lambda: 1.0) == 600
    rng = random.Random(1).random
    assert all(300 <= relay.backoff(20, 2, 600, rng) <= 600 for _ in range(100))


class FakeClient:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def submit(self, form, key):
        self.calls.append((form, key))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_relay_retries_then_dead_letters_and_an_operator_requeues(complaints):
    clock = Clock()
    view = filed(complaints, now=clock())
    settings = relay.RelaySettings(url="http://pmoc.invalid", max_attempts=3, backoff_base=1,
                                   backoff_max=10, timeout=1)
    client = FakeClient([relay.RelayError("PMOC answered 500")] * 3 + ["PMOC-1"])
    for attempt in range(3):
        claimed = complaints.claim_due(clock(), settings.lease_seconds, 10)
        assert len(claimed) == 1
        assert complaints.claim_due(clock(), settings.lease_seconds, 10) == []  # leased
        outcome, _ = relay.relay_one(complaints, client, claimed[0], settings, now_fn=clock)
        clock.advance(seconds=30)
    assert outcome == "dead_letter"
    dead = complaints.dead_letters()
    assert dead["total"] == 1 and "after 3 attempts" in dead["results"][0]["reason"]
    assert complaints.claim_due(clock(), 3, 10) == []
    assert complaints.retry_dead_letters([view["complaint_id"]], now=clock()) == {"requeued": 1}
    claimed = complaints.claim_due(clock(), 3, 10)
    assert relay.relay_one(complaints, client, claimed[0], settings, now_fn=clock)[0] == "relayed"
    doc = complaints.get(view["complaint_id"])
    assert doc["status"] == "relayed" and doc["relay"]["reference"] == "PMOC-1"
    form, key = client.calls[-1]
    assert key == "cfz-" + view["complaint_id"]
    assert form["service_code"] == "COPY-DEMANDED" and form["phone"] == "0812345678"
    assert form["lat"] == "18.79" and form["long"] == "98.98"


def test_a_refusal_dead_letters_at_once_and_a_crashed_claim_comes_due_again(complaints):
    clock = Clock()
    filed(complaints, now=clock())
    settings = relay.RelaySettings(url="http://x", max_attempts=5, timeout=1)
    claimed = complaints.claim_due(clock(), settings.lease_seconds, 10)
    # the process dies here; after the lease the complaint is due again
    clock.advance(seconds=settings.lease_seconds + 1)
    again = complaints.claim_due(clock(), settings.lease_seconds, 10)
    assert [d["_id"] for d in again] == [claimed[0]["_id"]]
    # the stale attempt's failure is ignored: it no longer holds the claim
    complaints.record_failure(claimed[0], "late", None, clock())
    assert complaints.get(claimed[0]["_id"])["relay"]["state"] == "pending"
    client = FakeClient([relay.RelayError("PMOC refused with 400: bad", retryable=False)])
    assert relay.relay_one(complaints, client, again[0], settings, now_fn=clock)[0] == "dead_letter"


def test_pmoc_closing_a_complaint_resolves_it_once(db, complaints):
    view = filed(complaints)
    relayed = complaints.record_relayed(view["complaint_id"], "PMOC-9", 1)
    complaints.apply_pmoc_status(view["complaint_id"], "open", None)
    synced = complaints.get(view["complaint_id"])
    assert synced["status"] == "relayed" and synced["relay"]["pmoc_status"] == "open"
    # no event told consumers of this change, so their copies stay current
    assert synced["entity_version"] == relayed["entity_version"]
    complaints.apply_pmoc_status(view["complaint_id"], "closed", "หน่วยงานแก้ไขแล้ว")
    complaints.apply_pmoc_status(view["complaint_id"], "closed", "หน่วยงานแก้ไขแล้ว")
    doc = db.complaints.find_one({"_id": view["complaint_id"]})
    assert doc["status"] == "resolved" and doc["history"][-1]["by"] == "pmoc"
    assert [e["name"] for e in doc["outbox"]] == [
        "complaint_filed", "complaint_relayed", "complaint_status_changed"]


# --- Open311 validation ------------------------------------------------------
def test_open311_post_form_rules():
    def refused(form, field):
        with pytest.raises(ValidationFailed) as exc:
            open311.complaint_from_form(form)
        assert field in exc.value.details["fields"], exc.value.details
        body = open311_error_body(exc.value)
        assert body[0]["code"] == 400 and body[0]["description"]

    refused({"lat": "13.7", "long": "100.5"}, "service_code")
    refused({"service_code": "NOPE", "lat": "13.7", "long": "100.5"}, "service_code")
    refused({"service_code": "OTHER"}, "location")
    refused({"service_code": "OTHER", "lat": "13.7"}, "location")
    refused({"service_code": "OTHER", "lat": "north", "long": "100.5"}, "lat")
    data = open311.complaint_from_form({"service_code": "OTHER", "address_string": "ถนนสุขุมวิท",
                                        "email": "a@example.com", "media_url": "https://x.example/a.jpg"})
    assert data["address"] == "ถนนสุขุมวิท" and data["contact"] == {"email": "a@example.com"}
    assert load(ComplaintCreate, data)["media_urls"] == ["https://x.example/a.jpg"]


def test_open311_query_filters_dates_and_window():
    now = T0
    parsed = open311.parse_query({}, now)
    assert parsed["end"] == now and parsed["start"] == now - timedelta(days=90)
    parsed = open311.parse_query({"start_date": "2026-01-01T00:00:00+07:00",
                                  "end_date": "2026-02-01T00:00:00Z", "status": "open",
                                  "service_code": "OTHER"}, now)
    assert parsed["start"] == datetime(2025, 12, 31, 17, tzinfo=timezone.utc)
    assert parsed["statuses"] == ["open"]
    assert open311.parse_query({"service_request_id": "a,b", "status": "zzz"}, now) == {"ids": ["a", "b"]}
    for query, field in [({"start_date": "yesterday"}, "start_date"),
                         ({"end_date": "2026-13-01"}, "end_date"),
                         ({"start_date": "2026-01-01", "end_date": "2026-05-01"}, "end_date"),
                         ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "end_date"),
                         ({"status": "pending"}, "status"),
                         ({"service_code": "NOPE"}, "service_code"),
                         ({"bogus": "1"}, "bogus")]:
        with pytest.raises(ValidationFailed) as exc:
            open311.parse_query(query, now)
        assert field in exc.value.details["fields"]


def test_open311_requests_are_found_by_id_window_code_and_status(complaints):
    first = filed(complaints, now=T0)
    second = filed(complaints, now=T0 + timedelta(days=1), category="OTHER")
    complaints.change_status(ADMIN, second["complaint_id"], "resolved", now=T0 + timedelta(days=2))
    now = T0 + timedelta(days=3)

    def found(query):
        parsed = open311.parse_query(query, now)
        return [r["service_request_id"] for r in open311.find_requests(complaints, parsed)]
    assert found({}) == [second["complaint_id"], first["complaint_id"]]  # newest first
    assert found({"service_request_id": first["complaint_id"]}) == [first["complaint_id"]]
    assert found({"service_code": "OTHER"}) == [second["complaint_id"]]
    assert found({"status": "open"}) == [first["complaint_id"]]
    assert found({"end_date": (T0 + timedelta(hours=1)).isoformat()}) == [first["complaint_id"]]
    assert complaints.complaint(first["complaint_id"])["tracking_code"] == first["tracking_code"]
    assert complaints.complaint("cmp-none") is None


def test_open311_services_and_redaction():
    listed = open311.services()
    assert {s["service_code"] for s in listed} == set(categories.codes())
    assert all(set(s) == set(open311.SERVICE_FIELDS) for s in listed)
    assert all(s["type"] in ("realtime", "batch", "blackbox") for s in listed)
    with pytest.raises(NotFound):
        open311.service_definition("NOPE")
    text = "โทร 081-234-5678 หรือ 02 123 4567 อีเมล a.b@example.go.th บัตร 1-1037-00123-45-8 สายด่วน 1111"  # a checksum-valid ID
    redacted = open311.redact(text)
    assert "081" not in redacted and "a.b@" not in redacted and "00123" not in redacted
    assert "4567" not in redacted and "1111" in redacted

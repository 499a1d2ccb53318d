import time

import pytest

from services.common import auth, config, text
from services.common.errors import Unauthorized


def test_production_refuses_default_secrets():
    with pytest.raises(config.ConfigError):
        config.from_env({"CFZ_ENV": "production", "CFZ_ADMIN_PASSWORD": "x" * 20})
    with pytest.raises(config.ConfigError):
        config.from_env({"CFZ_ENV": "production", "CFZ_JWT_SECRET": "s" * 40})
    ok = config.from_env({"CFZ_ENV": "production", "CFZ_JWT_SECRET": "s" * 40,
                          "CFZ_ADMIN_PASSWORD": "p" * 20, "MONGO_URI": "mongodb://db:27017/"})
    assert ok["CFZ_JWT_SECRET"] == "s" * 40


def test_malformed_rate_limit_is_refused_at_start():
    with pytest.raises(config.ConfigError):
        config.from_env({"CFZ_FEEDBACK_RATE_LIMIT": "lots"})
    assert config.from_env({"CFZ_FEEDBACK_RATE_LIMIT": "30/hour"})["CFZ_FEEDBACK_RATE_LIMIT"] == "30/hour"


def test_defaults_give_embedded_storage_and_local_gateway():
    conf = config.nameko_config({})
    assert conf["MONGO_URI"] == "mongomock://"
    assert conf["WEB_SERVER_ADDRESS"] == "127.0.0.1:8000"
    assert config.nameko_config({"GATEWAY_PORT": "9001"})["WEB_SERVER_ADDRESS"].endswith(":9001")


SECRET = "unit-test-secret-0123456789abcdefgh"


def test_token_round_trip_and_expiry():
    claims = {"sub": "acc-1", "role": "officer", "agency_id": "ag-1"}
    token = auth.issue_token(SECRET, 60, claims)
    assert auth.verify_token(SECRET, token)["agency_id"] == "ag-1"
    old = auth.issue_token(SECRET, 60, claims, now=time.time() - 120)
    with pytest.raises(Unauthorized) as expired:
        auth.verify_token(SECRET, old)
    assert expired.value.error_code == "TOKEN_EXPIRED"
    with pytest.raises(Unauthorized):
        auth.verify_token("another-secret-0123456789abcdefghij", token)
    with pytest.raises(Unauthorized):
        auth.verify_token(SECRET, token[:-2] + "xx")


def test_passwords_are_argon2id_and_verify():
    passwords = auth.Passwords(time_cost=1, memory_kib=1024)
    hashed = passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "wrong")
    assert not passwords.verify(None, "anything")
    assert not passwords.verify("not-a-hash", "anything")


def test_thai_text_is_nfc_and_trimmed():
    decomposed = "ก\u0e4d\u0e32"  # กำ typed as NIKHAHIT + SARA AA
    assert text.clean_text("  " + decomposed + "  ") == "กำ"
    assert text.search_key("Hello  WORLD") == "hello world"
    assert text.has_control_chars("a\x07b") and text.has_control_chars("a\nb")
    assert not text.has_control_chars("a\nb", multiline=True)


def test_openapi_documents_every_gateway_route():
    import inspect
    from nameko.web.handlers import HttpRequestHandler
    from services.gateway import openapi
    from services.gateway.service import GatewayService
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    documented = {(m, p) for p, ops in openapi.document(GatewayService)["paths"].items()
                  for m in ops}
    routes = set()
    for _, method in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler) and entrypoint.url.startswith(("/api/v1", "/healthz", "/readyz", "/open-data/")):
                path = (entrypoint.url.replace("<string:", "{").replace("<path:", "{")
                        .replace(">", "}"))
                for verb in entrypoint.method.split(","):
                    routes.add((verb.lower(), path))
    assert routes == documented


def test_ttl_cache_serves_until_expiry_and_does_not_cache_errors():
    from services.common.ttlcache import TtlCache
    clock = [0.0]
    cache = TtlCache(10, max_entries=2, clock=lambda: clock[0])
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value
        return loader
    assert cache.get("a", load(1)) == 1 and cache.get("a", load(2)) == 1
    clock[0] = 11
    assert cache.get("a", load(3)) == 3

    def failing():
        raise KeyError("registry down")
    with pytest.raises(KeyError):
        cache.get("b", failing)
    assert cache.get("b", load(4)) == 4
    cache.get("c", load(5))  # over the size: old entries make room
    assert len(cache.entries) <= 2 and loads == [1, 3, 4, 5]


def test_resync_schedule_runs_at_start_retries_soon_and_then_waits_the_interval():
    from services.common.resync import ResyncSchedule
    now = [100.0]
    schedule = ResyncSchedule(retry_seconds=5.0, clock=lambda: now[0])
    assert schedule.due()                      # at start
    schedule.failed()
    now[0] += 4.9
    assert not schedule.due()
    now[0] += 0.2
    assert schedule.due()                      # retried soon after a failure
    schedule.succeeded(900)
    now[0] += 899
    assert not schedule.due() and abs(schedule.last_success - 105.1) < 1e-9
    now[0] += 1
    assert schedule.due()


def test_pages_follow_the_ids_until_a_short_page():
    from services.common.rpc import pages
    ids = ["sp-{:02d}".format(i) for i in range(7)]
    asked = []

    def call(after, limit):
        asked.append(after)
        rest = [i for i in ids if after is None or i > after]
        return [{"id": i} for i in rest[:limit]]
    pages = [[p["id"] for p in page] for page in pages(call, 3)]
    assert pages == [ids[:3], ids[3:6], ids[6:]] and asked == [None, "sp-02", "sp-05"]


def test_text_fields_refuse_what_cannot_be_stored_or_reorders_what_is_read():
    from marshmallow import Schema, ValidationError
    from services.common.fields import Text, unencodable_fields
    from services.common.i18n import thai_fields

    class Form(Schema):
        name = Text()
        comment = Text(multiline=True)

    for bad, message in [({"name": "สมชาย\ud800"}, "Must be valid Unicode text"),
                         ({"comment": "ok \udfff"}, "Must be valid Unicode text"),
                         ({"name": "ร้าน\u202eabc"}, "bidirectional"),
                         ({"comment": "\u20668765432180\u2069"}, "bidirectional")]:
        with pytest.raises(ValidationError) as caught:
            Form().load(bad)
        [field] = bad
        assert message in caught.value.messages[field][0]
        thai = thai_fields(caught.value.messages)[field][0]
        assert "อักขระ" in thai
    # zero-width characters leave a name (the writer cannot see them) and stay in a comment
    loaded = Form().load({"name": "สำนักงาน\u200bเขต\ufeff", "comment": "👨\u200d👩\u200d👧 ดีมาก"})
    assert loaded == {"name": "สำนักงานเขต", "comment": "👨\u200d👩\u200d👧 ดีมาก"}
    assert unencodable_fields({"a": ["ok", "\ud800"], "b": {"\udc00": 1}, "c": 3}) == {
        "a": {1: ["Must be valid Unicode text (a lone surrogate such as \\ud800 cannot be stored)."]},
        "b": {"\\udc00": ["Must be valid Unicode text (a lone surrogate such as \\ud800 cannot be stored)."]}}

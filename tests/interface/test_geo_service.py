"""geo in nameko containers with the registry, against the real RabbitMQ."""
import time

import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_hook

from services.common.storage import database_name, get_client
from services.geo.service import GeoService
from services.registry.service import RegistryService
from tests.conftest import ADMIN
from tests.helpers import POINT, agency, wait_for

CHIANG_MAI = {"lat": 18.7953, "lon": 98.9862}
PHUKET = {"lat": 7.8804, "lon": 98.3923}


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def officer_token(registry, suffix):
    registration = call(registry, "register_agency", agency(suffix))
    admin = call(registry, "authenticate", ADMIN["username"], ADMIN["password"])["access_token"]
    call(registry, "approve_agency", admin, registration["agency"]["id"])
    return call(registry, "authenticate", "officer-" + suffix, "correct horse " + suffix)["access_token"]


def nearby_ids(geo, where, k=5, **filters):
    query = dict(lat=where["lat"], lon=where["lon"], k=k, **filters)
    return [r["service_point"]["id"] for r in call(geo, "nearby", query)["results"]]


@pytest.fixture
def registry(container_factory, config):
    container = container_factory(RegistryService, config)
    container.start()
    return container


def start_geo(container_factory, config):
    container = container_factory(GeoService, config)
    container.start()
    return container


def test_point_registered_moved_and_closed_shows_up_moves_and_disappears(
        registry, container_factory, config):
    geo = start_geo(container_factory, config)
    token = officer_token(registry, "geo1")
    point = call(registry, "create_service_point", token, POINT)

    started = time.monotonic()
    assert wait_for(lambda: nearby_ids(geo, CHIANG_MAI) == [point["id"]])
    registered_after = time.monotonic() - started
    result = call(geo, "nearby", dict(CHIANG_MAI, k=1))["results"][0]
    assert result["distance_km"] < 0.01
    assert result["service_point"]["name_th"] == POINT["name_th"]
    assert "google.com/maps/dir" in result["directions_url"]

    call(registry, "update_service_point", token, point["id"], {"location": PHUKET, "province_code": "83"})

    def distance_from_phuket():
        return call(geo, "nearby", dict(PHUKET, k=1))["results"][0]["distance_km"]
    assert wait_for(lambda: distance_from_phuket() < 0.01)
    assert nearby_ids(geo, PHUKET, k=5, radius_km=50) == [point["id"]]
    assert nearby_ids(geo, CHIANG_MAI, k=5, radius_km=50) == []

    call(registry, "set_services", token, point["id"], {"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]})
    assert wait_for(lambda: nearby_ids(geo, PHUKET, service_code="DOPA-ID-NEW", zero_copy=True)
                    == [point["id"]])
    assert nearby_ids(geo, PHUKET, service_code="DOL-LAND-TRANSFER") == []

    call(registry, "close_service_point", token, point["id"])
    assert wait_for(lambda: nearby_ids(geo, PHUKET) == [])
    assert registered_after < 5


def test_resync_heals_points_missed_while_geo_was_absent(registry, container_factory, config):
    token = officer_token(registry, "geo2")
    # geo has never run: nobody queued these events for it
    first = call(registry, "create_service_point", token, POINT)
    geo = start_geo(container_factory, config)
    assert wait_for(lambda: nearby_ids(geo, CHIANG_MAI) == [first["id"]])

    # geo goes down; its queues are lost too (a broker rebuilt from scratch)
    geo.kill()
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        for method in ("on_office_registered", "on_office_updated", "on_office_closed",
                       "on_services_changed"):
            event = method[3:]
            channel.queue_delete("evt-registry-{}--geo.{}".format(event, method))
    second = call(registry, "create_service_point", token, dict(POINT, location=PHUKET, province_code="83"))
    call(registry, "close_service_point", token, first["id"])

    geo = start_geo(container_factory, config)
    assert wait_for(lambda: nearby_ids(geo, PHUKET, k=10) == [second["id"]])

    # an emptied database heals too, on an operator's request
    client = get_client(config["MONGO_URI"])
    client.drop_database(database_name(config, "geo"))
    geo.kill()
    geo = start_geo(container_factory, config)
    summary = call(geo, "resync")
    assert summary["open_points"] == 1 and summary["indexed"] == 1
    assert nearby_ids(geo, PHUKET, k=10) == [second["id"]]


def test_replicas_agree_whichever_consumed_the_event(registry, container_factory, config):
    replicas = [start_geo(container_factory, config) for _ in range(2)]
    token = officer_token(registry, "geo3")
    created = [call(registry, "create_service_point", token,
                    dict(POINT, location={"lat": 18.79 + i * 0.01, "lon": 98.98}))["id"]
               for i in range(6)]
    for replica in replicas:
        assert wait_for(lambda: sorted(nearby_ids(replica, CHIANG_MAI, k=10)) == sorted(created))

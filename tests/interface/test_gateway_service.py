"""The gateway alone in a container: bounded waits when services are down or slow."""
import time

import eventlet
import pytest
import requests
from nameko.rpc import rpc

from services.gateway.service import GatewayService


class SlowRegistry:
    """Stands in for a registry that hangs (overloaded or stuck)."""
    name = "registry"

    @rpc
    def register_agency(self, data, client=None):
        eventlet.sleep(30)

    @rpc
    def health(self):
        eventlet.sleep(30)


@pytest.fixture
def gateway(container_factory, config):
    container = container_factory(GatewayService, dict(config, CFZ_RPC_TIMEOUT="1"))
    container.start()
    return "http://{}".format(config["WEB_SERVER_ADDRESS"])


REGISTRATION = {"name_th": "สำนักงาน", "name_en": "Office", "ministry": "m",
                "contact_email": "a@b.go.th", "username": "someone", "password": "long enough pw"}


def test_service_not_running_gives_503_at_once(gateway):
    started = time.monotonic()
    response = requests.post(gateway + "/api/v1/agencies", json=REGISTRATION, timeout=10)
    assert response.status_code == 503
    assert response.json()["error"] == "SERVICE_UNAVAILABLE"
    assert time.monotonic() - started < 5
    ready = requests.get(gateway + "/readyz", timeout=10)
    assert ready.status_code == 503
    services = ready.json()["details"]["services"]
    assert "registry" in services and set(services.values()) == {"not running"}
    assert requests.get(gateway + "/healthz", timeout=10).status_code == 200


def test_hanging_service_gives_503_after_the_timeout(gateway, container_factory, config):
    container_factory(SlowRegistry, config).start()
    started = time.monotonic()
    response = requests.post(gateway + "/api/v1/agencies", json=REGISTRATION, timeout=10)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["details"] == {"service": "registry", "timeout_seconds": 1.0}
    assert 0.9 < elapsed < 5
    # bad input is refused at the edge without waiting for the service
    started = time.monotonic()
    assert requests.post(gateway + "/api/v1/agencies", json={}, timeout=10).status_code == 400
    assert time.monotonic() - started < 0.9

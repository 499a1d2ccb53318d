"""The whole stack (every service + gateway) in one runner, over HTTP."""
import pytest
import requests

from services.complaints.service import ComplaintsService
from services.feedback.service import FeedbackService
from services.gateway.service import GatewayService
from services.geo.service import GeoService
from services.registry.service import RegistryService
from services.reporting.service import ReportingService
from tests.conftest import ADMIN
from tests.helpers import make_recorder


class Api:
    """A tiny HTTP client for the gateway, as a frontend would use it."""

    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def request(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return self.session.request(method, self.base + path, headers=headers,
                                    timeout=30, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def token(self, username, password):
        response = self.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def admin_token(self):
        return self.token(ADMIN["username"], ADMIN["password"])

    def approved_agency(self, data):
        """Register and approve an agency; its officer's token and the agency."""
        registered = self.post("/api/v1/agencies", json=data)
        assert registered.status_code == 201, registered.text
        agency = registered.json()["agency"]
        approved = self.post("/api/v1/admin/agencies/{}/approve".format(agency["id"]),
                             token=self.admin_token())
        assert approved.status_code == 200, approved.text
        return self.token(data["username"], data["password"]), agency


@pytest.fixture
def received():
    return []


@pytest.fixture
def stack(runner_factory, config, received):
    runner = runner_factory(config, RegistryService, GeoService, FeedbackService, ComplaintsService,
                            ReportingService, GatewayService,
                            make_recorder(received))
    runner.start()
    return runner


@pytest.fixture
def api(stack, config):
    return Api("http://{}".format(config["WEB_SERVER_ADDRESS"]))

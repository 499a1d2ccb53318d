"""The demo a newcomer sees: the whole stack, the PMOC stand-in, the demo
loaded as `cfz run` loads it (smaller), and what the API then answers."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.cli import SERVICES, _load_activity
from services.complaints import lifecycle
from services.complaints.pmoc_sim import PmocSimulator
from services.complaints.service import ComplaintsService
from services.feedback.service import FeedbackService
from services.gateway.service import GatewayService
from services.geo.service import GeoService
from services.registry.service import RegistryService
from services.reporting.service import ReportingService
from tests.e2e.conftest import Api
from tests.helpers import wait_for


@pytest.fixture
def pmoc():
    sim = PmocSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def demo_api(runner_factory, config, pmoc):
    demo_config = dict(config, PMOC_URL=pmoc.url, CFZ_DEMO_DATA="1")
    runner = runner_factory(demo_config, RegistryService, GeoService, FeedbackService,
                            ComplaintsService, ReportingService, GatewayService)
    runner.start()
    with ClusterRpcProxy(demo_config, timeout=300) as cluster:
        cluster.registry.load_demo()
        loaded = _load_activity(cluster, SERVICES, scale=0.3)
    return Api("http://{}".format(config["WEB_SERVER_ADDRESS"])), loaded, pmoc


def test_the_demo_shows_rankings_alerts_complaints_and_zero_copy_breaches(demo_api):
    api, loaded, pmoc = demo_api
    assert loaded["feedback"]["loaded"] and loaded["complaints"]["loaded"]
    assert loaded["alerts"] >= 3   # counted before the check: the drops were seen
    rankings = api.get("/api/v1/reports/rankings", params={"level": "agency"}).json()
    assert rankings["results"] and all(row["score"] is not None for row in rankings["results"])
    point_alerts = api.get("/api/v1/reports/alerts", params={"scope": "point"}).json()["results"]
    assert len(point_alerts) >= 3 and all(a["change"] <= -0.05 for a in point_alerts)
    # the alerting point's own page shows the drop in its trend
    report = api.get("/api/v1/reports/service-points/" + point_alerts[0]["entity_id"]).json()
    assert report["enough_data"] and report["trend"]["periods"][-1]["csat"] < report["csat"]

    admin = api.admin_token()
    for status in lifecycle.STATUSES:
        found = api.get("/api/v1/officer/complaints", token=admin, params={"status": status}).json()
        assert found["total"] > 0, status
    overdue = api.get("/api/v1/officer/complaints", token=admin, params={"overdue": "true"}).json()
    assert overdue["total"] > 0
    assert api.get("/api/v1/reports/complaints/overdue", token=admin).json()["count"] > 0
    relayed = api.get("/api/v1/admin/complaints/relay", token=admin).json()
    assert relayed["relayed"] > 0 and relayed["dead_letter"] == 2
    assert pmoc.state.stats["stored"] == relayed["relayed"]

    zero_copy = api.get("/api/v1/reports/zero-copy", params={"from": _months_ago(7)}).json()
    assert sum(g["citizen_breaches"] for g in zero_copy["groups"]) > 0 and zero_copy["disagreements"]

    # the recount is for a quiet system: point events of the demo may still be
    # on their way to reporting on a busy machine, so allow them a few seconds
    recounts = []

    def recount_agrees():
        recounts.append(api.post("/api/v1/admin/reports/recount", token=admin).json())
        return recounts[-1]["ok"]
    assert wait_for(recount_agrees, timeout=30, interval=2), recounts[-1]
    recount = recounts[-1]
    assert recount["feedback"]["records"] == loaded["feedback"]["ratings"]


def _months_ago(months):
    from datetime import datetime, timedelta
    from services.common.thai import BANGKOK
    return (datetime.now(BANGKOK).date() - timedelta(days=30 * months)).isoformat()

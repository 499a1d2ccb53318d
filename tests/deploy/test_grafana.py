"""deploy/grafana: Grafana cannot be installed here, so the dashboards are
checked for what would break them when provisioned: one datasource uid,
unique dashboard uids and panel ids, panels that fit the grid, titles in
Thai and English. Their PromQL is parsed in test_prometheus.py."""
import glob
import json
import os
import re

import yaml

from tests.deploy.conftest import DEPLOY

GRAFANA = os.path.join(DEPLOY, "grafana")
THAI = re.compile(r"[\u0e00-\u0e7f]")


def dashboards():
    for path in sorted(glob.glob(os.path.join(GRAFANA, "dashboards", "*.json"))):
        with open(path, encoding="utf-8") as handle:
            yield os.path.basename(path), json.load(handle)


def test_one_dashboard_per_concern():
    names = {name for name, _ in dashboards()}
    assert names == {"http-api.json", "services-rpc.json", "event-pipeline.json",
                     "pmoc-relay.json", "citizen-satisfaction.json"}


def test_panels_use_the_provisioned_datasource():
    with open(os.path.join(GRAFANA, "provisioning", "datasources", "prometheus.yml")) as handle:
        (datasource,) = yaml.safe_load(handle)["datasources"]
    uids = set()
    for name, dashboard in dashboards():
        assert dashboard["uid"] not in uids, name
        uids.add(dashboard["uid"])
        assert THAI.search(dashboard["title"]) and re.search("[A-Za-z]", dashboard["title"]), name
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == datasource["uid"], (name, panel["title"])
            assert THAI.search(panel["title"]) and panel.get("description"), (name, panel["title"])
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, (name, panel["title"])
            for target in panel["targets"]:
                assert target["expr"] and target["refId"], (name, panel["title"])
                assert target["datasource"]["uid"] == datasource["uid"]

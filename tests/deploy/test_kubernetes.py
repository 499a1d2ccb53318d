"""deploy/k8s: the base and the example overlay rendered without kubectl
(tests/deploy/kustomize.py), every object validated against the Kubernetes
schemas (kubernetes-validate, offline), and the operational rules checked:
one Deployment per service running `cfz run <service>`, probes through
`cfz healthcheck`, resources, autoscaling, disruption budgets, secrets as
files, reporting alone."""
import os
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from services.cli import SERVICES
from services.common import config
from tests.deploy import kustomize
from tests.deploy.conftest import DEPLOY

K8S = os.path.join(DEPLOY, "k8s")
BASE, OVERLAY = os.path.join(K8S, "base"), os.path.join(K8S, "overlays", "example")
# the oldest Kubernetes still commonly run, and the newest the package knows
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def by_kind(objects, kind):
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


@pytest.fixture(scope="module", params=["base", "overlay"])
def rendered(request):
    return kustomize.render(BASE if request.param == "base" else OVERLAY)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid(rendered, version):
    for obj in rendered:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail("{} {}: {}".format(obj["kind"], obj["metadata"]["name"], exc.message))


def test_one_deployment_per_service_running_it(rendered):
    deployments = by_kind(rendered, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        assert container["command"] == ["cfz", "run", name]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            command = container[probe]["exec"]["command"]
            assert command[:3] == ["cfz", "healthcheck", name], (name, probe)
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "9100"
        assert {"name": "metrics", "containerPort": 9100} in container["ports"]
        assert container["securityContext"]["runAsNonRoot"] is True
        assert pod["metadata"]["labels"] == deployment["spec"]["selector"]["matchLabels"]


def test_secrets_reach_pods_as_files_and_exist(rendered):
    (secret,) = by_kind(rendered, "Secret").values()
    for deployment in by_kind(rendered, "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        mount = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}["secrets"]
        for env in container["env"]:
            assert env["name"] not in config.SECRET_SETTINGS, env  # never a plain variable
            if env["name"].endswith("_FILE"):
                key = env["name"][:-len("_FILE")]
                assert key in config.SECRET_SETTINGS, key
                assert env["value"] == "{}/{}".format(mount, key)
                assert key in secret["stringData"], key
        assert "CFZ_JWT_SECRET_FILE" in {e["name"] for e in container["env"]}


def test_configmap_holds_known_settings_and_production(rendered):
    (configmap,) = by_kind(rendered, "ConfigMap").values()
    for key in configmap["data"]:
        assert key in config.DEFAULTS and key not in config.SECRET_SETTINGS, key
    assert configmap["data"]["CFZ_ENV"] == "production"
    assert configmap["data"]["PMOC_URL"] == ""  # never the stand-in unless told


def test_placeholder_secrets_are_refused_in_production(rendered):
    (secret,) = by_kind(rendered, "Secret").values()
    (configmap,) = by_kind(rendered, "ConfigMap").values()
    with pytest.raises(config.ConfigError, match="CFZ_JWT_SECRET is 10 bytes"):
        config.from_env(dict(configmap["data"], **secret["stringData"]))


def test_autoscaling_and_disruption_budgets(rendered):
    deployments = by_kind(rendered, "Deployment")
    autoscalers = by_kind(rendered, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"gateway", "geo", "feedback"}
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2
    budgets = by_kind(rendered, "PodDisruptionBudget")
    for name, budget in budgets.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert deployments[name]["spec"]["replicas"] > budget["spec"]["minAvailable"] \
            or name in autoscalers


def test_reporting_runs_alone(rendered):
    """Its compaction timer must not run on two replicas at once
    (docs/operations.md, "Timers that run on one replica")."""
    reporting = by_kind(rendered, "Deployment")["reporting"]
    assert reporting["spec"]["replicas"] == 1
    assert reporting["spec"]["strategy"]["type"] == "Recreate"
    assert "reporting" not in by_kind(rendered, "HorizontalPodAutoscaler")
    assert "reporting" not in by_kind(rendered, "PodDisruptionBudget")


def test_gateway_is_reachable(rendered):
    service = by_kind(rendered, "Service")["gateway"]
    gateway = by_kind(rendered, "Deployment")["gateway"]
    (container,) = gateway["spec"]["template"]["spec"]["containers"]
    assert service["spec"]["selector"].items() <= \
        gateway["spec"]["template"]["metadata"]["labels"].items()
    assert {"name": "http", "containerPort": 8000} in container["ports"]
    ingress = by_kind(rendered, "Ingress")["gateway"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"name": "http"}}


def test_overlay_changes_what_it_says():
    objects = kustomize.render(OVERLAY)
    for deployment in by_kind(objects, "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "registry.example.go.th/cfz/cfz:0.1.0"
        assert deployment["metadata"]["namespace"] == "cfz"
    assert by_kind(objects, "HorizontalPodAutoscaler")["gateway"]["spec"]["minReplicas"] == 3
    (configmap,) = by_kind(objects, "ConfigMap").values()
    assert configmap["data"]["CFZ_PUBLIC_URL"] == "https://cfz.dopa.example.go.th"
    assert configmap["data"]["CFZ_ENV"] == "production"  # merged, not replaced


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("folder", [BASE, OVERLAY])
def test_the_renderer_agrees_with_kubectl_kustomize(folder):
    done = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    key = lambda obj: (obj["kind"], obj["metadata"]["name"])
    theirs = sorted((d for d in yaml.safe_load_all(done.stdout) if d), key=key)
    ours = sorted(kustomize.render(folder), key=key)
    assert [key(o) for o in ours] == [key(o) for o in theirs]
    for mine, real in zip(ours, theirs):
        assert mine == real, key(mine)

"""docker-compose.yml, .env.example, the Dockerfile and .dockerignore,
checked without a Docker engine: `docker compose config` where a Compose
binary exists, and always the Compose Specification's JSON schema (vendored:
compose_spec.json) plus what the schema cannot know: every setting a cfz
container needs is set and passes CFZ_ENV=production, every variable is in
.env.example, every mount exists, every cfz container has its healthcheck,
the PMOC stand-in is opt-in, only nginx is published."""
import json
import os
import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml

from services.cli import SERVICES
from services.common import config
from tests.deploy.conftest import DEPLOY, ROOT

COMPOSE = os.path.join(ROOT, "docker-compose.yml")
# what an operator puts in .env (tests/deploy only; never deployed)
TEST_ENV = {"RABBITMQ_USER": "cfz", "RABBITMQ_PASSWORD": "rabbit-password-for-checks",
            "CFZ_JWT_SECRET": "0123456789abcdef" * 3, "CFZ_ADMIN_PASSWORD": "admin-password-checks",
            "CFZ_OPEN311_API_KEYS": "partner-key-0123456789,partner-key-9876543210",
            "GRAFANA_ADMIN_PASSWORD": "grafana-password-checks"}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")


class Unset(ValueError):
    pass


def interpolate(value, env):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (the forms used)."""
    def substitute(match):
        name, operator, argument = match.groups()
        current = env.get(name, "")
        if operator in (":?", "?") and not current:
            raise Unset("{}: {}".format(name, argument))
        if operator in (":-", "-") and not current:
            return argument
        return current
    if isinstance(value, str):
        return VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def dotenv(path):
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def raw():
    with open(COMPOSE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)  # resolves the <<: merges


@pytest.fixture(scope="module")
def compose(raw):
    return interpolate(raw, dict(dotenv(os.path.join(ROOT, ".env.example")), **TEST_ENV))


def cfz_services(compose):
    return {name: svc for name, svc in compose["services"].items()
            if svc.get("image") == "cfz:latest"}


def compose_binary():
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_valid_against_the_compose_specification(raw):
    with open(os.path.join(os.path.dirname(__file__), "compose_spec.json"), encoding="utf-8") as f:
        schema = json.load(f)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(raw), key=str)
    assert not errors, ["{} at {}".format(e.message, list(e.path)) for e in errors]


@pytest.mark.skipif(compose_binary() is None, reason="no docker compose here (schema checked instead)")
def test_docker_compose_accepts_it(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("".join("{}={}\n".format(k, v) for k, v in TEST_ENV.items()))
    done = subprocess.run(compose_binary() + ["--env-file", str(env_file), "-f", COMPOSE,
                                              "config", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_env_example_names_every_variable_and_leaves_secrets_to_fill(raw):
    with open(COMPOSE, encoding="utf-8") as handle:
        used = {m.group(1) for m in VARIABLE.finditer(handle.read())}
    example = dotenv(os.path.join(ROOT, ".env.example"))
    assert used <= set(example), used - set(example)
    for secret in ("RABBITMQ_PASSWORD", "CFZ_JWT_SECRET", "CFZ_ADMIN_PASSWORD",
                   "CFZ_OPEN311_API_KEYS", "GRAFANA_ADMIN_PASSWORD"):
        assert example[secret] == "", secret
    # copied as it is, .env.example starts nothing
    with pytest.raises(Unset):
        interpolate(raw, example)


def test_every_cfz_container_gets_a_safe_production_configuration(compose):
    containers = cfz_services(compose)
    assert set(SERVICES) <= set(containers)
    for name in SERVICES:
        environment = containers[name]["environment"]
        for key in environment:
            assert key in config.DEFAULTS, (name, key)
        settings = config.from_env({k: str(v) for k, v in environment.items()})  # no ConfigError
        assert settings["CFZ_ENV"] == "production"
        assert settings["MONGO_URI"].startswith("mongodb://") and "replicaSet=rs0" in settings["MONGO_URI"]
        assert "guest" not in settings["AMQP_URI"]
        assert containers[name]["command"] == ["cfz", "run", name]


def test_every_cfz_container_has_its_healthcheck(compose):
    for name, service in cfz_services(compose).items():
        test = service["healthcheck"]["test"]
        if name in SERVICES:
            assert test[:4] == ["CMD", "cfz", "healthcheck", name], name
        else:
            assert test[0] == "CMD", name
    for name, service in compose["services"].items():
        assert "healthcheck" in service or name == "mongodb-exporter", name  # distroless exporter


def test_every_mount_exists(compose):
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert os.path.exists(os.path.join(ROOT, source)), (name, source)
            else:
                assert source in declared, (name, source)
    grafana = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]}
    with open(os.path.join(DEPLOY, "grafana", "provisioning", "dashboards", "cfz.yml")) as handle:
        provider = yaml.safe_load(handle)["providers"][0]
    assert grafana[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert grafana["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"


def test_pmoc_stand_in_is_opt_in(compose):
    assert compose["services"]["pmoc-sim"]["profiles"] == ["pmoc-sim"]
    assert compose["services"]["complaints"]["environment"]["PMOC_URL"] == ""
    for name, service in cfz_services(compose).items():
        assert "pmoc-sim" not in (service.get("depends_on") or {}), name


def test_open311_keys_are_required(raw):
    with pytest.raises(Unset, match="CFZ_OPEN311_API_KEYS"):
        interpolate(raw, {k: v for k, v in TEST_ENV.items() if k != "CFZ_OPEN311_API_KEYS"})


def test_only_the_proxy_faces_the_network(compose):
    published = {name: service["ports"] for name, service in compose["services"].items()
                 if service.get("ports")}
    for name, ports in published.items():
        for port in ports:
            if name != "proxy":
                assert port.startswith("127.0.0.1:"), (name, port)
    gateway = compose["services"]["gateway"]["environment"]
    proxy_address = compose["services"]["proxy"]["networks"]["cfz"]["ipv4_address"]
    assert gateway["CFZ_TRUSTED_PROXIES"] == proxy_address
    # the proxy is exempt from the per-address limit; every other address keeps it
    assert "CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT" not in gateway
    with open(os.path.join(DEPLOY, "nginx", "nginx.conf"), encoding="utf-8") as handle:
        nginx = handle.read()
    assert "resolver 127.0.0.11" in nginx  # re-resolved: scaled gateways are found
    assert "set $gateway http://gateway:8000;" in nginx and "proxy_pass $gateway;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx


def test_rabbitmq_exports_metrics_with_its_own_credentials(compose):
    rabbitmq = compose["services"]["rabbitmq"]
    assert rabbitmq["environment"]["RABBITMQ_DEFAULT_USER"] == TEST_ENV["RABBITMQ_USER"]
    with open(os.path.join(DEPLOY, "rabbitmq", "enabled_plugins"), encoding="utf-8") as handle:
        assert "rabbitmq_prometheus" in handle.read()
    with open(os.path.join(DEPLOY, "prometheus", "prometheus.yml"), encoding="utf-8") as handle:
        jobs = {j["job_name"]: j for j in yaml.safe_load(handle)["scrape_configs"]}
    assert jobs["rabbitmq"]["dns_sd_configs"][0]["port"] == 15692
    for service in SERVICES:  # every scraped name is a Compose service
        assert jobs["cfz-" + service]["dns_sd_configs"][0]["names"] == [service]
        assert service in compose["services"]


def test_mongodb_is_a_replica_set(compose):
    mongodb = compose["services"]["mongodb"]
    assert "--replSet" in mongodb["command"]
    assert mongodb["healthcheck"]["test"][-1] == "/cfz/init-replica-set.js"
    assert os.path.exists(os.path.join(DEPLOY, "mongodb", "init-replica-set.js"))


def test_dockerfile_has_a_healthcheck_and_the_context_keeps_what_it_copies():
    with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as handle:
        dockerfile = handle.read()
    assert re.search(r"^HEALTHCHECK .*\n?.*cfz\", \"healthcheck\"", dockerfile, re.M)
    with open(os.path.join(ROOT, ".dockerignore"), encoding="utf-8") as handle:
        ignored = {line.strip() for line in handle if line.strip() and not line.startswith("#")}
    assert {".git", ".env", ".venv"} <= ignored
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for path in copied.split():
            assert path not in ignored, path

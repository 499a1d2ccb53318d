"""CFZ_ENV=production refuses to start on anything unsafe, each time with a
message naming the setting; secrets may come from files (NAME_FILE).

Each refusal is checked through `cfz run` in a subprocess, as an operator
meets it (exit 2 before any broker is contacted), and the loader's rules
directly."""
import os
import subprocess

import pytest

from services.common import config
from tests.e2e.test_cfz_run import cfz_command

STRONG_SECRET = "a" * 16 + "b" * 16 + "c" * 8  # 40 bytes
SAFE_PRODUCTION = {
    "CFZ_ENV": "production",
    "CFZ_JWT_SECRET": STRONG_SECRET,
    "CFZ_ADMIN_PASSWORD": "a-strong-admin-password",
    "MONGO_URI": "mongodb://mongodb.invalid:27017/",
    # a broker nobody listens on: a configuration that passes reaches the
    # broker check (exit 3), one that is refused never gets there (exit 2)
    "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/",
}


def _environment(**changes):
    env = {k: v for k, v in os.environ.items() if k not in config.DEFAULTS
           and not k.endswith("_FILE")}
    env.update(SAFE_PRODUCTION)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _cfz_run(env):
    done = subprocess.run(cfz_command() + ["run", "registry", "--no-demo"], env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stderr


UNSAFE = {
    "no JWT secret": (dict(CFZ_JWT_SECRET=None), "CFZ_JWT_SECRET must be set"),
    "the development secret": (dict(CFZ_JWT_SECRET=config.DEV_JWT_SECRET),
                               "CFZ_JWT_SECRET is the development secret"),
    "a short secret": (dict(CFZ_JWT_SECRET="x" * 31), "CFZ_JWT_SECRET is 31 bytes"),
    "no admin password": (dict(CFZ_ADMIN_PASSWORD=None), "CFZ_ADMIN_PASSWORD must be set"),
    "the demo admin password": (dict(CFZ_ADMIN_PASSWORD=config.DEV_ADMIN_PASSWORD),
                                "CFZ_ADMIN_PASSWORD is the development password"),
    "a short admin password": (dict(CFZ_ADMIN_PASSWORD="replace-me"),
                               "CFZ_ADMIN_PASSWORD is 10 characters"),
    "a guessable Open311 key": (dict(CFZ_OPEN311_API_KEYS="a-long-enough-partner-key,replace-me"),
                                "CFZ_OPEN311_API_KEYS holds 1 key(s) shorter than 16"),
    "the embedded store by default": (dict(MONGO_URI=None), "MONGO_URI is the embedded"),
    "the embedded store by name": (dict(MONGO_URI="mongomock://"), "MONGO_URI is the embedded"),
    "an unknown CFZ_ENV": (dict(CFZ_ENV="prod"), "CFZ_ENV must be one of development, production"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_cfz_run_refuses_unsafe_production(case):
    changes, message = UNSAFE[case]
    code, stderr = _cfz_run(_environment(**changes))
    assert code == 2, stderr
    assert message in stderr
    assert "Traceback" not in stderr


def test_cfz_run_accepts_safe_production_and_goes_on_to_the_broker():
    code, stderr = _cfz_run(_environment())
    assert code == 3, stderr  # past the configuration: RabbitMQ is the next thing checked
    assert "cannot reach RabbitMQ" in stderr


def test_a_multibyte_secret_is_measured_in_bytes():
    thai = "ก" * 11  # 11 characters, 33 bytes in UTF-8
    assert config.from_env(dict(SAFE_PRODUCTION, CFZ_JWT_SECRET=thai))["CFZ_JWT_SECRET"] == thai


def test_development_keeps_its_defaults():
    conf = config.from_env({})
    assert conf["CFZ_ENV"] == "development"
    assert conf["CFZ_JWT_SECRET"] == config.DEV_JWT_SECRET
    assert conf["MONGO_URI"] == "mongomock://"


@pytest.mark.parametrize("key", config.SECRET_SETTINGS)
def test_every_secret_setting_reads_a_file(tmp_path, key):
    value = {"AMQP_URI": "pyamqp://cfz:from-a-file@rabbitmq:5672/",
             "MONGO_URI": "mongodb://cfz:from-a-file@mongodb:27017/"}.get(key, "f" * 40)
    secret = tmp_path / "secret"
    secret.write_text(value + "\n", encoding="utf-8")  # as `echo` writes it
    env = {k: v for k, v in SAFE_PRODUCTION.items() if k != key}
    env[key + "_FILE"] = str(secret)
    assert config.from_env(env)[key] == value


def test_secret_file_through_cfz_run(tmp_path):
    secret = tmp_path / "jwt"
    secret.write_text("short\n", encoding="utf-8")
    code, stderr = _cfz_run(_environment(CFZ_JWT_SECRET=None, CFZ_JWT_SECRET_FILE=str(secret)))
    assert code == 2 and "CFZ_JWT_SECRET is 5 bytes" in stderr, stderr


@pytest.mark.parametrize("problem,expected", [
    ("missing", "CFZ_JWT_SECRET_FILE names a file that cannot be read"),
    ("empty", "CFZ_JWT_SECRET_FILE names an empty file"),
    ("both", "CFZ_JWT_SECRET and CFZ_JWT_SECRET_FILE are both set"),
])
def test_secret_file_problems_are_named(tmp_path, problem, expected):
    path = tmp_path / "jwt"
    if problem != "missing":
        path.write_text("", encoding="utf-8")
    env = dict(SAFE_PRODUCTION, CFZ_JWT_SECRET_FILE=str(path))
    if problem != "both":
        env.pop("CFZ_JWT_SECRET")
    with pytest.raises(config.ConfigError) as refused:
        config.from_env(env)
    assert expected in str(refused.value)

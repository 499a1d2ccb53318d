"""Configuration from environment variables, with defaults for a local run.

Every setting a service reads lives here, so the README's configuration table
has one source. Nameko containers receive the result of `nameko_config()`.
"""
import ipaddress
import os
import re

DEFAULTS = {
    "AMQP_URI": "pyamqp://guest:guest@localhost:5672/",
    # Unset or mongomock:// -> the embedded in-memory store (mongomock-ng).
    "MONGO_URI": "mongomock://",
    "CFZ_DB_PREFIX": "cfz_",
    "GATEWAY_HOST": "127.0.0.1",
    "GATEWAY_PORT": "8000",
    "CFZ_METRICS_PORT": "9100",
    "CFZ_METRICS_HOST": "127.0.0.1",
    "CFZ_RPC_TIMEOUT": "10",
    "CFZ_MAX_BODY_BYTES": "65536",
    # the gateway against slow and abusive clients (services/gateway/webserver.py)
    "CFZ_HTTP_HEADER_TIMEOUT": "15",
    "CFZ_HTTP_BODY_TIMEOUT": "30",
    "CFZ_HTTP_SOCKET_TIMEOUT": "30",
    "CFZ_HTTP_MAX_CONNECTIONS": "1000",
    "CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT": "32",
    # `cfz run` exits non-zero once one of its services has been refused by
    # the broker (connected, but its queues cannot be declared) this long
    "CFZ_CONSUMER_REFUSED_SECONDS": "30",
    # the largest RPC reply a service sends; more is refused as ANSWER_TOO_LARGE
    "CFZ_RPC_MAX_REPLY_BYTES": "8388608",
    "CFZ_OUTBOX_INTERVAL": "0.5",
    # seconds between pages (200 comments) of feedback's redaction sweep
    "CFZ_REDACTION_SWEEP_INTERVAL": "2",
    # an event handler that fails is tried again after 0.5, 1, 2... seconds
    # (at most CFZ_EVENT_RETRY_MAX_DELAY); after CFZ_EVENT_MAX_ATTEMPTS, or at
    # once when the event itself is invalid, the event goes to the service's
    # dead-letter queue (services/common/deadletter.py), never dropped
    "CFZ_EVENT_MAX_ATTEMPTS": "5",
    "CFZ_EVENT_RETRY_DELAY": "0.5",
    "CFZ_EVENT_RETRY_MAX_DELAY": "30",
    "CFZ_JWT_SECRET": "",
    "CFZ_TOKEN_TTL_SECONDS": "3600",
    "CFZ_ADMIN_USERNAME": "admin",
    "CFZ_ADMIN_PASSWORD": "",
    "CFZ_ARGON2_TIME_COST": "3",
    "CFZ_ARGON2_MEMORY_KIB": "65536",
    # at most this many hashes at once per process, this many more waiting at
    # most CFZ_ARGON2_WAIT seconds; the rest are refused at once (503), so a
    # login flood cannot take every core and every worker
    "CFZ_ARGON2_CONCURRENCY": "1",
    "CFZ_ARGON2_QUEUE": "4",
    "CFZ_ARGON2_WAIT": "2",
    # logins and registrations in flight from one gateway process
    "CFZ_LOGIN_CONCURRENCY": "4",
    # login throttling (services/registry/throttle.py): failures counted while
    # each follows the last within the window; past the free failures each
    # further failure locks for base * 2^n seconds, up to the cap
    "CFZ_LOGIN_WINDOW_SECONDS": "900",
    "CFZ_LOGIN_MAX_FAILURES": "5",
    "CFZ_LOGIN_MAX_FAILURES_ACCOUNT": "20",
    "CFZ_LOGIN_MAX_FAILURES_CLIENT": "50",
    "CFZ_LOGIN_LOCKOUT_BASE": "2",
    "CFZ_LOGIN_LOCKOUT_MAX": "900",
    "CFZ_LOGIN_ACCOUNT_LOCKOUT_MAX": "120",
    "CFZ_REGISTRATION_RATE_LIMIT": "5/hour",
    "CFZ_COMPLAINT_RATE_LIMIT": "10/hour",
    "CFZ_ENV": "development",
    "CFZ_STARTER_CATALOGUE": "1",
    "CFZ_DEMO_DATA": "0",
    "CFZ_GEO_RESYNC_SECONDS": "900",
    "CFZ_FEEDBACK_RATE_LIMIT": "10/minute",
    # counter-code scans that mint a new visit token, per Bangkok day
    "CFZ_VISIT_TOKENS_PER_CLIENT_DAY": "3",
    "CFZ_VISIT_TOKENS_PER_CODE_DAY": "500",
    "CFZ_PUBLIC_URL": "http://127.0.0.1:8000",
    # map tiles for the web app (pages stay useful without them)
    "CFZ_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "CFZ_TILE_ATTRIBUTION": "© OpenStreetMap contributors",
    # reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs)
    "CFZ_TRUSTED_PROXIES": "",
    # deprecated: 1 = CFZ_TRUSTED_PROXIES=127.0.0.0/8,::1
    "CFZ_TRUST_FORWARDED": "0",
    "CFZ_GEO_FOLLOW_INTERVAL": "0.25",
    "CFZ_REPORT_COMPACT_INTERVAL": "1",
    "CFZ_REPORT_RESYNC_SECONDS": "900",
    "CFZ_ALERT_INTERVAL": "300",
    "CFZ_ALERT_WINDOW_DAYS": "7",
    "CFZ_ALERT_BASELINE_DAYS": "28",
    "CFZ_ALERT_MIN_SAMPLE": "30",
    "CFZ_ALERT_P_VALUE": "0.01",
    "CFZ_ALERT_MIN_DROP": "0.05",
    "CFZ_RECOUNT_TIMEOUT": "600",
    # open data (docs/adr/0007-open-data.md): how often the generators look
    # whether the files are dirty, at most one generation per this many
    # seconds, the licence named in datapackage.json, how long clients cache,
    # the size of a stored chunk (under 16 MiB and CFZ_RPC_MAX_REPLY_BYTES)
    "CFZ_OPEN_DATA_INTERVAL": "1",
    "CFZ_OPEN_DATA_MIN_SECONDS": "60",
    "CFZ_OPEN_DATA_LICENSE": "CC-BY-4.0",
    "CFZ_OPEN_DATA_MAX_AGE": "300",
    "CFZ_OPEN_DATA_CHUNK_BYTES": "1048576",
    # complaints: the relay to PMOC (an Open311 GeoReport v2 endpoint) and SLAs
    "PMOC_URL": "",
    "PMOC_API_KEY": "",
    "PMOC_POLL_SECONDS": "60",
    "CFZ_PMOC_TIMEOUT": "10",
    "CFZ_PMOC_RELAY_INTERVAL": "1",
    "CFZ_PMOC_MAX_ATTEMPTS": "10",
    "CFZ_PMOC_BACKOFF_BASE": "2",
    "CFZ_PMOC_BACKOFF_MAX": "600",
    "CFZ_PMOC_CONCURRENCY": "8",
    "CFZ_COMPLAINT_SLA_DAYS": "15",
    "CFZ_COMPLAINT_SLA_BY_CATEGORY": "",
    "CFZ_OPEN311_API_KEYS": "",
}

# Used only when CFZ_ENV is not production and no secret is configured:
# a fixed development value so several local processes agree on tokens.
DEV_JWT_SECRET = "cfz-development-only-secret-change-me"
DEV_ADMIN_PASSWORD = "cfz-admin-demo"
RATE_LIMITS = ("CFZ_FEEDBACK_RATE_LIMIT", "CFZ_REGISTRATION_RATE_LIMIT", "CFZ_COMPLAINT_RATE_LIMIT")
ENVIRONMENTS = ("development", "production")
# Settings that hold a secret (a key, a password, or a URI with one in it):
# each may instead be read from the file named by NAME_FILE, as Docker and
# Kubernetes mount secrets, so the value stays out of `docker inspect`,
# process listings and the environment of child processes.
SECRET_SETTINGS = ("CFZ_JWT_SECRET", "CFZ_ADMIN_PASSWORD", "PMOC_API_KEY",
                   "CFZ_OPEN311_API_KEYS", "AMQP_URI", "MONGO_URI")
MIN_SECRET_BYTES = 32
# a guessable admin password or partner key is as bad as none; the example
# placeholders (deploy/k8s/base/secret.yaml) are shorter on purpose
MIN_ADMIN_PASSWORD_CHARS = 12
MIN_OPEN311_KEY_CHARS = 16


class ConfigError(RuntimeError):
    pass


def _read_secret_files(environ, config):
    for key in SECRET_SETTINGS:
        path = environ.get(key + "_FILE")
        if not path:
            continue
        if environ.get(key):
            raise ConfigError("{0} and {0}_FILE are both set: keep one (the file is "
                              "meant to replace the variable)".format(key))
        try:
            with open(path, encoding="utf-8") as handle:
                # editors and `echo` end files with a newline that is no part of the secret
                config[key] = handle.read().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("{}_FILE names a file that cannot be read ({}): {}".format(
                key, path, exc.strerror if isinstance(exc, OSError) else exc))
        if not config[key]:
            raise ConfigError("{}_FILE names an empty file: {}".format(key, path))


def _refuse_unsafe_production(config):
    """CFZ_ENV=production never runs on a development value: each refusal
    names the setting and says what to do."""
    secret = config["CFZ_JWT_SECRET"]
    if not secret:
        raise ConfigError("CFZ_JWT_SECRET must be set when CFZ_ENV=production "
                          "(e.g. openssl rand -hex 32; or CFZ_JWT_SECRET_FILE)")
    if secret == DEV_JWT_SECRET:
        raise ConfigError("CFZ_JWT_SECRET is the development secret, which anyone can read "
                          "in the source: set a random one when CFZ_ENV=production")
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError("CFZ_JWT_SECRET is {} bytes: it must be at least {} when "
                          "CFZ_ENV=production (e.g. openssl rand -hex 32)".format(
                              len(secret.encode("utf-8")), MIN_SECRET_BYTES))
    if not config["CFZ_ADMIN_PASSWORD"]:
        raise ConfigError("CFZ_ADMIN_PASSWORD must be set when CFZ_ENV=production "
                          "(or CFZ_ADMIN_PASSWORD_FILE)")
    if config["CFZ_ADMIN_PASSWORD"] == DEV_ADMIN_PASSWORD:
        raise ConfigError("CFZ_ADMIN_PASSWORD is the development password printed in the "
                          "README: choose another when CFZ_ENV=production")
    if len(config["CFZ_ADMIN_PASSWORD"]) < MIN_ADMIN_PASSWORD_CHARS:
        raise ConfigError("CFZ_ADMIN_PASSWORD is {} characters: it must be at least {} when "
                          "CFZ_ENV=production".format(len(config["CFZ_ADMIN_PASSWORD"]),
                                                      MIN_ADMIN_PASSWORD_CHARS))
    short = [k for k in config["CFZ_OPEN311_API_KEYS"].split(",")
             if k.strip() and len(k.strip()) < MIN_OPEN311_KEY_CHARS]
    if short:
        raise ConfigError("CFZ_OPEN311_API_KEYS holds {} key(s) shorter than {} characters: "
                          "partners' keys must not be guessable when CFZ_ENV=production "
                          "(e.g. openssl rand -hex 16)".format(len(short), MIN_OPEN311_KEY_CHARS))
    if config["MONGO_URI"].startswith("mongomock://"):
        raise ConfigError("MONGO_URI is the embedded in-memory store, which loses everything "
                          "on exit: set MONGO_URI=mongodb://... when CFZ_ENV=production")


def from_env(environ=None):
    """The settings dict: defaults overridden by the environment (and by
    NAME_FILE for the secret settings)."""
    environ = os.environ if environ is None else environ
    config = {key: environ.get(key, default) for key, default in DEFAULTS.items()}
    _read_secret_files(environ, config)
    if not config["MONGO_URI"]:
        config["MONGO_URI"] = DEFAULTS["MONGO_URI"]
    config["CFZ_ENV"] = config["CFZ_ENV"].strip() or DEFAULTS["CFZ_ENV"]
    if config["CFZ_ENV"] not in ENVIRONMENTS:
        raise ConfigError("CFZ_ENV must be one of {}, got {!r} (a typo must not run "
                          "production with development defaults)".format(
                              ", ".join(ENVIRONMENTS), config["CFZ_ENV"]))
    if config["CFZ_ENV"] == "production":
        _refuse_unsafe_production(config)
    if not config["CFZ_JWT_SECRET"]:
        config["CFZ_JWT_SECRET"] = DEV_JWT_SECRET
    for key in RATE_LIMITS:
        if not re.fullmatch(r"[1-9]\d*/(second|minute|hour|day)s?", config[key].strip()):
            raise ConfigError("{} must look like 10/minute (second, minute, hour or day), "
                              "got {!r}".format(key, config[key]))
    try:
        for part in config["CFZ_TRUSTED_PROXIES"].split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
    except ValueError as exc:
        raise ConfigError("CFZ_TRUSTED_PROXIES must list addresses or CIDRs: {}".format(exc))
    if not config["CFZ_ADMIN_PASSWORD"]:
        config["CFZ_ADMIN_PASSWORD"] = DEV_ADMIN_PASSWORD
    return config


def nameko_config(environ=None, **overrides):
    """The dict handed to nameko containers (nameko reads AMQP_URI from it)."""
    config = from_env(environ)
    config.update(overrides)
    config["WEB_SERVER_ADDRESS"] = "{}:{}".format(
        config["GATEWAY_HOST"], config["GATEWAY_PORT"])
    return config


def get_float(config, key):
    return float(config.get(key, DEFAULTS.get(key)))


def get_int(config, key):
    return int(config.get(key, DEFAULTS.get(key)))


def get_bool(config, key):
    return str(config.get(key, DEFAULTS.get(key, "0"))).lower() in ("1", "true", "yes", "on")

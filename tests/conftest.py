"""Shared fixtures: a per-test configuration on a fresh RabbitMQ vhost
(nameko's rabbit_config) and a per-test database prefix, so tests never see
each other's data. Set MONGO_URI to run the same tests on a real MongoDB."""
import os
import uuid

import pytest

from services.common.config import nameko_config
from services.common.storage import get_client

# Fast password hashing in tests; production uses argon2id's defaults.
TEST_SETTINGS = {
    "CFZ_ARGON2_TIME_COST": "1",
    "CFZ_ARGON2_MEMORY_KIB": "1024",
    "CFZ_OUTBOX_INTERVAL": "0.05",
    "CFZ_ADMIN_USERNAME": "admin",
    "CFZ_ADMIN_PASSWORD": "admin-password-for-tests",
    "CFZ_JWT_SECRET": "test-secret-not-for-production-0123456789",
    "CFZ_RPC_TIMEOUT": "10",
    # tests log in, register and file often from one address; the abuse
    # tests (tests/e2e/test_abuse.py) set small limits of their own
    "CFZ_REGISTRATION_RATE_LIMIT": "1000/minute",
    "CFZ_COMPLAINT_RATE_LIMIT": "1000/minute",
    "CFZ_LOGIN_MAX_FAILURES": "1000",
    "CFZ_LOGIN_MAX_FAILURES_ACCOUNT": "1000",
    "CFZ_LOGIN_MAX_FAILURES_CLIENT": "1000",
    "CFZ_ARGON2_CONCURRENCY": "2",
    "CFZ_ARGON2_QUEUE": "100",
    "CFZ_ARGON2_WAIT": "20",
    "CFZ_LOGIN_CONCURRENCY": "64",
}
ADMIN = {"username": "admin", "password": "admin-password-for-tests"}


@pytest.fixture
def db_prefix():
    prefix = "cfztest_{}_".format(uuid.uuid4().hex[:10])
    yield prefix
    uri = os.environ.get("MONGO_URI") or "mongomock://"
    client = get_client(uri)
    for name in client.list_database_names():
        if name.startswith(prefix):
            client.drop_database(name)


@pytest.fixture
def config(rabbit_config, web_config, db_prefix):
    environ = dict(os.environ, **TEST_SETTINGS)
    environ.pop("CFZ_ENV", None)
    conf = nameko_config(environ, CFZ_DB_PREFIX=db_prefix)
    conf.update(rabbit_config)
    conf.update(web_config)
    return conf


@pytest.fixture
def databases():
    """Fresh databases for tests of domain modules or repositories, one per
    name (`databases("feedback")`), as each service has its own: on the
    MongoDB of MONGO_URI when it is set, else on the embedded store, as
    the services get theirs (services/common/storage.get_client)."""
    uri = os.environ.get("MONGO_URI") or "mongomock://"
    client = get_client(uri)
    prefix = "cfzunit_{}_".format(uuid.uuid4().hex[:10])
    made = {}

    def database(name="db"):
        if name not in made:
            made[name] = client[prefix + name]
        return made[name]
    yield database
    for db in made.values():
        client.drop_database(db.name)


@pytest.fixture
def database(databases):
    """A fresh database (see `databases`)."""
    return databases()

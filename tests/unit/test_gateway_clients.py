"""Client ids for rate limits: X-Forwarded-For believed only from our proxies."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.common import config as cfz_config
from services.gateway import clients

NETS = clients.parse_networks("10.0.0.0/8, 192.168.1.5")


@pytest.mark.parametrize("remote, forwarded, expected", [
    # not from a proxy: the header is the client's own words
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
    # from our proxy: the rightmost entry the proxies did not write
    ("10.0.0.2", ["1.2.3.4, 198.51.100.7"], "198.51.100.7"),
    ("10.0.0.2", ["6.6.6.6, 198.51.100.7, 10.1.1.1"], "198.51.100.7"),
    ("192.168.1.5", ["1.2.3.4", "198.51.100.7"], "198.51.100.7"),
    # a forged entry that is no address is still the client's
    ("10.0.0.2", ["not-an-ip"], "not-an-ip"),
    # only proxies: the first of them
    ("10.0.0.2", ["10.0.0.3"], "10.0.0.3"),
    ("10.0.0.2", [], "10.0.0.2"),
])
def test_the_client_is_the_rightmost_address_not_a_trusted_proxy(remote, forwarded, expected):
    assert clients.client_address(remote, forwarded, NETS) == expected


def test_without_trusted_proxies_x_forwarded_for_is_ignored():
    assert clients.client_address("127.0.0.1", ["1.2.3.4"], []) == "127.0.0.1"


def _request(remote, forwarded):
    environ = EnvironBuilder(headers={"X-Forwarded-For": forwarded},
                             environ_base={"REMOTE_ADDR": remote}).get_environ()
    return Request(environ)


def test_a_forged_leftmost_address_does_not_make_a_new_client():
    config = {"CFZ_JWT_SECRET": "s" * 32, "CFZ_TRUSTED_PROXIES": "127.0.0.1"}
    ids = {clients.client_id(_request("127.0.0.1", "{}, 198.51.100.7".format(forged)), config)
           for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3")}
    assert len(ids) == 1


def test_trust_forwarded_is_a_deprecated_alias_for_loopback():
    config = {"CFZ_JWT_SECRET": "s" * 32, "CFZ_TRUSTED_PROXIES": "", "CFZ_TRUST_FORWARDED": "1"}
    nets = clients.trusted_networks(config)
    assert clients.client_address("127.0.0.1", ["9.9.9.9, 198.51.100.7"], nets) == "198.51.100.7"
    assert clients.client_address("10.0.0.2", ["198.51.100.7"], nets) == "10.0.0.2"


def test_a_bad_proxy_list_refuses_to_start():
    with pytest.raises(cfz_config.ConfigError):
        cfz_config.from_env({"CFZ_TRUSTED_PROXIES": "10.0.0.0/33"})
    with pytest.raises(cfz_config.ConfigError):
        cfz_config.from_env({"CFZ_COMPLAINT_RATE_LIMIT": "0/hour"})

"""Who the client is, for rate limits (plain module, no nameko).

The client id is a keyed hash of the client's address, so raw addresses are
never stored. Behind reverse proxies the address comes from
X-Forwarded-For, but only as far as the proxies we trust wrote it: anyone
can send that header, so its leftmost entry is whatever the client wants.
Each trusted proxy appends the address it received from, so the client is
the rightmost address that is not one of our proxies.
"""
import hashlib
import hmac
import ipaddress

from services.common.config import get_bool

# CFZ_TRUST_FORWARDED=1 (deprecated) meant "a proxy on this machine"
LOOPBACK = "127.0.0.0/8,::1"


def trusted_networks(config):
    """The proxies whose X-Forwarded-For we believe (CFZ_TRUSTED_PROXIES)."""
    spec = config.get("CFZ_TRUSTED_PROXIES", "") or ""
    if not spec.strip() and get_bool(config, "CFZ_TRUST_FORWARDED"):
        spec = LOOPBACK
    return parse_networks(spec)


def parse_networks(spec):
    """"10.0.0.0/8, 192.168.1.5" -> networks; ValueError for a bad entry."""
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in spec.split(",") if part.strip()]


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks):
    return address is not None and any(address in net for net in networks)


def is_trusted_proxy(remote_addr, networks):
    """Whether a peer address is one of our reverse proxies."""
    return bool(networks) and _trusted(_address(remote_addr or ""), networks)


def client_address(remote_addr, forwarded_for, networks):
    """The client's address: `remote_addr` unless it is a trusted proxy;
    then the rightmost X-Forwarded-For entry that is not a trusted proxy (an
    entry that is not an address ends the walk: it is what the client wrote)."""
    remote = remote_addr or ""
    if not is_trusted_proxy(remote, networks):
        return remote
    hops = [h.strip() for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if not _trusted(address, networks):
            return str(address) if address is not None else hop
    return hops[0] if hops else remote


def client_id(request, config, networks=None):
    networks = trusted_networks(config) if networks is None else networks
    address = client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"),
                             networks)
    return hmac.new(config["CFZ_JWT_SECRET"].encode(), address.encode(),
                    hashlib.sha256).hexdigest()[:24]

"""The gateway alone against slow and abusive clients (abuse table: "ten slow
clients stopped the gateway"). Raw sockets play the clients; /healthz is the
user who must still be answered at once."""
import socket
import time

import eventlet
import pytest
import requests

from services.gateway.service import GatewayService

TIMEOUTS = {"CFZ_HTTP_HEADER_TIMEOUT": "2", "CFZ_HTTP_BODY_TIMEOUT": "2",
            "CFZ_HTTP_SOCKET_TIMEOUT": "5"}


def start_gateway(container_factory, config, **settings):
    container = container_factory(GatewayService, {**config, **TIMEOUTS, **settings})
    container.start()
    host, port = config["WEB_SERVER_ADDRESS"].split(":")
    return container, (host, int(port)), "http://{}".format(config["WEB_SERVER_ADDRESS"])


def connect(address):
    sock = socket.create_connection(address, timeout=10)
    return sock


def healthz_seconds(base):
    started = time.monotonic()
    assert requests.get(base + "/healthz", timeout=10).status_code == 200
    return time.monotonic() - started


def read_all(sock, timeout=10):
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except socket.timeout:
        pass
    return b"".join(chunks)


def trickle(sock, data, pause, stop):
    """Send `data` a byte at a time until done or told to stop."""
    try:
        for byte in data:
            if stop():
                return
            sock.sendall(bytes([byte]))
            eventlet.sleep(pause)
    except OSError:
        return


@pytest.mark.parametrize("slow_part", ["body", "headers"])
def test_trickling_clients_cannot_hold_the_gateway(container_factory, config, slow_part):
    container, address, base = start_gateway(container_factory, config,
                                             CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT="200")
    # twice as many trickling clients as the gateway has workers
    clients = [connect(address) for _ in range(2 * container.max_workers)]
    done = []
    if slow_part == "body":
        head = (b"POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 400\r\n\r\n")
        for sock in clients:
            sock.sendall(head)
        threads = [eventlet.spawn(trickle, sock, b"{" + b" " * 398 + b"}", 0.1, lambda: done)
                   for sock in clients]
    else:
        threads = [eventlet.spawn(trickle, sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                                  b"X-Slow: 1\r\n" * 100 + b"\r\n", 0.05, lambda: done)
                   for sock in clients]
    eventlet.sleep(0.5)
    try:
        # everyone else is answered at once while the slow clients trickle
        assert max(healthz_seconds(base) for _ in range(10)) < 1.0
        # and the slow clients are cut off at the deadline (2 s), not when they please
        started = time.monotonic()
        answers = [read_all(sock, timeout=8) for sock in clients]
        assert time.monotonic() - started < 6
    finally:
        done.append(True)
        for thread in threads:
            thread.kill()
        for sock in clients:
            sock.close()
    if slow_part == "body":
        assert all(a.startswith(b"HTTP/1.1 408") and b'"REQUEST_TIMEOUT"' in a for a in answers), \
            answers[:2]
    else:
        assert all(a == b"" for a in answers), answers[:2]  # closed without a word
    assert healthz_seconds(base) < 1.0


def test_one_client_cannot_take_every_connection(container_factory, config):
    _, address, base = start_gateway(container_factory, config,
                                     CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT="5",
                                     CFZ_HTTP_HEADER_TIMEOUT="30")
    idle = [connect(address) for _ in range(5)]
    eventlet.sleep(0.3)
    refused = requests.get(base + "/healthz", timeout=10)
    assert refused.status_code == 503
    assert refused.json()["error"] == "TOO_MANY_CONNECTIONS"
    assert refused.headers["Retry-After"] == "5"
    for sock in idle:
        sock.close()
    eventlet.sleep(0.3)
    assert requests.get(base + "/healthz", timeout=10).status_code == 200


def test_a_trusted_proxy_is_held_to_the_pool_not_to_the_per_client_limit(container_factory,
                                                                           config):
    """Behind a reverse proxy every connection comes from its address: the
    per-address limit would turn away the sixth citizen; the pool still holds."""
    _, address, base = start_gateway(container_factory, config,
                                     CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT="5",
                                     CFZ_HTTP_MAX_CONNECTIONS="12",
                                     CFZ_TRUSTED_PROXIES="127.0.0.1",
                                     CFZ_HTTP_HEADER_TIMEOUT="30")
    idle = [connect(address) for _ in range(10)]
    try:
        eventlet.sleep(0.3)
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        idle += [connect(address) for _ in range(2)]
        # the pool is full once the server has accepted both (on a loaded
        # machine that can take longer than a fixed pause)
        deadline = time.monotonic() + 10
        while True:
            eventlet.sleep(0.3)
            refused = requests.get(base + "/healthz", timeout=10)
            if refused.status_code != 200 or time.monotonic() > deadline:
                break
        assert refused.status_code == 503
        assert refused.json()["error"] == "TOO_MANY_CONNECTIONS"
        assert refused.json()["message_th"]
    finally:
        for sock in idle:
            sock.close()
    eventlet.sleep(0.3)
    assert requests.get(base + "/healthz", timeout=10).status_code == 200


def test_a_body_declared_too_large_is_refused_without_reading_it(container_factory, config):
    _, address, base = start_gateway(container_factory, config)
    sock = connect(address)
    sock.sendall(b"POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000000000\r\n\r\n{")
    started = time.monotonic()
    answer = read_all(sock, timeout=5)
    assert time.monotonic() - started < 1.0
    assert answer.startswith(b"HTTP/1.1 413") and b'"PAYLOAD_TOO_LARGE"' in answer
    assert b"Connection: close" in answer  # not kept open to swallow a gigabyte
    sock.close()
    # a chunked body without a length is bounded the same way
    big = b"x" * (70 * 1024)
    response = requests.post(base + "/api/v1/agencies", data=iter([big[:40000], big[40000:]]),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert healthz_seconds(base) < 1.0

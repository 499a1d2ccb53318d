"""Latency of a catalogue search while wrong logins flood the gateway.

Not a test: run it against a `cfz run` on 127.0.0.1 (bounded in count and
time). Each of `--concurrency` threads sends wrong logins back to back for
`--seconds`; meanwhile one thread times GET /api/v1/services?q=... once every
`--interval` seconds. Prints the search latency quiet (before the flood)
and under the flood, and how the logins were answered.

    python -m bench.login_flood --url http://127.0.0.1:8601 --concurrency 128 --seconds 20
"""
import argparse
import collections
import statistics
import threading
import time
import uuid

import requests

from bench.common import percentile


def summary(name, values):
    if not values:
        return "{}: no samples".format(name)
    return "{}: n={} median={:.0f} ms p90={:.0f} ms max={:.0f} ms".format(
        name, len(values), statistics.median(values) * 1000, percentile(sorted(values), 90) * 1000,
        max(values) * 1000)


def search_latencies(url, seconds, interval, query):
    samples = []
    session = requests.Session()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            response = session.get(url + "/api/v1/services", params={"q": query}, timeout=60)
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        samples.append((time.monotonic() - start, ok))
        time.sleep(max(0.0, interval - (time.monotonic() - start)))
    return samples


def flood(url, stop, statuses, lock, distinct_users, get_path=None):
    session = requests.Session()
    while not stop.is_set():
        username = "flood-" + uuid.uuid4().hex[:8] if distinct_users else "demo-dopa"
        try:
            if get_path:  # the same flood of cheap requests, for comparison
                response = session.get(url + get_path, timeout=60)
            else:
                response = session.post(url + "/api/v1/auth/token", timeout=60, json={
                    "username": username, "password": "wrong-password-123"})
            key = response.status_code
        except requests.RequestException as exc:
            key = type(exc).__name__
        with lock:
            statuses[key] += 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--query", default="บัตรประชาชน")
    parser.add_argument("--distinct-users", action="store_true",
                        help="a new made-up username per login (else one real account)")
    parser.add_argument("--flood-get", metavar="PATH",
                        help="flood with GETs of PATH instead of logins (what any flood costs)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("load only 127.0.0.1")
    concurrency = min(args.concurrency, 256)
    seconds = min(args.seconds, 120.0)

    quiet = search_latencies(args.url, 5.0, args.interval, args.query)
    stop, lock, statuses = threading.Event(), threading.Lock(), collections.Counter()
    threads = [threading.Thread(target=flood, daemon=True,
                                args=(args.url, stop, statuses, lock, args.distinct_users, args.flood_get))
               for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # let the flood build up
    loaded = search_latencies(args.url, seconds, args.interval, args.query)
    stop.set()
    for thread in threads:
        thread.join(70)
    print(summary("search, quiet       ", [t for t, ok in quiet]))
    print(summary("search, under flood ", [t for t, ok in loaded]))
    print("search failures under flood: {}".format(sum(1 for t, ok in loaded if not ok)))
    print("flood answered: {}".format(dict(statuses)))


if __name__ == "__main__":
    main()

"""How soon a burst of new service points is visible in nearby results.

Starts `cfz run --no-demo` (embedded storage) on a vhost of its own,
registers and approves an agency, creates N points through the API (a few
requests at once, as a bulk pin session would) and polls the gateway's
nearby search until every one of them is there. Prints the time from the
last create's answer until all were visible (the end of the first poll
that found them all) and until the last poll that still missed some began.

    python -m bench.outbox_burst [--points 70] [--rounds 3] [--port 18200]

Needs RabbitMQ with the management plugin (scripts/ensure-rabbitmq) and
rabbitmqctl; the vhost is made, and deleted afterwards.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench._cfz import start_cfz_run

ADMIN_PASSWORD = "bench-admin-password-2569"
CENTRE = (18.7953, 98.9862)


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def start(port, metrics_port, vhost, cwd):
    env = dict(os.environ, AMQP_URI="amqp://guest:guest@localhost:5672/" + vhost,
               GATEWAY_PORT=str(port), CFZ_METRICS_PORT=str(metrics_port),
               CFZ_ADMIN_PASSWORD=ADMIN_PASSWORD, CFZ_DB_PREFIX="bench-burst-",
               CFZ_JWT_SECRET="bench-secret-of-at-least-thirty-two-bytes",
               CFZ_LOG_LEVEL="warning", CFZ_FEEDBACK_RATE_LIMIT="1000000/minute")
    env.pop("MONGO_URI", None)
    return start_cfz_run(env, args=("--no-demo",), cwd=cwd,
                         command=[sys.executable, "-m", "services.cli"])


def api(port):
    return "http://127.0.0.1:{}/api/v1".format(port)


def token(port, username, password):
    response = requests.post(api(port) + "/auth/token",
                             json={"username": username, "password": password}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def officer_token(port, suffix):
    registered = requests.post(api(port) + "/agencies", json={
        "name_th": "สำนักงานทดสอบ {}".format(suffix), "name_en": "Bench Office {}".format(suffix),
        "ministry": "กระทรวงมหาดไทย", "contact_email": "bench{}@example.go.th".format(suffix),
        "username": "bench-{}".format(suffix), "password": "correct horse {}".format(suffix)},
        timeout=30)
    registered.raise_for_status()
    agency_id = registered.json()["agency"]["id"]
    admin = token(port, "admin", ADMIN_PASSWORD)
    approved = requests.post(api(port) + "/admin/agencies/{}/approve".format(agency_id),
                             headers={"Authorization": "Bearer " + admin}, timeout=30)
    approved.raise_for_status()
    return token(port, "bench-{}".format(suffix), "correct horse {}".format(suffix)), agency_id


def burst(port, officer, agency_id, count, concurrency, round_no):
    session = requests.Session()
    headers = {"Authorization": "Bearer " + officer}

    def create(n):
        lat = CENTRE[0] + 0.0005 * (n % 10) + 0.01 * round_no
        lon = CENTRE[1] + 0.0005 * (n // 10)
        response = session.post(api(port) + "/service-points", headers=headers, json={
            "name_th": "จุดบริการทดสอบ {}-{}".format(round_no, n),
            "name_en": "Bench point {}-{}".format(round_no, n), "province_code": "50",
            "address": "ถนนช้างเผือก", "location": {"lat": lat, "lon": lon}}, timeout=60)
        response.raise_for_status()
        return response.json()["id"], time.monotonic()

    lag_before = lag_histogram(port + 1, "geo", "office_registered")
    first = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        created = list(pool.map(create, range(count)))
    last_answer = max(at for _, at in created)
    wanted = {point_id for point_id, _ in created}
    polls, missing_at = 0, last_answer
    while True:
        polls += 1
        asked = time.monotonic()
        found = requests.get(api(port) + "/service-points/nearby", params={
            "lat": CENTRE[0] + 0.01 * round_no, "lon": CENTRE[1], "k": 100,
            "agency_id": agency_id}, timeout=30).json()["results"]
        if wanted <= {r["service_point"]["id"] for r in found}:
            seen = time.monotonic()
            break
        missing_at = asked  # a poll asked then still missed some
        if time.monotonic() - last_answer > 60:
            raise SystemExit("not all points visible after 60 s")
        time.sleep(0.01)
    lag_after = lag_histogram(port + 1, "geo", "office_registered")
    applied = lag_after[2] - lag_before[2]
    # visible between the last poll that missed some (asked) and the end of
    # the first that found all; a poll takes a while on a loaded machine
    return {"after_last_answer_s": round(seen - last_answer, 3),
            "still_missing_at_s": round(missing_at - last_answer, 3),
            "creates_s": round(last_answer - first, 3), "polls": polls,
            # what geo saw: from each event's occurred_at to its being applied
            "geo_events": applied,
            "geo_mean_event_lag_s": round((lag_after[1] - lag_before[1]) / applied, 3)
            if applied else None}


SERVICES = {"services": [{"service_code": "DOPA-ID-NEW", "documents": [
    {"name_th": "สูติบัตร", "name_en": "Birth certificate", "government_issued": True,
     "copy_required": False}]}]}


def lag_histogram(metrics_port, service="reporting", event="feedback_submitted"):
    """A consumer's cfz_event_lag_seconds for one event (occurred_at to
    applied): ({le: count}, sum, count)."""
    text = requests.get("http://127.0.0.1:{}/metrics".format(metrics_port), timeout=30).text
    buckets, total, count = {}, 0.0, 0
    for line in text.splitlines():
        if 'service="{}"'.format(service) not in line or 'event="{}"'.format(event) not in line:
            continue
        name, value = line.rsplit(" ", 1)
        if name.startswith("cfz_event_lag_seconds_bucket"):
            buckets[float(name.split('le="')[1].split('"')[0])] = float(value)
        elif name.startswith("cfz_event_lag_seconds_sum"):
            total = float(value)
        elif name.startswith("cfz_event_lag_seconds_count"):
            count = int(float(value))
    return buckets, total, count


def feedback_lag(port, metrics_port, officer, seconds, concurrency):
    """Ratings as fast as `concurrency` clients can post them for `seconds`;
    then the lag reporting saw (occurred_at to applied) over those events."""
    headers = {"Authorization": "Bearer " + officer}
    point = requests.post(api(port) + "/service-points", headers=headers, json={
        "name_th": "จุดบริการวัดความล่าช้า", "name_en": "Lag point", "province_code": "50",
        "address": "ถนนช้างเผือก", "location": {"lat": 18.9, "lon": 98.9}}, timeout=60).json()
    requests.put(api(port) + "/service-points/{}/services".format(point["id"]), headers=headers,
                 json=SERVICES, timeout=60).raise_for_status()
    time.sleep(2)
    before = lag_histogram(metrics_port)
    stop = time.monotonic() + seconds
    answered = []

    def client(n):
        session, done = requests.Session(), 0
        while time.monotonic() < stop:
            response = session.post(api(port) + "/service-points/{}/feedback".format(point["id"]),
                                    json={"service_code": "DOPA-ID-NEW", "channel": "walk_in",
                                          "answers": {"satisfaction": 1 + (done + n) % 5}},
                                    timeout=60)
            done += response.status_code == 201
        answered.append(done)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sum(answered)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        after = lag_histogram(metrics_port)
        if after[2] - before[2] >= sent:
            break
        time.sleep(0.2)
    count = after[2] - before[2]
    cumulative = {le: after[0].get(le, 0) - before[0].get(le, 0) for le in sorted(after[0])}

    def quantile(q):
        for le, below in cumulative.items():
            if below >= q * count:
                return le
        return None
    return {"ratings_per_s": round(sent / seconds, 1), "events": count,
            "mean_lag_s": round((after[1] - before[1]) / count, 3) if count else None,
            "p50_lag_at_most_s": quantile(0.5), "p95_lag_at_most_s": quantile(0.95),
            "p99_lag_at_most_s": quantile(0.99)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=70)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument("--feedback-seconds", type=float, default=0,
                        help="then this long ratings at full speed: reporting's event lag")
    parser.add_argument("--vhost", default="coreauth-burst")
    parser.add_argument("--code", default=os.getcwd(),
                        help="the checkout whose services run (default: here)")
    args = parser.parse_args(argv)
    rabbitmqctl("add_vhost", args.vhost)
    rabbitmqctl("set_permissions", "-p", args.vhost, "guest", ".*", ".*", ".*")
    process, output = start(args.port, args.port + 1, args.vhost, args.code)
    try:
        if process.poll() is not None:
            raise SystemExit("".join(output[-50:]))
        results = []
        officer, agency_id = officer_token(args.port, str(os.getpid()))
        for round_no in range(args.rounds):
            results.append(burst(args.port, officer, agency_id, args.points, args.concurrency,
                                 round_no))
            print(json.dumps(results[-1]), flush=True)
        print(json.dumps({
            "code": args.code, "points": args.points, "concurrency": args.concurrency,
            "median_after_last_answer_s": statistics.median(
                r["after_last_answer_s"] for r in results),
            "median_geo_mean_event_lag_s": statistics.median(
                r["geo_mean_event_lag_s"] for r in results if r["geo_mean_event_lag_s"])}))
        if args.feedback_seconds:
            print(json.dumps({"feedback": feedback_lag(args.port, args.port + 1, officer,
                                                       args.feedback_seconds,
                                                       args.concurrency)}))
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        rabbitmqctl("delete_vhost", args.vhost)


if __name__ == "__main__":
    main()

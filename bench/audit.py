"""How long a moderation or an officer's complaint status change takes to
show in GET /agencies/{id}/audit (the events' way to the registry's audit
trail), against a running `cfz run` with demo data:

    python -m bench.audit http://127.0.0.1:8000 20

Start `cfz run` with CFZ_FEEDBACK_RATE_LIMIT=1000/minute and
CFZ_COMPLAINT_RATE_LIMIT=1000/hour (each round submits a rating and files a
complaint from one client). Prints how many entries the demo's agency has
by action, then the time from each change's answer to its entry, polled
every 20 ms.
"""
import base64
import json
import statistics
import sys
import time
import uuid

import requests

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
s = requests.Session()


def token(u, p):
    r = s.post(BASE + "/api/v1/auth/token", json={"username": u, "password": p})
    r.raise_for_status()
    return r.json()["access_token"]


officer = token("demo-dopa", "demo-password-2569")
H = {"Authorization": "Bearer " + officer}
claims = json.loads(base64.urlsafe_b64decode(officer.split(".")[1] + "=="))
agency = claims["agency_id"]
trail = BASE + "/api/v1/agencies/{}/audit".format(agency)

# the demo's own entries: count until it stops growing
last, stable_since, t0 = -1, time.monotonic(), time.monotonic()
while time.monotonic() - stable_since < 5:
    total = s.get(trail, headers=H, params={"limit": 1}).json()["total"]
    if total != last:
        last, stable_since = total, time.monotonic()
    time.sleep(0.5)
by_action = {}
offset = 0
while True:
    page = s.get(trail, headers=H, params={"limit": 200, "offset": offset}).json()
    for e in page["results"]:
        by_action[e["action"]] = by_action.get(e["action"], 0) + 1
    offset += len(page["results"])
    if offset >= page["total"] or not page["results"]:
        break
print("demo agency {}: {} audit entries {}".format(agency, last, by_action))

points = s.get(BASE + "/api/v1/service-points", params={"agency_id": agency, "limit": 5}).json()["results"]
point = points[0]["id"]


def seen(entity_id, timeout=30):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        for e in s.get(trail, headers=H, params={"limit": 5}).json()["results"]:
            if e["entity"]["id"] == entity_id:
                return time.monotonic()
        time.sleep(0.02)
    raise SystemExit("not seen: " + entity_id)


mod, status = [], []
for i in range(N):
    fb = s.post(BASE + "/api/v1/service-points/{}/feedback".format(point),
                json={"answers": {"satisfaction": 1}, "comment": "เหมือนควาย {}".format(i)},
                headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    start = time.monotonic()
    r = s.post(BASE + "/api/v1/feedback/{}/moderation".format(fb["feedback_id"]), headers=H,
               json={"decision": "reject"})
    r.raise_for_status()
    mod.append(seen(fb["feedback_id"]) - start)
    s.post(BASE + "/api/v1/complaints", json={"category": "STAFF-CONDUCT",
                                               "description": "bench {}".format(i),
                                               "service_point_id": point}).raise_for_status()
    inbox = s.get(BASE + "/api/v1/officer/complaints", headers=H, params={"limit": 1}).json()["results"]
    cid = inbox[0]["complaint_id"]
    start = time.monotonic()
    r = s.post(BASE + "/api/v1/officer/complaints/{}/status".format(cid), headers=H, json={"status": "accepted"})
    r.raise_for_status()
    status.append(seen(cid) - start)


def summary(xs):
    xs = sorted(xs)
    return "median {:.2f} s, p90 {:.2f} s, max {:.2f} s (n={})".format(
        statistics.median(xs), xs[int(0.9 * (len(xs) - 1))], xs[-1], len(xs))


print("moderation -> in the trail:", summary(mod))
print("status change -> in the trail:", summary(status))

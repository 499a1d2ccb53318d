"""The load generator of bench.feedback and bench.pipeline: a separate,
unpatched process (`python -m bench._loadgen SPEC`), the same for every
target it measures, so the echo ceiling and the feedback path get the same
clients, bodies and keys.

N OS threads, one requests.Session each (keep-alive), the same seeded
bodies (all six answers, a Thai comment with a phone number for the
redaction, copies_requested) with a unique Idempotency-Key each, one
perf_counter pair around each request.

* closed loop (the default): each thread posts back to back for the warm-up
  then the measured seconds;
* open loop (`rate` in the spec): request i is due at start + i / rate,
  whatever came back before; the next free thread sends it (a request that
  waited for a thread is late, and its latency counts from when it was
  due; none is sent after the window, so a server that cannot keep up
  shows as a lower answered rate). Every answer's wall-clock time is kept (`answers`), so bench.pipeline
  can follow each submission to where it shows.

It samples the CPU time of the server, of RabbitMQ and of itself at the
window's edges, and writes its result as JSON.
"""
import collections
import json
import os
import random
import subprocess
import sys
import threading
import time

from bench.common import ROOT, percentile
from bench.machine import cpu_sample

SERVICE_CODE = "DOPA-ID-NEW"
# Each carries a phone number in one of the usual Thai forms (all masked).
COMMENTS = [
    "เจ้าหน้าที่บริการดีมาก ไม่ต้องถ่ายสำเนาบัตรประชาชนแล้ว ติดต่อกลับได้ที่ 081-234-5678",
    "รอคิวนานประมาณ 40 นาที แต่เจ้าหน้าที่สุภาพ โทรไปที่ 02 123 4567 ไม่มีคนรับสาย",
    "ยังถูกขอสำเนาทะเบียนบ้านอยู่ ทั้งที่ประกาศว่าไม่ต้องใช้แล้ว เบอร์ผม 0891234567",
    "สะดวก รวดเร็ว ได้บัตรภายใน 15 นาที ขอบคุณครับ ติดต่อ +66 86 555 1234",
]
PHONES = ("081-234-5678", "02 123 4567", "0891234567", "+66 86 555 1234")
COPIES = ["สูติบัตร", "รูปถ่าย", "สำเนาทะเบียนบ้าน"]


def make_request(rnd, key):
    """(body bytes, headers) of one realistic rating."""
    body = {"service_code": SERVICE_CODE, "channel": "walk_in",
            "answers": {q: rnd.randint(1, 5) for q in (
                "satisfaction", "trust", "ease", "efficiency", "staff", "transparency")},
            "copies_requested": rnd.sample(COPIES, rnd.randint(0, len(COPIES))),
            "comment": rnd.choice(COMMENTS)}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return data, {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}


def load_gen_main(spec_path):
    import requests

    with open(spec_path) as f:
        spec = json.load(f)
    n = spec["concurrency"]
    rate = spec.get("rate")
    urls = spec.get("urls") or [spec["url"]]
    perf = time.perf_counter
    begin = perf() + 0.5  # every thread starts at the same moment
    wall_offset = time.time() - perf()  # perf_counter -> wall clock, for other processes
    measure_start = begin + spec["warmup"]
    end = measure_start + spec["seconds"]
    records = [[] for _ in range(n)]
    body_bytes = []
    due_lock = threading.Lock()
    next_due = [0]

    def take():
        """(sequence number, due time) of the next open-loop request."""
        with due_lock:
            i = next_due[0]
            next_due[0] += 1
        return i, begin + i / rate

    def worker(i):
        session = requests.Session()
        session.trust_env = False  # never through a proxy: 127.0.0.1 only
        rnd = random.Random("{}-{}".format(spec["seed"], i))
        out = records[i]
        seq = 0
        while perf() < begin:
            time.sleep(0.001)
        while True:
            seq += 1
            if rate:
                number, due = take()
                if due >= end or perf() >= end:
                    break  # a request not sent by the window's end is not sent: the rate fell short
                wait = due - perf()
                if wait > 0:
                    time.sleep(wait)
                url = urls[number % len(urls)]
            else:
                if perf() >= end:
                    break
                number, due, url = None, None, urls[seq % len(urls)]
            data, headers = make_request(rnd, "{}-{:02d}-{:07d}".format(spec["key_prefix"], i, seq))
            if i == 0 and seq <= 200:
                body_bytes.append(len(data))
            t0 = perf()
            try:
                response = session.post(url, data=data, headers=headers, timeout=spec["timeout"])
                status = response.status_code
                response.content  # noqa: B018 - read the whole answer
            except requests.RequestException as exc:
                status = type(exc).__name__
            t1 = perf()
            # open loop: a request that waited for a free thread counts from when it was due
            out.append((due if due is not None else t0, t1, status, url))
        session.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, measure_start - perf()))
    cpu0, t_cpu0 = cpu_sample(spec["pids"]), perf()
    time.sleep(max(0.0, end - perf()))
    cpu1, t_cpu1 = cpu_sample(spec["pids"]), perf()
    for t in threads:
        t.join()

    expected = spec["expected_status"]
    everything = [r for rs in records for r in rs]
    window = [r for r in everything if measure_start < r[1] <= end]
    latencies = sorted(t1 - t0 for t0, t1, s, _ in window if s == expected)
    errors = collections.Counter(str(s) for _, _, s, _ in window if s != expected)
    slices = spec["slices"]
    width = spec["seconds"] / slices
    per_slice = [0] * slices
    for t0, t1, s, _ in window:
        if s == expected:
            per_slice[min(slices - 1, int((t1 - measure_start) / width))] += 1
    elapsed = t_cpu1 - t_cpu0
    cpu = {label: (cpu1[label] - cpu0[label]) / elapsed
           for label in cpu1 if cpu0.get(label) is not None and cpu1.get(label) is not None}
    result = {
        "ok": len(latencies), "rps": len(latencies) / spec["seconds"],
        "median_ms": percentile(latencies, 50) * 1e3 if latencies else None,
        "p99_ms": percentile(latencies, 99) * 1e3 if latencies else None,
        "mean_ms": sum(latencies) / len(latencies) * 1e3 if latencies else None,
        "max_ms": latencies[-1] * 1e3 if latencies else None,
        "errors": dict(errors), "error_count": sum(errors.values()),
        "slices_rps": [c / width for c in per_slice],
        "ok_before_window": sum(1 for _, t1, s, _ in everything if t1 <= measure_start and s == expected),
        "ok_after_window": sum(1 for _, t1, s, _ in everything if t1 > end and s == expected),
        "ok_all": sum(1 for _, _, s, _ in everything if s == expected),
        "errors_all": dict(collections.Counter(str(s) for _, _, s, _ in everything if s != expected)),
        "sent_all": len(everything),
        "body_bytes": (min(body_bytes), max(body_bytes), sum(body_bytes) / len(body_bytes))
        if body_bytes else None,
        "cpu": cpu, "pid": os.getpid(), "threads": n,
    }
    if spec.get("keep_answers"):
        # (url, wall-clock answer time) of every expected answer, in answer order
        result["answers"] = sorted(((u, t1 + wall_offset) for _, t1, s, u in everything
                                    if s == expected), key=lambda a: a[1])
        result["window_wall"] = (measure_start + wall_offset, end + wall_offset)
    with open(spec["out"], "w") as f:
        json.dump(result, f)
    return 0


def run_load(spec, workdir, name, wait=None):
    """Run the load generator as a subprocess with this spec (plus its
    output path) and return its result. `wait(proc, timeout, what)` waits
    for it (bench.feedback passes a green wait: its stack keeps serving)."""
    spec = dict(spec, out=os.path.join(workdir, name + "-result.json"))
    spec_path = os.path.join(workdir, name + "-spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    log_path = os.path.join(workdir, name + "-loadgen.log")
    timeout = spec["warmup"] + spec["seconds"] + 2 * spec["timeout"] + 60
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bench._loadgen", spec_path],
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        if wait is not None:
            code = wait(proc, timeout, "the load generator")  # kills it on a timeout
        else:
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()  # our own child, by its handle
                proc.wait(timeout=10)
                raise RuntimeError("the load generator did not finish within {:.0f} s".format(
                    timeout))
    if code != 0:
        with open(log_path) as f:
            raise RuntimeError("the load generator failed ({}):\n{}".format(code, f.read()[-3000:]))
    with open(spec["out"]) as f:
        return json.load(f)


if __name__ == "__main__":
    sys.exit(load_gen_main(sys.argv[1]))

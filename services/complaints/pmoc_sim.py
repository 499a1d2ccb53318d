"""A stand-in for the PMOC complaint centre: an Open311 GeoReport v2 server
that stores what it receives, honours `Idempotency-Key` unless told to act
as a plain Open311 server that ignores it, and can be told to fail (plain
module, standard library only; `cfz pmoc-sim` runs it).

Endpoints (relative to the base URL, which is PMOC_URL for the relay):
    GET  discovery.json, services.json
    POST requests.json                  form-encoded, as the spec says
    GET  requests.json?service_request_id=a,b
    GET  requests.json?service_code=&status=&start_date=&end_date=
                                        as GeoReport v2 says: without dates,
                                        the last 90 days; at most 1000, newest
                                        first; no search by text or attribute
    GET  requests/{id}.json
Control (for demos and tests; JSON):
    GET  _sim/stats                     calls, failures, timeouts, stored, replays
    GET  _sim/requests                  everything stored, with its key and the
                                        headers of each receipt (`received_headers`)
    POST _sim/faults                    {"fail_rate", "fail_status", "timeout_rate",
                                         "hang_seconds", "slow_seconds", "seed",
                                         "honour_idempotency_key"}
    POST _sim/outage                    {"seconds": n}: refuse connections for n s
    POST _sim/requests/{id}/status      {"status": "open"|"closed", "status_notes"}

Faults: a *failed* call answers `fail_status` and stores nothing; a
*timed-out* call stores the request and then hangs `hang_seconds` before
answering (the answer is lost to a client with a shorter timeout: the
nasty case an idempotency key exists for); during an outage the port is
closed (connection refused).
"""
import json
import logging
import random
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

SERVICES = [{"service_code": code, "service_name": name, "description": name,
             "metadata": False, "type": "realtime", "keywords": "", "group": "PMOC"}
            for code, name in [
                ("SERVICE-DELAY", "ให้บริการล่าช้า"), ("STAFF-CONDUCT", "พฤติกรรมเจ้าหน้าที่"),
                ("COPY-DEMANDED", "ถูกเรียกสำเนาเอกสาร"), ("FEE-ISSUE", "ค่าธรรมเนียม"),
                ("CORRUPTION", "ทุจริต"), ("INFORMATION", "ข้อมูลไม่ถูกต้อง"),
                ("FACILITY", "สถานที่"), ("ROAD-PUBLIC-WORKS", "ถนน ไฟฟ้า"),
                ("NUISANCE", "เหตุเดือดร้อนรำคาญ"), ("OTHER", "อื่น ๆ")]]
MAX_BODY = 256 * 1024


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class PmocState:
    """What the stand-in holds and how it misbehaves; thread-safe."""

    def __init__(self, api_key="", accept_unknown_services=True):
        self.api_key = api_key
        self.accept_unknown_services = accept_unknown_services
        self.lock = threading.Lock()
        self.requests = {}  # service_request_id -> record
        self.by_key = {}  # Idempotency-Key -> service_request_id
        self.stats = {"calls": 0, "post_calls": 0, "failed": 0, "timed_out": 0,
                      "stored": 0, "replayed": 0, "rejected": 0}
        self.set_faults()

    def set_faults(self, fail_rate=0.0, fail_status=500, timeout_rate=0.0,
                   hang_seconds=5.0, slow_seconds=0.0, seed=None, honour_idempotency_key=True):
        with self.lock:
            self.honour_idempotency_key = bool(honour_idempotency_key)
            self.fail_rate = float(fail_rate)
            self.fail_status = int(fail_status)
            self.timeout_rate = float(timeout_rate)
            self.hang_seconds = float(hang_seconds)
            self.slow_seconds = float(slow_seconds)
            self.rng = random.Random(seed)

    def faults(self):
        return {"fail_rate": self.fail_rate, "fail_status": self.fail_status,
                "timeout_rate": self.timeout_rate, "hang_seconds": self.hang_seconds,
                "slow_seconds": self.slow_seconds,
                "honour_idempotency_key": self.honour_idempotency_key}

    def draw(self):
        """'fail', 'timeout' or None for one POST."""
        with self.lock:
            x = self.rng.random()
            if x < self.fail_rate:
                return "fail"
            if x < self.fail_rate + self.timeout_rate:
                return "timeout"
            return None

    def count(self, name):
        with self.lock:
            self.stats[name] += 1

    def store(self, form, key, headers=None):
        """(record, replayed?) — one record per idempotency key; the
        headers of every receipt are kept (tests read the request ids)."""
        headers = dict(headers or {})
        with self.lock:
            if not self.honour_idempotency_key:
                key = None  # a plain Open311 server: every POST is a new request
            if key and key in self.by_key:
                record = self.requests[self.by_key[key]]
                record["received_count"] += 1
                record["received_headers"].append(headers)
                self.stats["replayed"] += 1
                return record, True
            request_id = "PMOC-{:07d}".format(len(self.requests) + 1)
            now = _now()
            record = {"service_request_id": request_id, "status": "open", "status_notes": None,
                      "service_code": form.get("service_code"),
                      "description": form.get("description"),
                      "lat": form.get("lat"), "long": form.get("long"),
                      "address": form.get("address_string"), "media_url": form.get("media_url"),
                      "requested_datetime": now, "updated_datetime": now,
                      "agency_responsible": "สำนักงานปลัดสำนักนายกรัฐมนตรี (ศูนย์บริการประชาชน 1111)",
                      "service_notice": "รับเรื่องแล้ว / Received by PMOC 1111",
                      "idempotency_key": key, "received_count": 1, "form": dict(form),
                      "received_headers": [headers]}
            self.requests[request_id] = record
            if key:
                self.by_key[key] = request_id
            self.stats["stored"] += 1
            return record, False

    def set_status(self, request_id, status, notes=None):
        with self.lock:
            record = self.requests.get(request_id)
            if record is None:
                return None
            record["status"] = status
            record["status_notes"] = notes
            record["updated_datetime"] = _now()
            return dict(record)

    def snapshot(self):
        with self.lock:
            return {"stats": dict(self.stats), "faults": self.faults(),
                    "requests": [dict(r, received_headers=list(r["received_headers"]))
                                 for r in self.requests.values()]}


def _parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date_window(query):
    """GeoReport v2's start_date/end_date; without them, the last 90 days."""
    until = query.get("end_date")
    since = query.get("start_date")
    until = _parse(until[0]) if until else datetime.now(timezone.utc)
    since = _parse(since[0]) if since else until - timedelta(days=90)
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("a time zone is required")
    return since, until


PUBLIC_FIELDS = ("service_request_id", "status", "status_notes", "service_code", "description",
                 "agency_responsible", "service_notice", "requested_datetime",
                 "updated_datetime", "address", "lat", "long", "media_url")


def public(record):
    return {k: record.get(k) for k in PUBLIC_FIELDS}


class Handler(BaseHTTPRequestHandler):
    server_version = "PMOC-sim/1"
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.pmoc_state

    def log_message(self, fmt, *args):  # quiet; the logger has it at debug
        log.debug("pmoc-sim: " + fmt, *args)

    def _send(self, status, body):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, description):
        self._send(status, [{"code": status, "description": description}])

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _path(self):
        parts = urlsplit(self.path)
        return parts.path.rstrip("/"), parse_qs(parts.query)

    def do_GET(self):
        self.state.count("calls")
        path, query = self._path()
        if path.endswith("/_sim/stats"):
            snap = self.state.snapshot()
            return self._send(200, {"stats": snap["stats"], "faults": snap["faults"]})
        if path.endswith("/_sim/requests"):
            return self._send(200, self.state.snapshot()["requests"])
        if path.endswith("/discovery.json"):
            return self._send(200, {"changeset": "2026-01-01T00:00:00+00:00",
                                    "contact": "PMOC stand-in (cfz pmoc-sim)",
                                    "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                                                   "url": "", "type": "test",
                                                   "formats": ["application/json"]}]})
        if path.endswith("/services.json"):
            return self._send(200, SERVICES)
        if path.endswith("/requests.json"):
            snap = self.state.snapshot()["requests"]
            ids = [i for v in query.get("service_request_id", []) for i in v.split(",") if i]
            if ids:
                wanted = set(ids)
                found = [public(r) for r in snap if r["service_request_id"] in wanted]
            else:
                status = (query.get("status") or [None])[0]
                code = (query.get("service_code") or [None])[0]
                try:
                    since, until = _date_window(query)
                except ValueError:
                    return self._error(400, "start_date and end_date must be w3c datetimes")
                found = [public(r) for r in reversed(snap)
                         if (not status or r["status"] == status)
                         and (not code or r["service_code"] == code)
                         and since <= _parse(r["requested_datetime"]) <= until][:1000]
            return self._send(200, found)
        if "/requests/" in path and path.endswith(".json"):
            request_id = path.rsplit("/", 1)[1][:-5]
            found = [public(r) for r in self.state.snapshot()["requests"]
                     if r["service_request_id"] == request_id]
            return self._send(200, found) if found else self._error(404, "No such request")
        return self._error(404, "Unknown resource")

    def do_POST(self):
        self.state.count("calls")
        path, _ = self._path()
        raw = self._body()
        if raw is None:
            return self._error(413, "Body too large")
        if "/_sim/" in path:
            return self._control(path, raw)
        if not path.endswith("/requests.json"):
            return self._error(404, "Unknown resource")
        self.state.count("post_calls")
        if self.state.slow_seconds:
            time.sleep(self.state.slow_seconds)
        fault = self.state.draw()
        if fault == "fail":
            self.state.count("failed")
            return self._error(self.state.fail_status, "Simulated failure")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}
        if self.state.api_key and form.get("api_key") != self.state.api_key:
            self.state.count("rejected")
            return self._error(403, "Invalid api_key")
        if not form.get("service_code"):
            self.state.count("rejected")
            return self._error(400, "service_code is required")
        if not ((form.get("lat") and form.get("long")) or form.get("address_string")
                or form.get("address_id")):
            self.state.count("rejected")
            return self._error(400, "A location is required (lat/long, address_string or address_id)")
        record, _ = self.state.store(form, self.headers.get("Idempotency-Key"),
                                     dict(self.headers.items()))
        if fault == "timeout":
            self.state.count("timed_out")
            time.sleep(self.state.hang_seconds)
        self._send(201, [{"service_request_id": record["service_request_id"],
                          "service_notice": record["service_notice"], "account_id": None}])

    def _control(self, path, raw):
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except ValueError:
            return self._error(400, "Send JSON")
        if path.endswith("/_sim/faults"):
            self.state.set_faults(**{k: body[k] for k in (
                "fail_rate", "fail_status", "timeout_rate", "hang_seconds", "slow_seconds",
                "seed", "honour_idempotency_key") if k in body})
            return self._send(200, self.state.faults())
        if path.endswith("/_sim/outage"):
            seconds = float(body.get("seconds", 5))
            threading.Thread(target=self.server.pmoc_owner.outage, args=(seconds,),
                             daemon=True).start()
            return self._send(202, {"outage_seconds": seconds})
        if "/_sim/requests/" in path and path.endswith("/status"):
            request_id = path.split("/_sim/requests/")[1].rsplit("/", 1)[0]
            record = self.state.set_status(request_id, body.get("status", "closed"),
                                           body.get("status_notes"))
            return self._send(200, public(record)) if record else self._error(404, "No such request")
        return self._error(404, "Unknown control")


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops bursts of connections

    def __init__(self, *args, **kwargs):
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def get_request(self):
        connection, address = super().get_request()
        with self.connections_lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self):
        """An outage ends kept-alive connections too, as a real one does."""
        with self.connections_lock:
            connections, self.connections = list(self.connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # a client that gave up before our (deliberately late) answer
        import sys
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class PmocSimulator:
    """The stand-in server on host:port (port 0 picks a free one)."""

    def __init__(self, host="127.0.0.1", port=0, api_key="", state=None):
        self.host = host
        self.port = port
        self.state = state or PmocState(api_key=api_key)
        self.server = None
        self.thread = None
        self._lock = threading.Lock()

    @property
    def url(self):
        return "http://{}:{}".format(self.host, self.port)

    def start(self):
        with self._lock:
            if self.server is not None:
                return self
            server = _Server((self.host, self.port), Handler)
            server.pmoc_state = self.state
            server.pmoc_owner = self
            self.port = server.server_address[1]
            self.server = server
            self.thread = threading.Thread(target=server.serve_forever,
                                           kwargs={"poll_interval": 0.05}, daemon=True)
            self.thread.start()
            return self

    def stop(self):
        """Close the port: callers get 'connection refused' (an outage)."""
        with self._lock:
            server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
            if self.thread is not None:
                self.thread.join(5)

    def outage(self, seconds):
        self.stop()
        time.sleep(seconds)
        self.start()

    # conveniences for tests and demos
    def set_faults(self, **faults):
        self.state.set_faults(**faults)

    def set_status(self, request_id, status, notes=None):
        return self.state.set_status(request_id, status, notes)

    def snapshot(self):
        return self.state.snapshot()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(host="127.0.0.1", port=8311, api_key="", **faults):
    """Run the stand-in until interrupted (for `cfz pmoc-sim`)."""
    sim = PmocSimulator(host, port, api_key=api_key)
    if faults:
        sim.set_faults(**faults)
    sim.start()
    return sim

"""Log lines: JSON (one object a line) or text, each with the ids of the
work it belongs to (services/common/context.py). `configure` is the one
place logging is set up (the `cfz` command calls it).

Settings, read from the environment:
    CFZ_LOG_FORMAT   json | text (default text)
    CFZ_LOG_LEVEL    debug | info | warning | error (default info)
"""
import json
import logging
import os
import sys
from datetime import datetime, timezone

from services.common import context

FORMATS = ("json", "text")
LEVELS = ("debug", "info", "warning", "error", "critical")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", then service, entrypoint,
    request_id, correlation_id, causation_id, call_id when known, then
    "exception" with the traceback}. The ids are the current green
    thread's: handlers format in the thread that logs, so a line logged
    anywhere in a worker says whose work it is."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        ids = context.current()
        for name in context.FIELDS:
            value = ids.get(name)
            if value is not None:
                line[name] = value
        extra = getattr(record, "cfz_fields", None)
        if extra:
            for key, value in extra.items():
                line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the service and request id when known."""

    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def format(self, record):
        ids = context.current()
        parts = [ids[name] for name in ("service", "request_id") if ids.get(name)]
        record.ids = " [{}]".format(" ".join(parts)) if parts else ""
        return super().format(record)


def settings(environ=None):
    """(format, level) from the environment; a bad value is a ValueError
    naming the setting."""
    environ = os.environ if environ is None else environ
    fmt = (environ.get("CFZ_LOG_FORMAT") or "text").strip().lower()
    level = (environ.get("CFZ_LOG_LEVEL") or "info").strip().lower()
    if fmt not in FORMATS:
        raise ValueError("CFZ_LOG_FORMAT must be json or text, got {!r}".format(fmt))
    if level not in LEVELS:
        raise ValueError("CFZ_LOG_LEVEL must be one of {}, got {!r}".format(
            ", ".join(LEVELS), level))
    return fmt, level


def configure(fmt="text", level="info", stream=None):
    """Root logging to `stream` (stderr) in `fmt`, at `level`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    # no line shows them, and under eventlet naming the current thread for
    # every record costs more than formatting it
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller's file and line: skips a stack walk per record
    # nameko logs every worker's setup and timings at debug: our own
    # entrypoint lines (services/common/metrics.py) say it once
    if root.level <= logging.DEBUG:
        logging.getLogger("nameko").setLevel(logging.INFO)
        logging.getLogger("kombu").setLevel(logging.INFO)
        logging.getLogger("amqp").setLevel(logging.INFO)
        logging.getLogger("urllib3").setLevel(logging.INFO)
    return handler

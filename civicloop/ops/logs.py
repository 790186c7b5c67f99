"""Logs as JSON lines on standard error: one object per line, ready for any collector.

Every line has `time` (ISO 8601 with the UTC offset), `level`, `logger` and `msg`; what a
caller passes in `extra` becomes more keys (a request log: request_id, method, path,
route, status, duration_ms, user, client; a sweep: holder, checked, …). An error adds
`error` with the traceback.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        out.setdefault("pid", os.getpid())
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(access_log: bool = True) -> None:
    """civicloop's loggers write JSON lines to standard error (once per process)."""
    root = logging.getLogger("civicloop")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    logging.getLogger("civicloop.access").disabled = not access_log

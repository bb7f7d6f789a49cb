"""Logging set-up shared by every subcommand: logfmt or JSON on stderr, the API key
redacted from every line."""

from __future__ import annotations

import json
import logging
import sys
import time


class _Redact(logging.Filter):
    """Last line of defence: the key is replaced wherever it would reach a log line."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        for secret in self.secrets:
            msg = record.getMessage()
            if secret in msg:
                record.msg, record.args = msg.replace(secret, "[REDACTED]"), None
            if record.exc_info and record.exc_info[1] and secret in str(record.exc_info[1]):
                record.exc_info = None
                record.msg = f"{record.msg} (exception text withheld: it held the API key)"
        return True


REDACT = _Redact()


class _LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        msg = record.getMessage()
        if record.exc_info:
            msg += " " + self.formatException(record.exc_info).replace("\n", " | ")
        return (
            f"ts={ts}.{int(record.msecs):03d}Z level={record.levelname.lower()} "
            f"logger={record.name} msg={json.dumps(msg, ensure_ascii=False)}"
        )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str, fmt: str, secret: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _LogfmtFormatter())
    if secret:
        REDACT.secrets.add(secret)
    handler.addFilter(REDACT)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request URL

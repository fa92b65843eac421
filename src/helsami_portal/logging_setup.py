"""Logging of every portal process: one configuration, plain text or JSON, the same in every worker.

`helsami-portal serve` hands `log_config(...)` to uvicorn, which applies it in the main process and
in each worker it starts (`--workers N`), so every line has its time, level, logger and process,
and INFO lines (the safety net's "moved N items") are kept. `configure(...)` applies it in the
other commands. Log lines carry ids, never patient data, query strings, bodies or tokens.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .api.logsafe import SafeFormatter

PLAIN = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"


def log_config(fmt: str = "plain", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; picklable, so uvicorn can give it to its workers."""
    # Tracebacks as exception types and code places only (no messages, values or locals: they may
    # hold patient data): api.logsafe's formatter, plain or as JSON.
    if fmt == "json":
        formatter: dict[str, Any] = {
            "()": "helsami_portal.logging_setup.SafeJsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    else:
        formatter = {
            "()": "helsami_portal.api.logsafe.SafeFormatter",
            "format": PLAIN,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own loggers go through the root handler, in the same format.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # The portal writes its own access line (helsami_portal.access, ids only).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "alembic": {"handlers": [], "level": "WARNING", "propagate": True},
            "sqlalchemy": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


class SafeJsonFormatter(JsonFormatter):
    """JSON log lines whose tracebacks are types and places only, as api.logsafe's plain ones."""

    formatException = SafeFormatter.formatException
    formatStack = SafeFormatter.formatStack


def configure(fmt: str = "plain", level: str = "INFO") -> None:
    logging.config.dictConfig(log_config(fmt, level))

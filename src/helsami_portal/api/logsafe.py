"""Logging set up by the portal, not left to uvicorn's defaults: no exception messages, no
values, no locals in any traceback (they may hold patient data), and an access line per request
with ids and status only (api.guard). SQL parameters are never logged (store.db, hide_parameters).
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from typing import Any


class SafeFormatter(logging.Formatter):
    """Formats a traceback as exception types and code places only: no messages, no values."""

    def formatException(self, ei: Any) -> str:
        _typ, exc, _tb = ei
        lines = ["Traceback (types and places only; messages and values are not logged):"]
        seen: set[int] = set()
        chain: list[BaseException] = []
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
        for e in reversed(chain):
            for frame in traceback.extract_tb(e.__traceback__):
                lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            lines.append(f"{type(e).__module__}.{type(e).__qualname__}")
        return "\n".join(lines)

    def formatStack(self, stack_info: str) -> str:
        return "(stack not logged)"


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_config(level: str = "INFO", *, portal_loggers: bool = True) -> dict[str, Any]:
    """A logging.config dict for uvicorn.run(log_config=...), and (`portal_loggers`) for the
    portal's own loggers and the root; an embedded portal leaves those to its host program."""
    handler = {"class": "logging.StreamHandler", "formatter": "safe", "stream": "ext://sys.stderr"}
    conf: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"safe": {"()": "helsami_portal.api.logsafe.SafeFormatter", "format": FORMAT}},
        "handlers": {"safe": handler},
        "loggers": {
            "uvicorn": {"handlers": ["safe"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["safe"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # api.guard logs instead
            "helsami_portal": {"handlers": ["safe"], "level": level, "propagate": False},
            "sqlalchemy": {"handlers": ["safe"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["safe"], "level": "WARNING"},
    }
    if not portal_loggers:
        for name in ("helsami_portal", "sqlalchemy"):
            del conf["loggers"][name]
        del conf["root"]
    return conf


def install(level: str = "INFO") -> None:
    """Apply log_config() to this process (the `helsami-portal` commands)."""
    logging.config.dictConfig(log_config(level))


def make_safe(logger_names: tuple[str, ...] = ("uvicorn.error", "uvicorn", "helsami_portal")) -> None:
    """Give the handlers of these loggers the safe formatter (for an embedded portal, whose host
    program owns the logging set-up)."""
    for name in logger_names:
        for h in logging.getLogger(name).handlers:
            fmt = h.formatter._fmt if h.formatter is not None else FORMAT
            h.setFormatter(SafeFormatter(fmt))

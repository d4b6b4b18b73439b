"""yoi plugin SDK for Python: logging through the ``log`` host API.

Records go to the host operator (bounded, never part of a tool result).
Importing this module makes the component import ``yoi:plugin/log@1.0.0``,
so the manifest must list ``"log"`` in ``permissions.host_apis``::

    from yoi_plugin import log
    log.info(f"reading {path}")

:func:`handler` bridges the standard :mod:`logging` module to the host.
"""

from __future__ import annotations

import logging

from wit_world.imports import log as _host

__all__ = ["log", "trace", "debug", "info", "warn", "error", "handler"]

_LEVELS = {
    "trace": _host.Level.TRACE,
    "debug": _host.Level.DEBUG,
    "info": _host.Level.INFO,
    "warn": _host.Level.WARN,
    "error": _host.Level.ERROR,
}


def log(level: str, message: object) -> None:
    """Record ``message`` at ``level`` (``"trace"`` ... ``"error"``)."""
    try:
        wit_level = _LEVELS[level]
    except KeyError:
        raise ValueError(f"unknown log level: {level!r}") from None
    _host.log(wit_level, str(message))


def trace(message: object) -> None:
    log("trace", message)


def debug(message: object) -> None:
    log("debug", message)


def info(message: object) -> None:
    log("info", message)


def warn(message: object) -> None:
    log("warn", message)


def error(message: object) -> None:
    log("error", message)


class _HostHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            level = "error"
        elif record.levelno >= logging.WARNING:
            level = "warn"
        elif record.levelno >= logging.INFO:
            level = "info"
        elif record.levelno >= logging.DEBUG:
            level = "debug"
        else:
            level = "trace"
        try:
            log(level, self.format(record))
        except Exception:  # noqa: BLE001 - logging must never fail a tool
            self.handleError(record)


def handler() -> logging.Handler:
    """A :class:`logging.Handler` sending records to the host log:
    ``logging.getLogger().addHandler(yoi_plugin.log.handler())``."""
    return _HostHandler()

"""libhams' log records, routed into the :mod:`logging` logger ``"hams"``
(done when the package is imported)."""

from __future__ import annotations

import logging
from typing import Optional

from ._callbacks import _tls
from ._native import _C, _LOG_FN
from .errors import HamsError, _check

#: The :mod:`logging` level of libhams' trace records (below DEBUG).
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_logger = logging.getLogger("hams")

_HAMS_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: TRACE}


def _on_log(user: Optional[int], level: int, target: Optional[bytes], message: Optional[bytes]) -> None:
    try:
        if getattr(_tls, "quiet", False):
            return
        pylevel = _HAMS_LEVELS.get(level, logging.INFO)
        if not _logger.isEnabledFor(pylevel):
            return
        text = message.decode("utf-8", "replace") if message else ""
        tgt = target.decode("utf-8", "replace") if target else "hams"
        _logger.log(pylevel, "%s", text, extra={"hams_target": tgt})
    except BaseException:  # noqa: BLE001 - never into C
        pass


_log_callback = _LOG_FN(_on_log)


def _hams_level(level: int) -> int:
    """A logging level as libhams' max_level: 0 off, 1 error .. 5 trace."""
    if level > logging.CRITICAL:
        return 0
    if level > logging.WARNING:
        return 1
    if level > logging.INFO:
        return 2
    if level > logging.DEBUG:
        return 3
    if level > TRACE:
        return 4
    return 5


def log_to_python(level: int = TRACE) -> None:
    """Routes libhams' log records at or above ``level`` (a :mod:`logging`
    level) to the logger ``"hams"``, process-wide. Done when the package is
    imported, for every level; the logger's own level filters them further.
    """
    _check(_C.set_logger(_log_callback, None, _hams_level(level)), "hams_set_logger")


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Gives libhams' log records back to its own stderr logger (lines
    prefixed ``hams: ``), at or above ``level`` (WARNING by default)."""
    _check(_C.set_logger(_LOG_FN(), None, _hams_level(level)), "hams_set_logger")


try:
    log_to_python()
except HamsError as _e:  # e.g. a Rust host with its own logger
    _logger.debug("hams' log records stay where they are: %s", _e)

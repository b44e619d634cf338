"""Workers mode: one hams server for a pre-fork or multi-process service.

The parent (a gunicorn master, the process that starts uvicorn's workers,
...) makes its :class:`~hams.Hams` with ``workers=True`` (or calls
``set_workers(True)`` before registering metrics) and starts it; its
``/hams/metrics`` then shows every worker's metrics, and its checks every
worker's probes as ``name@pid``. A forked worker keeps using the handle it
inherited; a spawned one (``multiprocessing`` spawn, an exec'd program)
calls :func:`attach`. libhams shares the values through memory it mapped
before the fork, so nothing here runs per update."""

from __future__ import annotations

import ctypes
import os
from typing import TYPE_CHECKING, Any, Callable, Union

from ._native import _C
from .errors import ERR_INVALID, ERR_STATE, HamsError, _check, _last_error

if TYPE_CHECKING:
    from .server import Hams

#: Gauge aggregation across workers: one series per worker, labelled ``pid`` (the default).
AGG_PER_WORKER = 0
#: The sum over the live workers (and the parent).
AGG_SUM = 1
#: The largest value of a live worker.
AGG_MAX = 2
#: The smallest value of a live worker.
AGG_MIN = 3

_BY_NAME = {"per_worker": AGG_PER_WORKER, "sum": AGG_SUM, "max": AGG_MAX, "min": AGG_MIN}

#: What ``set_aggregation`` takes: a name or one of the ``AGG_*`` constants.
Aggregation = Union[str, int]


def _aggregation(how: Aggregation) -> int:
    if isinstance(how, str):
        if how in _BY_NAME:
            return _BY_NAME[how]
        raise HamsError(f"unknown aggregation {how!r} (one of: {', '.join(_BY_NAME)})", ERR_INVALID)
    if isinstance(how, int) and not isinstance(how, bool):
        if -(2**31) <= how < 2**31:
            return how  # libhams refuses what it does not know
        raise HamsError(f"unknown aggregation {how}", ERR_INVALID)
    raise TypeError(f"aggregation must be a str or a hams.AGG_* constant, not {type(how).__name__}")


def _need(fn: Any, what: str) -> Callable[..., Any]:
    if fn is None:
        raise HamsError(f"this libhams has no workers mode ({what} is missing: libhams 0.2 or later)", ERR_STATE)
    return fn  # type: ignore[no-any-return]


def _set_aggregation(ptr: int, how: Aggregation, c_name: str) -> None:
    fn = _need(getattr(_C, c_name), "hams_" + c_name)
    _check(fn(ptr, _aggregation(how)), "hams_" + c_name)


def set_workers(handle: int, enabled: bool) -> None:
    """hams_set_workers on a raw handle (see :meth:`Hams.set_workers`)."""
    _check(_need(_C.set_workers, "hams_set_workers")(handle, bool(enabled)), "hams_set_workers")
    _mirror_environment()


def _mirror_environment() -> None:
    # libhams sets HAMS_WORKERS with setenv(3); os.environ is a copy made at
    # start-up, and children started with env=dict(os.environ) (or
    # os.environ.copy()) would miss it.
    value = _getenv(ENV.encode())
    if value:
        os.environ[ENV] = value.decode("utf-8", "surrogateescape")
    else:
        os.environ.pop(ENV, None)


#: The environment variable naming the parent's tree to its workers.
ENV = "HAMS_WORKERS"
_getenv = ctypes.CDLL(None).getenv
_getenv.restype = ctypes.c_char_p
_getenv.argtypes = [ctypes.c_char_p]


def attach() -> "Hams":
    """In a worker process: a handle that joins the parent's hams (the one
    named by ``$HAMS_WORKERS``, which a parent in workers mode sets for its
    children). Register probes and metrics on it as usual; serving calls
    (``start``, ``shutdown``, ``wait``, ...) raise :class:`HamsError`, since
    the parent serves. Closing it (or the process ending) leaves the tree.

    Raises :class:`HamsError` with libhams' message (``code`` is
    ``ERR_STATE`` when no ancestor is in workers mode)."""
    from .server import Hams

    ptr = _need(_C.attach, "hams_attach")()
    if not ptr:
        code = _C.last_error_code()
        raise HamsError(_last_error() or "hams_attach failed", code if code < 0 else None)
    return Hams._attached(ptr)

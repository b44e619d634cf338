"""hams: health and lifecycle endpoints for Python services.

A pure-ctypes binding of libhams, the Health and Monitoring System: a small
C library that serves the endpoints Kubernetes, systemd and Prometheus
expect (``/hams/alive``, ``/hams/ready``, ``/hams/startup``,
``/hams/metrics``, ...) from its own background thread::

    import hams

    with hams.Hams("orders", "1.4.2", address="0.0.0.0:8079") as h:
        db = h.probe_manual("db", healthy=False, reason="connecting")
        loop = h.probe_kick("main-loop", margin=5.0, checks=hams.ALIVE)
        jobs = h.counter("jobs_total", "Jobs done")
        db.set(True)
        while not h.wait(0.1):
            loop.kick()
            jobs.inc()

Loading: ``$HAMS_LIBRARY`` (a path) if set, else the platform's normal
lookup (``ctypes.util.find_library("hams")``, then ``libhams.so.0``).

Logging: when this module is imported it routes libhams' log records into
the :mod:`logging` logger ``"hams"`` (levels error, warning, info, debug and
:data:`TRACE`; the record's ``hams_target`` attribute names the library
module, e.g. ``"hams::server"``). :func:`log_to_stderr` gives them back to
libhams' own stderr logger; :func:`log_to_python` routes them here again.

Threads: check, shutdown and metrics callbacks run on libhams' threads;
ctypes takes the GIL for them. An exception in a callback never reaches C:
it is logged to the ``"hams"`` logger and, for a check, fails the probe with
the exception's text as the reason. Blocking calls (:meth:`Hams.wait`,
:meth:`Hams.close`, ...) release the GIL.

Ownership: probes and metrics belong to their :class:`Hams`; they stay
registered when their Python object is dropped, until their ``close()`` or
the Hams' ``close()``. Closing a Hams (or leaving its ``with`` block, or its
garbage collection, or the interpreter's exit) stops and frees it; its
probes and metrics can no longer be used (:class:`HamsError`).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import json
import logging
import math
import os
import signal
import threading
import time
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

__all__ = [
    "ALIVE",
    "READY",
    "STARTUP",
    "TRACE",
    "OK",
    "ERR_NULL",
    "ERR_INVALID",
    "ERR_STATE",
    "ERR_IO",
    "ERR_CONFIG",
    "ERR_PANIC",
    "HamsError",
    "Hams",
    "Probe",
    "Metric",
    "Counter",
    "Gauge",
    "Histogram",
    "CheckResult",
    "version",
    "library_path",
    "log_to_python",
    "log_to_stderr",
]

__version__ = "0.1.0"

#: The probe takes part in the liveness check (``/hams/alive``).
ALIVE = 1
#: The probe takes part in the readiness check (``/hams/ready``).
READY = 2
#: The probe takes part in the startup check (``/hams/startup``).
STARTUP = 4

#: Return codes of libhams (``HamsError.code``).
OK = 0
ERR_NULL = -1
ERR_INVALID = -2
ERR_STATE = -3
ERR_IO = -4
ERR_CONFIG = -5
ERR_PANIC = -6

#: The :mod:`logging` level of libhams' trace records (below DEBUG).
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_logger = logging.getLogger("hams")

#: What a check function may return: healthy, or (healthy, reason).
CheckResult = Union[bool, Tuple[bool, Optional[str]]]

_F = TypeVar("_F", bound=Callable[..., Any])


class HamsError(Exception):
    """A libhams call failed.

    ``str(err)`` and ``err.message`` are libhams' own message
    (``hams_last_error()``); ``err.code`` is the negative ``ERR_*`` code the
    call returned, or ``None`` when the failing C function returns a
    pointer (``hams_new``, ``hams_probe_new_*``, ``hams_counter_new``, ...),
    for which libhams reports no code.
    """

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message: str = message
        self.code: Optional[int] = code


# --------------------------------------------------------------------------
# The library


def _load_library() -> Tuple[ctypes.CDLL, str]:
    override = os.environ.get("HAMS_LIBRARY")
    if override:
        try:
            return ctypes.CDLL(override), override
        except OSError as e:
            raise ImportError(f"hams: cannot load HAMS_LIBRARY={override!r}: {e}") from e
    names: List[str] = []
    found = ctypes.util.find_library("hams")
    if found:
        names.append(found)
    if "libhams.so.0" not in names:
        names.append("libhams.so.0")
    tried: List[str] = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append(str(e))
    raise ImportError(
        "hams: cannot find libhams (" + "; ".join(tried) + "); install it "
        "(make install), add its directory to LD_LIBRARY_PATH, or set "
        "HAMS_LIBRARY to its path"
    )


_lib, _lib_name = _load_library()

_vp = ctypes.c_void_p
_cs = ctypes.c_char_p
_int = ctypes.c_int

_SHUTDOWN_FN = ctypes.CFUNCTYPE(None, _vp)
_LOG_FN = ctypes.CFUNCTYPE(None, _vp, _int, _cs, _cs)
_METRICS_FN = ctypes.CFUNCTYPE(None, _vp, _vp)
_CHECK_FN = ctypes.CFUNCTYPE(ctypes.c_bool, _vp, _vp, ctypes.c_size_t)


def _proto(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class _C:
    """The C functions, with their prototypes."""

    version = _proto("hams_version", _cs)
    last_error = _proto("hams_last_error", _cs)
    new = _proto("hams_new", _vp, _cs, _cs)
    set_address = _proto("hams_set_address", _int, _vp, _cs)
    start = _proto("hams_start", _int, _vp)
    port = _proto("hams_port", _int, _vp)
    stop = _proto("hams_stop", _int, _vp)
    free = _proto("hams_free", None, _vp)
    new_from_file = _proto("hams_new_from_file", _vp, _cs)
    new_from_yaml = _proto("hams_new_from_yaml", _vp, _cs)
    on_shutdown = _proto("hams_on_shutdown", _int, _vp, _SHUTDOWN_FN, _vp)
    shutdown = _proto("hams_shutdown", _int, _vp)
    wait = _proto("hams_wait", _int, _vp, ctypes.c_int64)
    handle_signals = _proto("hams_handle_signals", _int, _vp, ctypes.c_bool)
    set_logger = _proto("hams_set_logger", _int, _LOG_FN, _vp, _int)
    counter_new = _proto("hams_counter_new", _vp, _vp, _cs, _cs)
    counter_new_labeled = _proto("hams_counter_new_labeled", _vp, _vp, _cs, _cs, _vp)
    gauge_new = _proto("hams_gauge_new", _vp, _vp, _cs, _cs)
    gauge_new_labeled = _proto("hams_gauge_new_labeled", _vp, _vp, _cs, _cs, _vp)
    histogram_new = _proto(
        "hams_histogram_new", _vp, _vp, _cs, _cs, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t
    )
    histogram_new_labeled = _proto(
        "hams_histogram_new_labeled",
        _vp,
        _vp,
        _cs,
        _cs,
        ctypes.POINTER(ctypes.c_double),
        ctypes.c_size_t,
        _vp,
    )
    counter_add = _proto("hams_counter_add", _int, _vp, ctypes.c_double)
    gauge_set = _proto("hams_gauge_set", _int, _vp, ctypes.c_double)
    gauge_add = _proto("hams_gauge_add", _int, _vp, ctypes.c_double)
    histogram_observe = _proto("hams_histogram_observe", _int, _vp, ctypes.c_double)
    metric_free = _proto("hams_metric_free", _int, _vp)
    metrics_append = _proto("hams_metrics_append", _int, _vp, _cs)
    set_metrics_callback = _proto("hams_set_metrics_callback", _int, _vp, _METRICS_FN, _vp)
    probe_new_manual = _proto("hams_probe_new_manual", _vp, _vp, _cs, ctypes.c_uint, ctypes.c_bool)
    probe_new_kick = _proto("hams_probe_new_kick", _vp, _vp, _cs, ctypes.c_uint, ctypes.c_uint64)
    probe_new_callback = _proto(
        "hams_probe_new_callback",
        _vp,
        _vp,
        _cs,
        ctypes.c_uint,
        _CHECK_FN,
        _vp,
        ctypes.c_uint64,
        ctypes.c_uint64,
    )
    probe_set = _proto("hams_probe_set", _int, _vp, ctypes.c_bool, _cs)
    probe_kick = _proto("hams_probe_kick", _int, _vp)
    probe_get = _proto("hams_probe_get", _vp, _vp, _cs)
    probe_free = _proto("hams_probe_free", _int, _vp)


def version() -> str:
    """libhams' version, e.g. ``"0.1.0"``."""
    v: bytes = _C.version()
    return v.decode("utf-8", "replace")


def library_path() -> str:
    """The name or path the library was loaded from."""
    return _lib_name


def _last_error() -> str:
    msg: Optional[bytes] = _C.last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def _check(rc: int, what: str) -> int:
    if rc < 0:
        raise HamsError(_last_error() or f"{what} failed with code {rc}", rc)
    return rc


def _check_ptr(ptr: Optional[int], what: str) -> int:
    if not ptr:
        raise HamsError(_last_error() or f"{what} failed")
    return ptr


def _cstr(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise HamsError(f"{what} is not valid UTF-8 ({e})", ERR_INVALID) from None
    if b"\0" in data:
        raise HamsError(f"{what} {value!r} contains a NUL character", ERR_INVALID)
    return data


def _ms(seconds: float, what: str) -> int:
    """Seconds as whole milliseconds (at least 1 for a positive value)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise HamsError(f"{what} must be a finite, non-negative number of seconds, not {seconds!r}", ERR_INVALID)
    ms = int(round(seconds * 1000))
    if seconds > 0 and ms == 0:
        ms = 1
    return ms


def _checks_bits(checks: int) -> int:
    if isinstance(checks, bool) or not isinstance(checks, int):
        raise TypeError(f"checks must be an int (hams.ALIVE | hams.READY | hams.STARTUP), not {type(checks).__name__}")
    if checks < 0 or checks > 0xFFFFFFFF:
        raise HamsError(f"checks {checks} is out of range", ERR_INVALID)
    return checks


# --------------------------------------------------------------------------
# Callbacks: run on hams threads (or, for log records, on any thread that
# calls hams). Nothing raised in them may reach C.

_tls = threading.local()


def _in_callback() -> bool:
    return bool(getattr(_tls, "depth", 0))


class _CallbackScope:
    def __enter__(self) -> None:
        _tls.depth = getattr(_tls, "depth", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _tls.depth -= 1


_callback_scope = _CallbackScope()

#: Callback objects that C may call for as long as the process lives (those
#: of handles this module does not own).
_immortal: List[Any] = []

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
    level) to the logger ``"hams"``, process-wide. Done when this module is
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


def _interpret(result: Any) -> Tuple[bool, Optional[str]]:
    if isinstance(result, tuple):
        if len(result) != 2:
            return False, f"check returned a tuple of {len(result)}, expected (bool, reason)"
        ok, why = result
        return bool(ok), (None if why is None else str(why))
    if result is None:
        return False, "check returned None, expected bool or (bool, reason)"
    return bool(result), None


def _write_reason(buf: int, size: int, text: str) -> None:
    if not buf or size <= 0:
        return
    data = text.encode("utf-8", "replace").replace(b"\0", b" ")
    if len(data) > size - 1:
        # Cut at a character boundary.
        data = data[: size - 1].decode("utf-8", "ignore").encode("utf-8")
    ctypes.memmove(buf, data + b"\0", len(data) + 1)


def _exception_text(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _make_check(name: str, fn: Callable[[], CheckResult]) -> Any:
    # The last exception's text: a check that keeps raising the same thing
    # is logged with its traceback once, then at DEBUG.
    last: List[Optional[str]] = [None]

    def check(user: Optional[int], reason: Optional[int], reason_len: int) -> bool:
        try:
            with _callback_scope:
                try:
                    ok, why = _interpret(fn())
                    last[0] = None
                except BaseException as e:  # noqa: BLE001
                    ok, why = False, _exception_text(e)
                    text = f"{type(e).__name__}: {why}"
                    if text != last[0]:
                        _logger.warning("check %r raised %s", name, text, exc_info=True)
                    else:
                        _logger.debug("check %r raised %s again", name, text)
                    last[0] = text
                if not ok and why and reason:
                    _write_reason(reason, reason_len, why)
                return ok
        except BaseException:  # noqa: BLE001 - never into C
            return False

    return _CHECK_FN(check)


def _make_shutdown(fn: Callable[[], Any]) -> Any:
    def run(user: Optional[int]) -> None:
        try:
            with _callback_scope:
                try:
                    fn()
                except BaseException:  # noqa: BLE001
                    _logger.error("shutdown callback %r raised", fn, exc_info=True)
        except BaseException:  # noqa: BLE001 - never into C
            pass

    return _SHUTDOWN_FN(run)


def _make_metrics(fn: Callable[[], Union[str, bytes]]) -> Any:
    def run(user: Optional[int], out: Optional[int]) -> None:
        try:
            with _callback_scope:
                try:
                    text = fn()
                except BaseException:  # noqa: BLE001
                    _logger.error("metrics callback %r raised", fn, exc_info=True)
                    return
                if isinstance(text, str):
                    data = text.encode("utf-8", "replace")
                elif isinstance(text, (bytes, bytearray)):
                    data = bytes(text)
                else:
                    _logger.error("metrics callback %r returned %s, expected str", fn, type(text).__name__)
                    return
                if b"\0" in data:
                    _logger.error("metrics callback %r returned text with a NUL character", fn)
                    return
                if data and _C.metrics_append(out, data) < 0:
                    _logger.warning("metrics callback output refused: %s", _last_error())
        except BaseException:  # noqa: BLE001 - never into C
            pass

    return _METRICS_FN(run)


# --------------------------------------------------------------------------
# Signals. libhams chains SIGINT to the handler that was there before it;
# Python's default one raises KeyboardInterrupt in the main thread, which
# would cut the graceful shutdown short. While a Hams handles signals,
# Python's default SIGINT handler is set aside (only that one, and only from
# the main thread), and put back when the Hams lets go.

_NO_SWAP: Any = object()


def _signals_free() -> bool:
    """Whether no hams instance in the process handles signals now."""
    _tls.quiet = True
    try:
        tmp = _C.new(b"hams-python-signals", b"0")
        if not tmp:
            return False
        try:
            if _C.handle_signals(tmp, True) == 0:
                _C.handle_signals(tmp, False)
                return True
            return False
        finally:
            _C.free(tmp)
    finally:
        _tls.quiet = False


def _sigint_aside() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return _NO_SWAP
    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return _NO_SWAP
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except (ValueError, OSError):
        return _NO_SWAP
    return signal.default_int_handler


def _sigint_restore(saved: Any) -> None:
    if saved is _NO_SWAP:
        return
    try:
        if signal.getsignal(signal.SIGINT) is signal.SIG_DFL:
            signal.signal(signal.SIGINT, saved)
    except (ValueError, OSError):
        _logger.debug("cannot put Python's SIGINT handler back from this thread")


# --------------------------------------------------------------------------
# Objects

_live: "weakref.WeakSet[Hams]" = weakref.WeakSet()


class Probe:
    """One probe of a :class:`Hams`: manual (:meth:`set`), kick
    (:meth:`kick`) or callback. It stays registered until :meth:`close`
    or the Hams' close, whether or not this object is kept."""

    def __init__(self, hams: "Hams", ptr: int, name: str, callback: Any = None) -> None:
        self._hams = hams
        self._ptr: Optional[int] = ptr
        self._name = name
        self._callback = callback

    @property
    def name(self) -> str:
        return self._name

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._hams._handle is None

    def _live_ptr(self) -> int:
        if self._ptr is None or self._hams._handle is None:
            raise HamsError(f"probe '{self._name}' is closed", ERR_STATE)
        return self._ptr

    def set(self, healthy: bool, reason: Optional[str] = None) -> None:
        """Sets a manual probe's health; ``reason`` is shown while unhealthy."""
        r = None if reason is None else _cstr(reason, "reason")
        _check(_C.probe_set(self._live_ptr(), bool(healthy), r), "hams_probe_set")

    def kick(self) -> None:
        """Kicks a kick probe: healthy for its margin from now."""
        _check(_C.probe_kick(self._live_ptr()), "hams_probe_kick")

    def close(self) -> None:
        """Unregisters and frees the probe; a callback probe's function is
        not called after this returns. Calling it again does nothing."""
        ptr = self._ptr
        if ptr is None:
            return
        self._ptr = None
        hams = self._hams
        if hams._probes.get(self._name) is self:
            del hams._probes[self._name]
        if hams._handle is None:
            return
        rc = _C.probe_free(ptr)
        err = _last_error() if rc < 0 else ""
        cb, self._callback = self._callback, None
        if cb is not None:
            if _in_callback():
                # Freed from inside a callback: that run may be this one.
                hams._retired.append(cb)
            else:
                hams._keep.remove(cb)
        if rc < 0:
            raise HamsError(err, rc)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<hams.Probe {self._name!r} {state}>"


class Metric:
    """One metric of a :class:`Hams`. It stays in the exposition until
    :meth:`close` or the Hams' close."""

    _kind = "metric"

    def __init__(self, hams: "Hams", ptr: int, name: str) -> None:
        self._hams = hams
        self._ptr: Optional[int] = ptr
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._hams._handle is None

    def _live_ptr(self) -> int:
        if self._ptr is None or self._hams._handle is None:
            raise HamsError(f"{self._kind} '{self._name}' is closed", ERR_STATE)
        return self._ptr

    def close(self) -> None:
        """Removes the metric from the exposition and frees it (idempotent)."""
        ptr = self._ptr
        if ptr is None:
            return
        self._ptr = None
        if self._hams._handle is None:
            return
        _check(_C.metric_free(ptr), "hams_metric_free")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<hams.{type(self).__name__} {self._name!r} {state}>"


class Counter(Metric):
    """A counter: only goes up."""

    _kind = "counter"

    def inc(self, amount: float = 1.0) -> None:
        """Adds ``amount`` (finite, >= 0)."""
        _check(_C.counter_add(self._live_ptr(), float(amount)), "hams_counter_add")


class Gauge(Metric):
    """A gauge: a value that goes up and down."""

    _kind = "gauge"

    def set(self, value: float) -> None:
        _check(_C.gauge_set(self._live_ptr(), float(value)), "hams_gauge_set")

    def add(self, amount: float) -> None:
        """Adds ``amount`` (may be negative, not NaN)."""
        _check(_C.gauge_add(self._live_ptr(), float(amount)), "hams_gauge_add")

    def inc(self, amount: float = 1.0) -> None:
        self.add(amount)

    def dec(self, amount: float = 1.0) -> None:
        self.add(-float(amount))


class Histogram(Metric):
    """A histogram with fixed buckets."""

    _kind = "histogram"

    def observe(self, value: float) -> None:
        """Records one finite observation."""
        _check(_C.histogram_observe(self._live_ptr(), float(value)), "hams_histogram_observe")


LabelsArg = Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]]


def _labels_array(labels: LabelsArg) -> Optional[Any]:
    if labels is None:
        return None
    pairs = list(labels.items()) if isinstance(labels, Mapping) else list(labels)
    arr = (ctypes.c_char_p * (2 * len(pairs) + 1))()
    for i, pair in enumerate(pairs):
        k, v = pair
        arr[2 * i] = _cstr(k, "label name")
        arr[2 * i + 1] = _cstr(v, "label value")
    arr[2 * len(pairs)] = None
    return arr


class Hams:
    """One health server (``hams_t``) with its probes and metrics.

    ``Hams(service, version, address=...)`` creates a stopped server
    (default address ``0.0.0.0:8079``; port 0 picks a free one, see
    :attr:`port`). ``with`` starts it (unless started) and closes it at the
    end. :meth:`from_yaml`, :meth:`from_file` and :meth:`from_config` build
    one from a configuration (see hams_config(5)), :meth:`from_handle` wraps
    a ``hams_t *`` made elsewhere in the process.
    """

    _handle: Optional[int] = None
    _owned: bool = False

    def __init__(self, service_name: str, service_version: str, *, address: Optional[str] = None) -> None:
        name = _cstr(service_name, "service_name")
        ver = _cstr(service_version, "service_version")
        ptr = _check_ptr(_C.new(name, ver), "hams_new")
        self._adopt(ptr, True)
        if address is not None:
            try:
                self.set_address(address)
            except BaseException:
                self.close()
                raise

    def _adopt(self, ptr: int, owned: bool) -> None:
        self._handle = ptr
        self._owned = owned
        self._probes: Dict[str, Probe] = {}
        self._keep: List[Any] = []  # callback objects C may call
        self._retired: List[Any] = []  # replaced or freed from inside a callback
        self._metrics_cb: Any = None
        self._saved_sigint: Any = _NO_SWAP
        self._lock = threading.Lock()  # the handle's swap in close()
        self._signal_lock = threading.Lock()  # handle_signals
        self._metrics_lock = threading.Lock()  # metrics_callback
        if owned:
            _live.add(self)

    # -- construction ------------------------------------------------------

    @classmethod
    def _create(cls, make: Callable[[], Optional[int]], what: str, text: str) -> "Hams":
        may_signal = "handle_signals" in text or bool(os.environ.get("HAMS_HANDLE_SIGNALS"))
        saved = _NO_SWAP
        if may_signal and _signals_free():
            saved = _sigint_aside()
        try:
            ptr = make()
            if not ptr:
                raise HamsError(_last_error() or f"{what} failed")
        except BaseException:
            _sigint_restore(saved)
            raise
        self = cls.__new__(cls)
        self._adopt(ptr, True)
        if saved is not _NO_SWAP:
            if _signals_free():  # the configuration left signals alone
                _sigint_restore(saved)
            else:
                self._saved_sigint = saved
        return self

    @classmethod
    def from_yaml(cls, text: str) -> "Hams":
        """A stopped server from YAML text (see hams_config(5)), then
        ``HAMS_*`` environment overrides. Declared probes: :meth:`probe`."""
        data = _cstr(text, "text")
        return cls._create(lambda: _C.new_from_yaml(data), "hams_new_from_yaml", text)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Hams":
        """Like :meth:`from_yaml`, from a file."""
        p = os.fspath(path)
        data = os.fsencode(p)
        if b"\0" in data:
            raise HamsError(f"path {p!r} contains a NUL character", ERR_INVALID)
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""  # libhams reports the problem
        return cls._create(lambda: _C.new_from_file(data), "hams_new_from_file", text)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Hams":
        """Like :meth:`from_yaml`, from a dict shaped like the YAML file,
        e.g. ``{"service": {"name": "svc", "version": "1"},
        "shutdown": {"drain_ms": 300}}``."""
        return cls.from_yaml(json.dumps(config, ensure_ascii=False, allow_nan=False))

    @classmethod
    def from_handle(cls, handle: int, *, owned: bool = False) -> "Hams":
        """Wraps a ``hams_t *`` (as an int) created elsewhere in this
        process, e.g. by a C host. With ``owned=False`` (the default),
        :meth:`close` only detaches this object: the handle is never
        stopped or freed from Python, and the callbacks registered through
        it are kept alive for the life of the process, since the owner may
        call them until it frees the handle. With ``owned=True`` the handle
        is Python's, as if made here."""
        if isinstance(handle, bool) or not isinstance(handle, int) or handle <= 0:
            raise HamsError(f"handle must be a non-NULL pointer as an int, not {handle!r}", ERR_NULL)
        self = cls.__new__(cls)
        self._adopt(handle, owned)
        return self

    # -- the server --------------------------------------------------------

    @property
    def handle(self) -> int:
        """The ``hams_t *`` as an int (for C code in the same process)."""
        return self._h()

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def owned(self) -> bool:
        """Whether :meth:`close` frees the handle."""
        return self._owned

    def _h(self) -> int:
        h = self._handle
        if h is None:
            raise HamsError("hams is closed", ERR_STATE)
        return h

    def set_address(self, address: str) -> None:
        """Sets "IP:PORT" ("[::1]:8079" for IPv6) to listen on; only while stopped."""
        _check(_C.set_address(self._h(), _cstr(address, "address")), "hams_set_address")

    def start(self) -> None:
        """Binds and serves on a background thread (binding happens now:
        a port in use raises with ``code == ERR_IO``)."""
        _check(_C.start(self._h()), "hams_start")

    def stop(self) -> None:
        """Stops serving; :meth:`start` may be called again."""
        _check(_C.stop(self._h()), "hams_stop")

    @property
    def port(self) -> int:
        """The bound port while started; HamsError otherwise."""
        return _check(_C.port(self._h()), "hams_port")

    @property
    def running(self) -> bool:
        """Whether the server is started."""
        h = self._handle
        return h is not None and _C.port(h) > 0

    def close(self) -> None:
        """Stops and frees the server with all its probes and metrics (for
        a handle this object does not own: only detaches). Idempotent.
        Not from inside one of this Hams' callbacks."""
        with self._lock:
            h = self._handle
            if h is None:
                return
            if self._owned and _in_callback():
                raise HamsError("cannot close hams from inside one of its callbacks", ERR_STATE)
            self._handle = None
        # Not under the lock: freeing waits for callbacks in progress.
        try:
            if self._owned:
                _C.free(h)
        finally:
            for p in list(self._probes.values()):
                p._ptr = None
                p._callback = None
            self._probes.clear()
            if not self._owned:
                _immortal.extend(self._keep)
                _immortal.extend(self._retired)
            self._keep.clear()
            self._retired.clear()
            self._metrics_cb = None
            saved, self._saved_sigint = self._saved_sigint, _NO_SWAP
            _sigint_restore(saved)
            _live.discard(self)

    def __enter__(self) -> "Hams":
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._handle is not None and not (self._owned and _in_callback()):
                self.close()
        except BaseException:  # noqa: BLE001
            pass

    def __repr__(self) -> str:
        if self._handle is None:
            return "<hams.Hams closed>"
        state = f"port {_C.port(self._handle)}" if self.running else "stopped"
        return f"<hams.Hams {state}{'' if self._owned else ' borrowed'}>"

    # -- lifecycle ---------------------------------------------------------

    def on_shutdown(self, fn: _F) -> _F:
        """Runs ``fn()`` once on a hams thread when the shutdown sequence
        has drained; in the order added. Returns ``fn`` (a decorator)."""
        if not callable(fn):
            raise TypeError("on_shutdown needs a callable")
        cb = _make_shutdown(fn)
        _check(_C.on_shutdown(self._h(), cb, None), "hams_on_shutdown")
        self._keep.append(cb)
        return fn

    def shutdown(self) -> None:
        """Starts the graceful shutdown: readiness fails at once, and after
        the drain the shutdown callbacks run. Calling it again is harmless."""
        _check(_C.shutdown(self._h()), "hams_shutdown")

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the shutdown sequence is done: True, the program
        should now stop; False when ``timeout`` seconds passed first
        (``None`` waits forever). Releases the GIL; Python signal handlers
        still run every 100 ms."""
        if timeout is None:
            while True:
                if _check(_C.wait(self._h(), 100), "hams_wait") == 1:
                    return True
        total = _ms(timeout, "timeout")
        deadline = _monotonic_ms() + total
        while True:
            left = max(0, deadline - _monotonic_ms())
            if _check(_C.wait(self._h(), min(left, 100)), "hams_wait") == 1:
                return True
            if left <= 100:
                return False

    def handle_signals(self, on: bool = True) -> None:
        """Lets hams handle SIGTERM and SIGINT (start the shutdown
        sequence), or gives them back. One Hams per process may. From the
        main thread, Python's default SIGINT handler (KeyboardInterrupt) is
        set aside meanwhile; a handler of your own is chained to instead."""
        with self._signal_lock:
            h = self._h()
            if on:
                if self._saved_sigint is not _NO_SWAP:
                    return
                saved = _sigint_aside() if _signals_free() else _NO_SWAP
                rc = _C.handle_signals(h, True)
                if rc < 0:
                    err = _last_error()
                    _sigint_restore(saved)
                    raise HamsError(err, rc)
                self._saved_sigint = saved
            else:
                _check(_C.handle_signals(h, False), "hams_handle_signals")
                saved, self._saved_sigint = self._saved_sigint, _NO_SWAP
                _sigint_restore(saved)

    # -- probes ------------------------------------------------------------

    def _add_probe(self, name: str, ptr: Optional[int], what: str, callback: Any = None) -> Probe:
        _check_ptr(ptr, what)
        assert ptr is not None
        p = Probe(self, ptr, name, callback)
        if callback is not None:
            self._keep.append(callback)
        self._probes[name] = p
        return p

    def probe_manual(
        self,
        name: str,
        healthy: Optional[bool] = None,
        *,
        checks: int = READY,
        reason: Optional[str] = None,
        ready: Optional[bool] = None,
    ) -> Probe:
        """A probe the application sets with :meth:`Probe.set`, initially
        ``healthy`` (default True; ``ready`` is an alias) with ``reason``.
        ``checks``: an OR of ALIVE, READY (default), STARTUP. ``name``:
        1-64 characters of [A-Za-z0-9_.-], unique in this Hams."""
        if healthy is not None and ready is not None and bool(healthy) != bool(ready):
            raise TypeError("probe_manual: give healthy or ready, not both")
        state = healthy if healthy is not None else ready if ready is not None else True
        n = _cstr(name, "name")
        r = None if reason is None else _cstr(reason, "reason")
        ptr = _C.probe_new_manual(self._h(), n, _checks_bits(checks), bool(state))
        p = self._add_probe(name, ptr, "hams_probe_new_manual")
        if r is not None and not state:
            p.set(False, reason)
        return p

    def probe_kick(self, name: str, margin: float = 1.0, *, checks: int = READY) -> Probe:
        """A probe that is healthy while less than ``margin`` seconds have
        passed since its last :meth:`Probe.kick` (or its creation)."""
        n = _cstr(name, "name")
        ms = _ms(margin, "margin")
        ptr = _C.probe_new_kick(self._h(), n, _checks_bits(checks), ms)
        return self._add_probe(name, ptr, "hams_probe_new_kick")

    def probe_callback(
        self,
        name: str,
        fn: Callable[[], CheckResult],
        *,
        interval: float = 1.0,
        timeout: float = 1.0,
        checks: int = READY,
    ) -> Probe:
        """A probe whose health is ``fn()``: True/False, or (healthy,
        reason); an exception fails it with its text as the reason. Run on
        a hams thread at once, then ``interval`` seconds after each run
        ends; a run longer than ``timeout`` seconds fails the probe."""
        if not callable(fn):
            raise TypeError("probe_callback needs a callable")
        n = _cstr(name, "name")
        iv = _ms(interval, "interval")
        to = _ms(timeout, "timeout")
        cb = _make_check(name, fn)
        ptr = _C.probe_new_callback(self._h(), n, _checks_bits(checks), cb, None, iv, to)
        return self._add_probe(name, ptr, "hams_probe_new_callback", cb)

    def check(
        self, name: str, *, interval: float = 1.0, timeout: float = 1.0, checks: int = READY
    ) -> Callable[[_F], _F]:
        """Decorator form of :meth:`probe_callback`; returns the function
        unchanged (the probe: ``h.probe(name)``)."""

        def register(fn: _F) -> _F:
            self.probe_callback(name, fn, interval=interval, timeout=timeout, checks=checks)
            return fn

        return register

    def probe(self, name: str) -> Probe:
        """The probe ``name``: declared in the configuration, or created
        through this Hams (the same object each time)."""
        p = self._probes.get(name)
        if p is not None and not p.closed:
            return p
        ptr = _C.probe_get(self._h(), _cstr(name, "name"))
        return self._add_probe(name, ptr, "hams_probe_get")

    # -- metrics -----------------------------------------------------------

    def counter(self, name: str, help: str = "", *, labels: LabelsArg = None) -> Counter:
        """A counter (``name`` ends in ``_total``), with a fixed label set
        (``{"code": "200"}``) if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.counter_new(h, n, hp)
        else:
            ptr = _C.counter_new_labeled(h, n, hp, ctypes.cast(arr, _vp))
        return Counter(self, _check_ptr(ptr, "hams_counter_new"), name)

    def gauge(self, name: str, help: str = "", *, labels: LabelsArg = None) -> Gauge:
        """A gauge, with a fixed label set if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.gauge_new(h, n, hp)
        else:
            ptr = _C.gauge_new_labeled(h, n, hp, ctypes.cast(arr, _vp))
        return Gauge(self, _check_ptr(ptr, "hams_gauge_new"), name)

    def histogram(
        self, name: str, help: str = "", buckets: Sequence[float] = (), *, labels: LabelsArg = None
    ) -> Histogram:
        """A histogram with ``buckets`` upper bounds (finite, strictly
        increasing; +Inf is implied), with a fixed label set if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        bounds = [float(b) for b in buckets]
        arr_b = (ctypes.c_double * max(1, len(bounds)))(*bounds)
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.histogram_new(h, n, hp, arr_b, len(bounds))
        else:
            ptr = _C.histogram_new_labeled(h, n, hp, arr_b, len(bounds), ctypes.cast(arr, _vp))
        return Histogram(self, _check_ptr(ptr, "hams_histogram_new"), name)

    def metrics_callback(self, fn: Optional[Callable[[], Union[str, bytes]]]) -> Any:
        """Installs ``fn()``, run on a hams thread for each scrape of
        ``/hams/metrics``: it returns exposition text (Prometheus text
        format, e.g. ``prometheus_client.generate_latest().decode()``),
        served after hams' own metrics. ``None`` removes it. Returns ``fn``."""
        if fn is not None and not callable(fn):
            raise TypeError("metrics_callback needs a callable or None")
        cb = _make_metrics(fn) if fn is not None else _METRICS_FN()
        with self._metrics_lock:
            _check(_C.set_metrics_callback(self._h(), cb, None), "hams_set_metrics_callback")
            old, self._metrics_cb = self._metrics_cb, (cb if fn is not None else None)
            if fn is not None:
                self._keep.append(cb)
            if old is not None:
                self._keep.remove(old)
                if fn is not None or _in_callback():
                    # A run of the old one may still be going on.
                    self._retired.append(old)
        return fn


def _monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


@atexit.register
def _at_exit() -> None:
    # No hams thread may call into Python once the interpreter is finalizing.
    for h in list(_live):
        try:
            h.close()
        except BaseException:  # noqa: BLE001
            pass
    try:
        _C.set_logger(_LOG_FN(), None, 2)
    except BaseException:  # noqa: BLE001
        pass

"""The server handle, :class:`Hams`: creating, starting, stopping and
freeing it, its lifecycle (shutdown, wait, signals), and closing every
handle before the interpreter exits."""

from __future__ import annotations

import atexit
import json
import os
import platform
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from ._args import _cstr, _ms
from ._callbacks import _callback_scope, _immortal, _in_callback
from ._native import _C, _LOG_FN, _SHUTDOWN_FN
from ._version import __version__
from .errors import ERR_INVALID, ERR_NULL, ERR_STATE, HamsError, _check, _check_ptr, _last_error
from .logging import _logger
from .asyncio_methods import _AsyncMethods
from .listeners import _in_listener, _ListenerMethods
from .metric_methods import _MetricMethods
from .probes import _F, Probe, _ProbeMethods
from . import workers as _workers
from .signals import _NO_SWAP, _sigint_aside, _sigint_restore, _signals_free

_live: "weakref.WeakSet[Hams]" = weakref.WeakSet()


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



class Hams(_ProbeMethods, _MetricMethods, _AsyncMethods, _ListenerMethods):
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

    _worker: bool = False
    _workers_parent: bool = False
    _pid: int = 0

    def __init__(
        self, service_name: str, service_version: str, *, address: Optional[str] = None, workers: bool = False
    ) -> None:
        name = _cstr(service_name, "service_name")
        ver = _cstr(service_version, "service_version")
        ptr = _check_ptr(_C.new(name, ver), "hams_new")
        if workers:
            # Before anything is registered on the handle (hams_set_runtime included).
            try:
                _workers.set_workers(ptr, True)
            except BaseException:
                _C.free(ptr)
                raise
        self._adopt(ptr, True)
        self._workers_parent = workers
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
        # Called with no argument right after shutdown() started the
        # sequence (hams.grpc: the C API has no "is shutting down" query).
        self._shutdown_hooks: List[Callable[[], Any]] = []
        self._shutdown_called = False
        self._pid = os.getpid()  # a forked child sees another: the handle is inherited
        if owned:
            _live.add(self)
            _set_runtime(ptr)

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

    @classmethod
    def _attached(cls, ptr: int) -> "Hams":
        self = cls.__new__(cls)
        self._worker = True
        self._adopt(ptr, True)
        return self

    # -- workers mode ------------------------------------------------------

    def set_workers(self, enabled: bool = True) -> None:
        """Workers mode (see :mod:`hams.workers`): this process's workers,
        forked or spawned after this call, join this server with
        :func:`hams.attach` or the handle they inherit; ``/hams/metrics``
        aggregates their metrics and the checks show their probes as
        ``name@pid``. Only before :meth:`start` and before any metric
        is registered (``Hams(..., workers=True)`` does it at once)."""
        _workers.set_workers(self._h(), enabled)
        self._workers_parent = self._workers_parent or bool(enabled)

    @property
    def worker(self) -> bool:
        """Whether this is a worker's handle: made by :func:`hams.attach`,
        or inherited across ``fork()`` from the parent. A worker's handle
        registers probes and metrics; serving calls raise HamsError."""
        return self._worker or (self._handle is not None and self._pid != os.getpid())

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
            # A status listener may: hams_free() does not wait for it then.
            from_listener = _in_listener()
            if self._owned and _in_callback() and not from_listener:
                raise HamsError("cannot close hams from inside one of its callbacks", ERR_STATE)
            self._handle = None
        # Not under the lock: freeing waits for callbacks in progress.
        try:
            if self._owned:
                _C.free(h)
                if self._workers_parent and self._pid == os.getpid():
                    _workers._mirror_environment()  # libhams unset HAMS_WORKERS
        finally:
            for p in list(self._probes.values()):
                p._ptr = None
                p._callback = None
            self._probes.clear()
            if not self._owned or from_listener:
                # C may still be running (or, unowned, may call) these.
                _immortal.extend(self._keep)
                _immortal.extend(self._retired)
            self._keep.clear()
            self._retired.clear()
            self._metrics_cb = None
            self._shutdown_hooks.clear()
            saved, self._saved_sigint = self._saved_sigint, _NO_SWAP
            _sigint_restore(saved)
            _live.discard(self)

    def __enter__(self) -> "Hams":
        if not self.worker and not self.running:
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
        if self.worker:
            return "<hams.Hams worker>"
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
        self._shutdown_called = True
        for hook in list(self._shutdown_hooks):
            try:
                hook()
            except BaseException:  # noqa: BLE001
                _logger.error("shutdown hook %r raised", hook, exc_info=True)

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



def _set_runtime(ptr: int) -> None:
    # What /hams/version and hams_build_info say runs hams.
    runtime = f"{platform.python_implementation()} {platform.python_version()}".encode()
    if _C.set_runtime(ptr, runtime, b"hams-python", __version__.encode()) < 0:
        _logger.debug("hams_set_runtime: %s", _last_error())


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

"""Probes: :class:`Probe`, the check callbacks, and the methods of
:class:`~hams.Hams` that make probes."""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from ._args import _checks_bits, _cstr, _ms
from ._callbacks import _callback_scope, _in_callback
from ._native import _C, _CHECK_FN
from .errors import ERR_INVALID, ERR_STATE, HamsError, _check, _check_ptr, _last_error
from .logging import _logger

if TYPE_CHECKING:
    from .server import Hams

#: The probe takes part in the liveness check (``/hams/alive``).
ALIVE = 1
#: The probe takes part in the readiness check (``/hams/ready``).
READY = 2
#: The probe takes part in the startup check (``/hams/startup``).
STARTUP = 4

#: What a check function may return: healthy, or (healthy, reason).
CheckResult = Union[bool, Tuple[bool, Optional[str]]]

_F = TypeVar("_F", bound=Callable[..., Any])


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

    def set_thresholds(self, failures: int = 1, successes: int = 1) -> None:
        """Makes a manual or callback probe tolerate blips: it turns
        unhealthy only after ``failures`` failed results in a row, and
        healthy again after ``successes`` good ones (defaults 1 and 1, each
        at least 1; a kick probe raises HamsError). While failures stay
        below the threshold the probe stays healthy."""
        for what, n in (("failures", failures), ("successes", successes)):
            if isinstance(n, bool) or not isinstance(n, int):
                raise TypeError(f"{what} must be an int, not {type(n).__name__}")
            if not 1 <= n <= 0xFFFFFFFF:
                raise HamsError(f"{what} must be between 1 and 4294967295, not {n}", ERR_INVALID)
        fn = _C.probe_set_thresholds
        if fn is None:
            raise HamsError("this libhams has no hams_probe_set_thresholds (libhams 0.3 or later)", ERR_STATE)
        _check(fn(self._live_ptr(), failures, successes), "hams_probe_set_thresholds")

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



class _ProbeMethods:
    """The methods of :class:`~hams.Hams` that make probes (a base class of it)."""

    _probes: Dict[str, Probe]
    _keep: List[Any]

    if TYPE_CHECKING:

        def _h(self) -> int: ...

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

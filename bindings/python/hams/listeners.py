"""Status listeners and the state of a check, methods of :class:`~hams.Hams`
(a base class of it; see hams_on_change(3))::

    h.on_change(lambda name, healthy, reason: print(name, healthy, reason))
    h.check_state(hams.READY)                   # True while /hams/ready passes

    async for name, healthy, reason in h.changes():   # asyncio
        ...
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, List, Optional, Tuple

from ._callbacks import _tls, _callback_scope
from ._native import _C, _CHANGE_FN
from .errors import ERR_INVALID, ERR_STATE, HamsError, _check
from .logging import _logger

#: What a status listener gets: the check ("alive", "ready", "startup") or
#: probe name, whether it is healthy now, and why not ("" when healthy).
Change = Tuple[str, bool, str]

#: A status listener: ``fn(name, healthy, reason)``.
Listener = Callable[[str, bool, str], Any]

_CHECK_NAMES = {1: "ALIVE", 2: "READY", 4: "STARTUP"}


def _need(fn: Any, what: str) -> Callable[..., Any]:
    if fn is None:
        raise HamsError(f"this libhams has no {what} (libhams 0.3 or later)", ERR_STATE)
    return fn  # type: ignore[no-any-return]


def _in_listener() -> bool:
    return bool(getattr(_tls, "listening", 0))


def _make_listener(fn: Listener) -> Any:
    def run(user: Optional[int], name: Optional[bytes], healthy: bool, reason: Optional[bytes]) -> None:
        try:
            with _callback_scope:
                _tls.listening = getattr(_tls, "listening", 0) + 1
                try:
                    fn(
                        name.decode("utf-8", "replace") if name else "",
                        bool(healthy),
                        reason.decode("utf-8", "replace") if reason else "",
                    )
                except BaseException:  # noqa: BLE001
                    _logger.error("status listener %r raised", fn, exc_info=True)
                finally:
                    _tls.listening -= 1
        except BaseException:  # noqa: BLE001 - never into C
            pass

    return _CHANGE_FN(run)


class _Changes:
    """The async iterator :meth:`_ListenerMethods.changes` returns; its
    listener (hams keeps it until the Hams is closed) drops the changes once
    this iterator is gone."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: "asyncio.Queue[Change]" = asyncio.Queue()

    def _push(self, change: Change) -> None:
        # On the hams thread: handed to the loop, never waited for.
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, change)
        except RuntimeError:  # the loop is closed
            pass

    def __aiter__(self) -> "_Changes":
        return self

    async def __anext__(self) -> Change:
        return await self._queue.get()


class _ListenerMethods:
    """The status-listener methods of :class:`~hams.Hams` (a base class of it)."""

    _keep: List[Any]

    if TYPE_CHECKING:

        def _h(self) -> int: ...

    def on_change(self, fn: Listener) -> Listener:
        """Calls ``fn(name, healthy, reason)`` on a hams thread for each
        check ("alive", "ready", "startup") and probe whose state turns
        between healthy and unhealthy, in the order of the changes (a
        probe's change before the changes of the checks it causes); first
        once for every probe and check with its current state. ``reason``
        is "" when healthy; a new reason alone is no change. A slow listener
        gets the latest state of each name changed meanwhile. An exception
        in ``fn`` is logged to the ``"hams"`` logger. ``fn`` may call hams,
        and may close this Hams. Listeners stay until the Hams is closed.
        Add it after the probes: the startup check decided with none yet
        passes, and startup latches. Returns ``fn`` (a decorator)."""
        if not callable(fn):
            raise TypeError("on_change needs a callable")
        on_change = _need(_C.on_change, "status listeners (hams_on_change)")
        cb = _make_listener(fn)
        _check(on_change(self._h(), cb, None), "hams_on_change")
        self._keep.append(cb)
        return fn

    def changes(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> AsyncIterator[Change]:
        """The changes :meth:`on_change` sees, as an async iterator of
        ``(name, healthy, reason)`` on ``loop`` (default: the running
        loop), starting with every current state; it never ends (stop
        iterating when done; the listener then drops them)::

            async for name, healthy, reason in h.changes():
                ...
        """
        target = loop if loop is not None else asyncio.get_running_loop()
        changes = _Changes(target)
        ref = weakref.ref(changes)

        def push(name: str, healthy: bool, reason: str) -> None:
            c = ref()
            if c is not None:
                c._push((name, healthy, reason))

        self.on_change(push)
        return changes

    def check_state(self, check: int) -> bool:
        """Whether ``check`` (one of ALIVE, READY, STARTUP) passes now, as
        its endpoint would answer."""
        if isinstance(check, bool) or check not in _CHECK_NAMES:
            raise HamsError(f"check must be one of hams.ALIVE, hams.READY, hams.STARTUP, not {check!r}", ERR_INVALID)
        check_state = _need(_C.check_state, "hams_check_state")
        return _check(check_state(self._h(), check), "hams_check_state") == 1

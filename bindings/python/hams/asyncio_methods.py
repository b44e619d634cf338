"""asyncio support, methods of :class:`~hams.Hams` (a base class of it):
an awaitable :meth:`wait_async`, and shutdown callbacks run on the event
loop's thread instead of a hams thread::

    async def main():
        h.on_shutdown_async(close_connections)   # a coroutine function
        await h.wait_async()                     # the drain is done
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._args import _ms
from ._native import _C
from .errors import _check
from .logging import _logger

if TYPE_CHECKING:
    from .probes import _F

# How often wait_async asks libhams: never blocks the loop, and a shutdown is
# seen within this much.
_POLL_S = 0.02


class _AsyncMethods:
    """The asyncio methods of :class:`~hams.Hams` (a base class of it)."""

    if TYPE_CHECKING:

        def _h(self) -> int: ...

        def on_shutdown(self, fn: _F) -> _F: ...

    async def wait_async(self, timeout: Optional[float] = None) -> bool:
        """:meth:`wait` for asyncio: True once the shutdown sequence is done
        (drained, shutdown callbacks run), False when ``timeout`` seconds
        passed first. The loop keeps running meanwhile; cancelling it is safe."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + _ms(timeout, "timeout") / 1000.0
        while True:
            if _check(_C.wait(self._h(), 0), "hams_wait") == 1:
                return True
            if deadline is not None and loop.time() >= deadline:
                return False
            await asyncio.sleep(_POLL_S)

    def on_shutdown_async(
        self, fn: Callable[[], Any], loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> Callable[[], Any]:
        """Like :meth:`on_shutdown`, but ``fn`` (a function or a coroutine
        function) runs on ``loop``'s thread (default: the running loop); the
        shutdown sequence waits for it. Skipped, with a warning, if the loop
        is no longer running then. Returns ``fn`` (a decorator)."""
        if not callable(fn):
            raise TypeError("on_shutdown_async needs a callable")
        target = loop if loop is not None else asyncio.get_running_loop()

        async def run_async() -> None:
            result = fn()
            if inspect.isawaitable(result):
                await result

        def run() -> None:
            if target.is_closed() or not target.is_running():
                _logger.warning("shutdown callback %r skipped: its event loop is not running", fn)
                return
            asyncio.run_coroutine_threadsafe(run_async(), target).result()

        self.on_shutdown(run)
        return fn

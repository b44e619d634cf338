"""Signals. libhams chains SIGINT to the handler that was there before it;
Python's default one raises KeyboardInterrupt in the main thread, which
would cut the graceful shutdown short. While a Hams handles signals,
Python's default SIGINT handler is set aside (only that one, and only from
the main thread), and put back when the Hams lets go."""

from __future__ import annotations

import signal
import threading
from typing import Any

from ._callbacks import _tls
from ._native import _C
from .logging import _logger

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

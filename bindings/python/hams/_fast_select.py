"""Whether the compiled fast path (``hams._fast``, built when the package
is installed with a C compiler and libhams' header) is used: only when it is
importable, not turned off with ``HAMS_PYTHON_NO_EXT=1``, and linked to the
very library ctypes loaded (one libhams per process, or metric handles of
one copy would reach the other)."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Optional

from ._native import _lib

_fast: Optional[Any] = None

if os.environ.get("HAMS_PYTHON_NO_EXT", "") in ("", "0"):
    try:
        from . import _fast as _candidate  # type: ignore[attr-defined]
    except ImportError:
        _candidate = None
    if _candidate is not None:
        ours = ctypes.cast(_lib.hams_counter_add, ctypes.c_void_p).value
        if _candidate.counter_add_address() == ours:
            from .errors import _check

            _candidate._bind(_check)
            _fast = _candidate


def implementation() -> str:
    """``"c-extension"`` when the compiled fast path is in use, else ``"ctypes"``."""
    return "c-extension" if _fast is not None else "ctypes"

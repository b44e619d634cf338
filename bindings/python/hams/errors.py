"""libhams' return codes, :class:`HamsError`, and turning a failed call
into one."""

from __future__ import annotations

from typing import Optional

from ._native import _C

#: Return codes of libhams (``HamsError.code``).
OK = 0
ERR_NULL = -1
ERR_INVALID = -2
ERR_STATE = -3
ERR_IO = -4
ERR_CONFIG = -5
ERR_PANIC = -6



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

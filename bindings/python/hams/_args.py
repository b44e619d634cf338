"""Python arguments as C arguments: strings, durations, check sets."""

from __future__ import annotations

import math

from .errors import ERR_INVALID, HamsError

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

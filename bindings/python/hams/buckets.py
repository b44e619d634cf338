"""Bucket bounds for classic histograms, as client_golang's LinearBuckets
and ExponentialBuckets (computed by libhams)."""

from __future__ import annotations

import ctypes
from typing import Any, List

from ._native import _C
from .errors import _check


def _bounds(fn: Any, name: str, a: float, b: float, count: int) -> List[float]:
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an int, not {type(count).__name__}")
    # libhams refuses a count outside 1..1024 before it writes anything.
    out = (ctypes.c_double * max(1, min(count, 1024)))()
    _check(fn(float(a), float(b), count if count >= 0 else 0, out), name)
    return list(out[:count])


def linear_buckets(start: float, width: float, count: int) -> List[float]:
    """``count`` (1 to 1024) bounds: ``start``, ``start + width``, ... (``width`` > 0)."""
    return _bounds(_C.buckets_linear, "hams_buckets_linear", start, width, count)


def exponential_buckets(start: float, factor: float, count: int) -> List[float]:
    """``count`` (1 to 1024) bounds: ``start``, ``start * factor``, ... (``start`` > 0, ``factor`` > 1)."""
    return _bounds(_C.buckets_exponential, "hams_buckets_exponential", start, factor, count)

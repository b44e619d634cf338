"""Metrics: counters, gauges and histograms (one series each), and the
metrics callback's trampoline. Vectors are in ``metric_vecs``, the methods
of :class:`~hams.Hams` that make both in ``metric_methods``."""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Tuple, Union

from ._args import _cstr
from ._callbacks import _callback_scope
from ._fast_select import _fast
from ._native import _C, _METRICS_FN, _vp
from .errors import ERR_STATE, HamsError, _check, _last_error
from .logging import _logger
from .workers import Aggregation, _set_aggregation

if TYPE_CHECKING:
    from .metric_vecs import MetricVec
    from .server import Hams

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



#: An exemplar: label names to values, e.g. ``{"trace_id": "4bf9..."}``.
Exemplar = Mapping[str, str]


def _exemplar_call(fn: Any, c_name: str, ptr: int, value: float, exemplar: Exemplar) -> None:
    """``fn(ptr, value, labels)``: the C exemplar function with the
    NULL-terminated name/value array. libhams checks the names and the 128
    characters (and counts nothing when it refuses them)."""
    if not isinstance(exemplar, Mapping):
        raise TypeError(f"exemplar must be a dict of label names to values, not {type(exemplar).__name__}")
    if fn is None:
        raise HamsError(f"this libhams has no exemplars ({c_name} is missing: a newer libhams has it)", ERR_STATE)
    pairs = list(exemplar.items())
    arr = (ctypes.c_char_p * (2 * len(pairs) + 1))()
    for i, (k, v) in enumerate(pairs):
        arr[2 * i] = _cstr(k, "exemplar label name")
        arr[2 * i + 1] = _cstr(v, "exemplar label value")
    arr[2 * len(pairs)] = None
    _check(fn(ptr, value, ctypes.cast(arr, _vp)), c_name)


# With the fast path, a metric's handle lives in its C base and the hot
# methods below are replaced by C ones (same checks, same errors).
_MetricBase: Any = _fast.MetricBase if _fast is not None else object


class Metric(_MetricBase):
    """One metric of a :class:`Hams`. It stays in the exposition until
    :meth:`close` or the Hams' close (for a vector's child: until its
    vector's ``remove``, ``clear`` or ``close``)."""

    _kind = "metric"
    # Set on a vector's children: libhams frees them through their vector.
    _vec: "Optional[MetricVec[Any]]" = None
    _key: Tuple[str, ...] = ()

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
        """Removes the metric from the exposition and frees it (idempotent);
        a vector's child is removed from its vector."""
        if self._vec is not None:
            self._vec._drop(self._key, self)
            return
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

    def inc(self, amount: float = 1.0, exemplar: Optional[Exemplar] = None) -> None:
        """Adds ``amount`` (finite, >= 0). ``exemplar`` (label names to
        values, at most 128 characters in all, e.g. ``{"trace_id": tid}``)
        becomes the counter's latest exemplar, shown in the OpenMetrics
        exposition; an invalid one raises HamsError and counts nothing."""
        if exemplar is None:
            _check(_C.counter_add(self._live_ptr(), float(amount)), "hams_counter_add")
        else:
            v = float(amount)
            _exemplar_call(_C.counter_add_exemplar, "hams_counter_add_exemplar", self._live_ptr(), v, exemplar)


class Gauge(Metric):
    """A gauge: a value that goes up and down."""

    _kind = "gauge"

    def set_aggregation(self, how: "Aggregation") -> None:
        """In workers mode, how the parent shows this gauge of all its
        workers: ``"per_worker"`` (``hams.AGG_PER_WORKER``, the default: a
        ``pid`` label per worker), ``"sum"``, ``"max"`` or ``"min"``. Before
        its first update."""
        _set_aggregation(self._live_ptr(), how, "gauge_set_aggregation")

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
    """A histogram: classic (fixed buckets) or native (sparse exponential
    buckets, see :meth:`Hams.histogram`)."""

    _kind = "histogram"

    def observe(self, value: float, exemplar: Optional[Exemplar] = None) -> None:
        """Records one finite observation. ``exemplar`` (as for
        :meth:`Counter.inc`) becomes the latest exemplar of the bucket
        ``value`` falls in; an invalid one raises HamsError and records
        nothing."""
        if exemplar is None:
            _check(_C.histogram_observe(self._live_ptr(), float(value)), "hams_histogram_observe")
        else:
            v = float(value)
            fn = _C.histogram_observe_exemplar
            _exemplar_call(fn, "hams_histogram_observe_exemplar", self._live_ptr(), v, exemplar)


if _fast is not None:
    # The C methods call these for an exemplar (ctypes, a rarer call).
    Counter._inc_py = Counter.inc  # type: ignore[attr-defined]
    Histogram._observe_py = Histogram.observe  # type: ignore[attr-defined]
    Counter.inc = _fast.MetricBase._counter_inc  # type: ignore[method-assign]
    Gauge.set = _fast.MetricBase._gauge_set  # type: ignore[method-assign]
    Gauge.add = _fast.MetricBase._gauge_add  # type: ignore[method-assign]
    Gauge.inc = _fast.MetricBase._gauge_inc  # type: ignore[method-assign]
    Gauge.dec = _fast.MetricBase._gauge_dec  # type: ignore[method-assign]
    Histogram.observe = _fast.MetricBase._histogram_observe  # type: ignore[method-assign]

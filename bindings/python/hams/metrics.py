"""Metrics: counters, gauges and histograms, the metrics callback, and the
methods of :class:`~hams.Hams` that make them."""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._args import _cstr
from ._callbacks import _callback_scope, _in_callback
from ._native import _C, _METRICS_FN, _vp
from .errors import ERR_STATE, HamsError, _check, _check_ptr, _last_error
from .logging import _logger

if TYPE_CHECKING:
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



class Metric:
    """One metric of a :class:`Hams`. It stays in the exposition until
    :meth:`close` or the Hams' close."""

    _kind = "metric"

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
        """Removes the metric from the exposition and frees it (idempotent)."""
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

    def inc(self, amount: float = 1.0) -> None:
        """Adds ``amount`` (finite, >= 0)."""
        _check(_C.counter_add(self._live_ptr(), float(amount)), "hams_counter_add")


class Gauge(Metric):
    """A gauge: a value that goes up and down."""

    _kind = "gauge"

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
    """A histogram with fixed buckets."""

    _kind = "histogram"

    def observe(self, value: float) -> None:
        """Records one finite observation."""
        _check(_C.histogram_observe(self._live_ptr(), float(value)), "hams_histogram_observe")


LabelsArg = Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]]


def _labels_array(labels: LabelsArg) -> Optional[Any]:
    if labels is None:
        return None
    pairs = list(labels.items()) if isinstance(labels, Mapping) else list(labels)
    arr = (ctypes.c_char_p * (2 * len(pairs) + 1))()
    for i, pair in enumerate(pairs):
        k, v = pair
        arr[2 * i] = _cstr(k, "label name")
        arr[2 * i + 1] = _cstr(v, "label value")
    arr[2 * len(pairs)] = None
    return arr



class _MetricMethods:
    """The methods of :class:`~hams.Hams` that make metrics (a base class of it)."""

    _keep: List[Any]
    _retired: List[Any]
    _metrics_cb: Any
    _metrics_lock: threading.Lock

    if TYPE_CHECKING:

        def _h(self) -> int: ...

    def counter(self, name: str, help: str = "", *, labels: LabelsArg = None) -> Counter:
        """A counter (``name`` ends in ``_total``), with a fixed label set
        (``{"code": "200"}``) if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.counter_new(h, n, hp)
        else:
            ptr = _C.counter_new_labeled(h, n, hp, ctypes.cast(arr, _vp))
        return Counter(self, _check_ptr(ptr, "hams_counter_new"), name)

    def gauge(self, name: str, help: str = "", *, labels: LabelsArg = None) -> Gauge:
        """A gauge, with a fixed label set if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.gauge_new(h, n, hp)
        else:
            ptr = _C.gauge_new_labeled(h, n, hp, ctypes.cast(arr, _vp))
        return Gauge(self, _check_ptr(ptr, "hams_gauge_new"), name)

    def histogram(
        self, name: str, help: str = "", buckets: Sequence[float] = (), *, labels: LabelsArg = None
    ) -> Histogram:
        """A histogram with ``buckets`` upper bounds (finite, strictly
        increasing; +Inf is implied), with a fixed label set if given."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        bounds = [float(b) for b in buckets]
        arr_b = (ctypes.c_double * max(1, len(bounds)))(*bounds)
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.histogram_new(h, n, hp, arr_b, len(bounds))
        else:
            ptr = _C.histogram_new_labeled(h, n, hp, arr_b, len(bounds), ctypes.cast(arr, _vp))
        return Histogram(self, _check_ptr(ptr, "hams_histogram_new"), name)

    def metrics_callback(self, fn: Optional[Callable[[], Union[str, bytes]]]) -> Any:
        """Installs ``fn()``, run on a hams thread for each scrape of
        ``/hams/metrics``: it returns exposition text (Prometheus text
        format, e.g. ``prometheus_client.generate_latest().decode()``),
        served after hams' own metrics. ``None`` removes it. Returns ``fn``."""
        if fn is not None and not callable(fn):
            raise TypeError("metrics_callback needs a callable or None")
        cb = _make_metrics(fn) if fn is not None else _METRICS_FN()
        with self._metrics_lock:
            _check(_C.set_metrics_callback(self._h(), cb, None), "hams_set_metrics_callback")
            old, self._metrics_cb = self._metrics_cb, (cb if fn is not None else None)
            if fn is not None:
                self._keep.append(cb)
            if old is not None:
                self._keep.remove(old)
                if fn is not None or _in_callback():
                    # A run of the old one may still be going on.
                    self._retired.append(old)
        return fn

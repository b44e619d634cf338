"""The methods of :class:`~hams.Hams` that make metrics and metric vectors,
and install the metrics callback (a base class of it)."""

from __future__ import annotations

import ctypes
import threading
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

from ._args import _cstr
from ._callbacks import _in_callback
from ._native import _C, _METRICS_FN, _vp
from .errors import ERR_INVALID, HamsError, _check, _check_ptr
from .metric_vecs import CounterVec, GaugeVec, HistogramVec, _strings_array
from .metrics import Counter, Gauge, Histogram, _make_metrics
from .workers import Aggregation

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


def _labelnames(labelnames: Iterable[str], labels: LabelsArg) -> Tuple[str, ...]:
    if labels is not None:
        raise HamsError("give labels (one fixed series) or labelnames (a vector), not both", ERR_INVALID)
    if isinstance(labelnames, (str, bytes)):
        raise TypeError("labelnames must be a sequence of names, e.g. ['path', 'code'], not one string")
    names = tuple(labelnames)
    for n in names:
        _cstr(n, "label name")
    return names


def _bounds(buckets: Optional[Sequence[float]]) -> Tuple[Any, int]:
    """The C (buckets, n): NULL and 0 for libhams' default buckets. An empty
    sequence stays an array of 0 bounds, which libhams refuses."""
    if buckets is None:
        return None, 0
    bounds = [float(b) for b in buckets]
    return (ctypes.c_double * max(1, len(bounds)))(*bounds), len(bounds)


def _native_args(bucket_factor: float, max_buckets: int) -> Tuple[float, int]:
    if isinstance(max_buckets, bool) or not isinstance(max_buckets, int):
        raise TypeError(f"max_buckets must be an int, not {type(max_buckets).__name__}")
    if not 0 <= max_buckets <= 0xFFFFFFFF:
        raise HamsError(f"max_buckets {max_buckets} is out of range (0 for no cap)", ERR_INVALID)
    return float(bucket_factor), max_buckets


class _MetricMethods:
    """The methods of :class:`~hams.Hams` that make metrics (a base class of it)."""

    _keep: List[Any]
    _retired: List[Any]
    _metrics_cb: Any
    _metrics_lock: threading.Lock

    if TYPE_CHECKING:

        def _h(self) -> int: ...

    def _scalar(
        self,
        kind: str,
        metric: type,
        vec: type,
        name: str,
        help: str,
        labels: LabelsArg,
        labelnames: Optional[Iterable[str]],
    ) -> Any:
        """A counter or gauge (`kind`): one series with fixed labels, or a
        vector with ``labelnames``; the C functions are named after `kind`."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        if labelnames is not None:
            names = _labelnames(labelnames, labels)
            ptr = getattr(_C, kind + "_vec_new")(self._h(), n, hp, _strings_array(names, "label name"))
            return vec(self, _check_ptr(ptr, f"hams_{kind}_vec_new"), name, names)
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = getattr(_C, kind + "_new")(h, n, hp)
        else:
            ptr = getattr(_C, kind + "_new_labeled")(h, n, hp, ctypes.cast(arr, _vp))
        return metric(self, _check_ptr(ptr, f"hams_{kind}_new"), name)

    @overload
    def counter(self, name: str, help: str = "", *, labels: LabelsArg = None, labelnames: None = None) -> Counter: ...

    @overload
    def counter(
        self, name: str, help: str = "", *, labels: LabelsArg = None, labelnames: Iterable[str]
    ) -> CounterVec: ...

    def counter(
        self, name: str, help: str = "", *, labels: LabelsArg = None, labelnames: Optional[Iterable[str]] = None
    ) -> Union[Counter, CounterVec]:
        """A counter (``name`` ends in ``_total``), with a fixed label set
        (``labels={"code": "200"}``) if given; with ``labelnames`` a
        :class:`CounterVec` whose ``labels(...)`` gives the series."""
        return self._scalar("counter", Counter, CounterVec, name, help, labels, labelnames)  # type: ignore[return-value]

    @overload
    def gauge(
        self,
        name: str,
        help: str = "",
        *,
        labels: LabelsArg = None,
        labelnames: None = None,
        aggregation: Optional[Aggregation] = None,
    ) -> Gauge: ...

    @overload
    def gauge(
        self,
        name: str,
        help: str = "",
        *,
        labels: LabelsArg = None,
        labelnames: Iterable[str],
        aggregation: Optional[Aggregation] = None,
    ) -> GaugeVec: ...

    def gauge(
        self,
        name: str,
        help: str = "",
        *,
        labels: LabelsArg = None,
        labelnames: Optional[Iterable[str]] = None,
        aggregation: Optional[Aggregation] = None,
    ) -> Union[Gauge, GaugeVec]:
        """A gauge, with a fixed label set if given; with ``labelnames`` a
        :class:`GaugeVec`. ``aggregation`` (workers mode): as its
        ``set_aggregation``, before any update."""
        g = self._scalar("gauge", Gauge, GaugeVec, name, help, labels, labelnames)
        if aggregation is not None:
            try:
                g.set_aggregation(aggregation)
            except BaseException:
                g.close()
                raise
        return g  # type: ignore[no-any-return]

    @overload
    def histogram(
        self,
        name: str,
        help: str = "",
        buckets: Optional[Sequence[float]] = None,
        *,
        labels: LabelsArg = None,
        labelnames: None = None,
        native: bool = False,
        bucket_factor: float = 1.1,
        max_buckets: int = 0,
    ) -> Histogram: ...

    @overload
    def histogram(
        self,
        name: str,
        help: str = "",
        buckets: Optional[Sequence[float]] = None,
        *,
        labels: LabelsArg = None,
        labelnames: Iterable[str],
        native: bool = False,
        bucket_factor: float = 1.1,
        max_buckets: int = 0,
    ) -> HistogramVec: ...

    def histogram(
        self,
        name: str,
        help: str = "",
        buckets: Optional[Sequence[float]] = None,
        *,
        labels: LabelsArg = None,
        labelnames: Optional[Iterable[str]] = None,
        native: bool = False,
        bucket_factor: float = 1.1,
        max_buckets: int = 0,
    ) -> Union[Histogram, HistogramVec]:
        """A histogram with ``buckets`` upper bounds (finite, strictly
        increasing; +Inf is implied; omitted: Prometheus' defaults, 0.005 to
        10), with a fixed label set if given; with ``labelnames`` a
        :class:`HistogramVec`.

        ``native=True`` makes a native histogram instead (sparse exponential
        buckets, in the protobuf exposition; the text formats show its count
        and sum): each bucket at most ``bucket_factor`` (> 1) times as wide
        as the one below, at most ``max_buckets`` of them (0: no cap). It
        takes no ``buckets`` and no fixed ``labels``."""
        n, hp = _cstr(name, "name"), _cstr(help, "help")
        names = None if labelnames is None else _labelnames(labelnames, labels)
        if native:
            if buckets is not None:
                raise HamsError("a native histogram has no bucket bounds: give bucket_factor instead", ERR_INVALID)
            if labels is not None:
                raise HamsError("a native histogram takes labelnames, not a fixed label set", ERR_INVALID)
            factor, cap = _native_args(bucket_factor, max_buckets)
            if names is None:
                ptr = _C.histogram_native_new(self._h(), n, hp, factor, cap)
                return Histogram(self, _check_ptr(ptr, "hams_histogram_native_new"), name)  # type: ignore[arg-type]
            arr_n = _strings_array(names, "label name")
            ptr = _C.histogram_native_vec_new(self._h(), n, hp, factor, cap, arr_n)
            return HistogramVec(self, _check_ptr(ptr, "hams_histogram_native_vec_new"), name, names)  # type: ignore[arg-type]
        arr_b, count = _bounds(buckets)
        if names is not None:
            ptr = _C.histogram_vec_new(self._h(), n, hp, arr_b, count, _strings_array(names, "label name"))
            return HistogramVec(self, _check_ptr(ptr, "hams_histogram_vec_new"), name, names)  # type: ignore[arg-type]
        arr = _labels_array(labels)
        h = self._h()
        if arr is None:
            ptr = _C.histogram_new(h, n, hp, arr_b, count)
        else:
            ptr = _C.histogram_new_labeled(h, n, hp, arr_b, count, ctypes.cast(arr, _vp))
        return Histogram(self, _check_ptr(ptr, "hams_histogram_new"), name)  # type: ignore[arg-type]

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

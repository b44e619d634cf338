"""Metric vectors: families whose series are made on first use of their
label values, as prometheus_client's metrics with ``labelnames``::

    requests = h.counter("requests_total", "Requests", labelnames=["path", "code"])
    requests.labels("/", "200").inc()
    requests.labels(path="/", code="200").inc()

A child is cached per tuple of label values, so a repeated ``labels(...)``
is a dict lookup that does not call into libhams."""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Any, Dict, Generic, Mapping, Optional, Sequence, Tuple, Type, TypeVar

from ._args import _cstr
from ._fast_select import _fast
from ._native import _C
from .errors import ERR_INVALID, ERR_NULL, ERR_STATE, HamsError, _check, _check_ptr
from .metrics import Counter, Gauge, Histogram, Metric
from .workers import Aggregation, _set_aggregation

if TYPE_CHECKING:
    from .server import Hams

M = TypeVar("M", bound=Metric)


def _label_value(value: Any, name: str) -> str:
    # As prometheus_client: any value is its str() (code=200 is "200");
    # None would be a NULL in C, so it is refused here.
    if value is None:
        raise HamsError(f"label value for {name!r} is None", ERR_NULL)
    return value if isinstance(value, str) else str(value)


def _strings_array(values: Sequence[str], what: str) -> Any:
    arr = (ctypes.c_char_p * (len(values) + 1))()
    for i, v in enumerate(values):
        arr[i] = _cstr(v, what)
    arr[len(values)] = None
    return arr


# With the fast path, labels(...) of a made child is one C dict lookup; the
# rest (keywords, first use) is _labels_slow below.
_vec_bases: Tuple[Any, ...] = (_fast.VecBase, Generic[M]) if _fast is not None else (Generic[M],)


class MetricVec(*_vec_bases):  # type: ignore[misc]
    """A metric family with label names; :meth:`labels` gives its series.
    It stays in the exposition until :meth:`close` or the Hams' close."""

    _child: Type[Metric] = Metric

    def __init__(self, hams: "Hams", ptr: int, name: str, labelnames: Tuple[str, ...]) -> None:
        self._hams = hams
        self._ptr: Optional[int] = ptr
        self._name = name
        self._labelnames = labelnames
        self._children: Dict[Tuple[str, ...], M] = {}
        self._lock = threading.Lock()  # misses, removals and close

    @property
    def name(self) -> str:
        return self._name

    @property
    def labelnames(self) -> Tuple[str, ...]:
        return self._labelnames

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._hams._handle is None

    def _live_ptr(self) -> int:
        if self._ptr is None or self._hams._handle is None:
            raise HamsError(f"{self._child._kind} vector '{self._name}' is closed", ERR_STATE)
        return self._ptr

    def _key(self, values: Tuple[Any, ...], kw: Mapping[str, Any]) -> Tuple[Any, ...]:
        if not kw:
            return values
        if values:
            raise HamsError("labels() takes the values positionally or by keyword, not both", ERR_INVALID)
        if len(kw) == len(self._labelnames):
            try:
                return tuple([kw[n] for n in self._labelnames])
            except KeyError:
                pass  # explained below
        unknown = [k for k in kw if k not in self._labelnames]
        if unknown:
            raise HamsError(
                f"{self._name} has no label {unknown[0]!r} (its labels: {', '.join(self._labelnames)})", ERR_INVALID
            )
        missing = [n for n in self._labelnames if n not in kw]
        if missing:
            raise HamsError(f"no value for label {missing[0]!r} of {self._name}", ERR_INVALID)
        return tuple(kw[n] for n in self._labelnames)

    def _strings(self, key: Tuple[Any, ...]) -> Tuple[str, ...]:
        names = self._labelnames
        return tuple(_label_value(v, names[i] if i < len(names) else f"#{i + 1}") for i, v in enumerate(key))

    def labels(self, *values: Any, **kw: Any) -> M:
        """The child for these label values, positionally in ``labelnames``'
        order or by name; made on first use, the same object afterwards."""
        key = values if not kw else self._key(values, kw)
        try:
            child = self._children.get(key)
        except TypeError:  # an unhashable value: its str() is the key
            child = None
        if child is not None:
            return child
        return self._make(self._strings(key))

    _labels_slow = labels

    def _make(self, key: Tuple[str, ...]) -> M:
        with self._lock:
            child = self._children.get(key)
            if child is not None:
                return child
            arr = _strings_array(key, "label value")
            ptr = _check_ptr(_C.vec_with(self._live_ptr(), arr), "hams_vec_with")
            child = self._child(self._hams, ptr, self._name)  # type: ignore[assignment]
            child._vec = self
            child._key = key
            self._children[key] = child  # type: ignore[assignment]
            return child  # type: ignore[return-value]

    def remove(self, *values: Any, **kw: Any) -> None:
        """Removes the series of these label values from the exposition; its
        child object can no longer be used. HamsError if there is none.
        libhams frees the series: remove it only when no other thread is
        using its child (as for :meth:`Metric.close`)."""
        key = self._strings(self._key(values, kw))
        arr = _strings_array(key, "label value")
        with self._lock:
            ptr = self._live_ptr()
            child = self._children.pop(key, None)
            if child is not None:
                child._ptr = None
            _check(_C.vec_remove(ptr, arr), "hams_vec_remove")

    def _drop(self, key: Tuple[str, ...], child: Metric) -> None:
        """A child's close(): removes it unless it is gone already."""
        with self._lock:
            if self._children.get(key) is not child or self.closed:
                child._ptr = None
                return
            del self._children[key]
            ptr, child._ptr = child._ptr, None
            if ptr is not None and self._ptr is not None:
                _check(_C.vec_remove(self._ptr, _strings_array(key, "label value")), "hams_vec_remove")

    def clear(self) -> None:
        """Removes every series made through this object."""
        with self._lock:
            ptr = self._live_ptr()
            children, self._children = self._children, {}
            failed: Optional[HamsError] = None
            for key, child in children.items():
                child._ptr = None
                try:
                    _check(_C.vec_remove(ptr, _strings_array(key, "label value")), "hams_vec_remove")
                except HamsError as e:  # the others are still removed
                    failed = failed or e
            if failed is not None:
                raise failed

    def close(self) -> None:
        """Removes the family from the exposition and frees it with its
        series (idempotent)."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            for child in self._children.values():
                child._ptr = None
            self._children = {}
            if ptr is None or self._hams._handle is None:
                return
            _check(_C.vec_free(ptr), "hams_vec_free")

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._children)} series"
        return f"<hams.{type(self).__name__} {self._name!r} {list(self._labelnames)} {state}>"


if _fast is not None:
    del MetricVec.labels  # the C base's


class CounterVec(MetricVec[Counter]):
    """Counters by label values: ``labels(...)`` is a :class:`Counter`."""

    _child = Counter


class GaugeVec(MetricVec[Gauge]):
    """Gauges by label values: ``labels(...)`` is a :class:`Gauge`."""

    _child = Gauge

    def set_aggregation(self, how: Aggregation) -> None:
        """In workers mode, how the parent shows these gauges of all its
        workers (see :meth:`Gauge.set_aggregation`); before the first update."""
        _set_aggregation(self._live_ptr(), how, "vec_set_aggregation")


class HistogramVec(MetricVec[Histogram]):
    """Histograms by label values: ``labels(...)`` is a :class:`Histogram`."""

    _child = Histogram

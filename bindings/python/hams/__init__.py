"""hams: health and lifecycle endpoints for Python services.

A pure-ctypes binding of libhams, the Health and Monitoring System: a small
C library that serves the endpoints Kubernetes, systemd and Prometheus
expect (``/hams/alive``, ``/hams/ready``, ``/hams/startup``,
``/hams/metrics``, ...) from its own background thread::

    import hams

    with hams.Hams("orders", "1.4.2", address="0.0.0.0:8079") as h:
        db = h.probe_manual("db", healthy=False, reason="connecting")
        loop = h.probe_kick("main-loop", margin=5.0, checks=hams.ALIVE)
        jobs = h.counter("jobs_total", "Jobs done")
        reqs = h.counter("requests_total", "Requests", labelnames=["path", "code"])
        db.set(True)
        while not h.wait(0.1):
            loop.kick()
            jobs.inc()
            reqs.labels(path="/", code="200").inc()

Loading: ``$HAMS_LIBRARY`` (a path) if set, else the platform's normal
lookup (``ctypes.util.find_library("hams")``, then ``libhams.so.0``).

Logging: when this package is imported it routes libhams' log records into
the :mod:`logging` logger ``"hams"`` (levels error, warning, info, debug and
:data:`TRACE`; the record's ``hams_target`` attribute names the library
module, e.g. ``"hams::server"``). :func:`log_to_stderr` gives them back to
libhams' own stderr logger; :func:`log_to_python` routes them here again.

Threads: check, shutdown and metrics callbacks run on libhams' threads;
ctypes takes the GIL for them. An exception in a callback never reaches C:
it is logged to the ``"hams"`` logger and, for a check, fails the probe with
the exception's text as the reason. Blocking calls (:meth:`Hams.wait`,
:meth:`Hams.close`, ...) release the GIL.

Ownership: probes and metrics belong to their :class:`Hams`; they stay
registered when their Python object is dropped, until their ``close()`` or
the Hams' ``close()``. Closing a Hams (or leaving its ``with`` block, or its
garbage collection, or the interpreter's exit) stops and frees it; its
probes and metrics can no longer be used (:class:`HamsError`).

The package's modules: ``_native`` (loading libhams, the C prototypes),
``_fast_select`` (whether the compiled ``_fast`` is used), ``_args`` (arguments as C values), ``_callbacks`` (what callbacks share),
``errors``, ``probes``, ``metrics`` (one series), ``metric_vecs``
(vectors), ``metric_methods`` (making them), ``buckets``, ``asyncio_methods``
(wait_async, on_shutdown_async), ``listeners`` (status listeners: on_change,
changes, check_state), ``server`` (the :class:`Hams` handle),
``logging``, ``signals``, ``workers`` (workers mode: :func:`attach`,
gauge aggregation), ``gunicorn`` (gunicorn's server hooks, imported on
demand), ``grpc`` (the gRPC health service kept in sync, imported on demand:
``import hams.grpc``, needs grpcio); every public name is here, in ``hams``.
"""

from __future__ import annotations

from ._native import library_path, version
from ._fast_select import implementation
from ._version import __version__
from .errors import ERR_CONFIG, ERR_INVALID, ERR_IO, ERR_NULL, ERR_PANIC, ERR_STATE, OK, HamsError
from .logging import TRACE, log_to_python, log_to_stderr
from .buckets import exponential_buckets, linear_buckets
from .metric_vecs import CounterVec, GaugeVec, HistogramVec, MetricVec
from .metrics import Counter, Exemplar, Gauge, Histogram, Metric
from .probes import ALIVE, READY, STARTUP, CheckResult, Probe
from .listeners import Change, Listener
from .server import Hams
from .workers import AGG_MAX, AGG_MIN, AGG_PER_WORKER, AGG_SUM, attach

__all__ = [
    "ALIVE",
    "READY",
    "STARTUP",
    "TRACE",
    "OK",
    "ERR_NULL",
    "ERR_INVALID",
    "ERR_STATE",
    "ERR_IO",
    "ERR_CONFIG",
    "ERR_PANIC",
    "HamsError",
    "Hams",
    "attach",
    "AGG_PER_WORKER",
    "AGG_SUM",
    "AGG_MAX",
    "AGG_MIN",
    "Probe",
    "Metric",
    "Counter",
    "Gauge",
    "Histogram",
    "Exemplar",
    "MetricVec",
    "CounterVec",
    "GaugeVec",
    "HistogramVec",
    "linear_buckets",
    "exponential_buckets",
    "CheckResult",
    "Change",
    "Listener",
    "version",
    "library_path",
    "implementation",
    "log_to_python",
    "log_to_stderr",
]


# The public classes under the package's name (tracebacks, reprs, pickling
# say hams.HamsError, as before the package had modules).
for _cls in (HamsError, Hams, Probe, Metric, Counter, Gauge, Histogram, MetricVec, CounterVec, GaugeVec, HistogramVec):
    _cls.__module__ = __name__
del _cls

"""gunicorn server hooks: one hams server in the master for all the workers.

In ``gunicorn.conf.py``::

    from hams.gunicorn import *          # on_starting, post_fork, post_worker_init, worker_exit, on_exit
    import hams.gunicorn
    hams.gunicorn.configure(service="orders", version="1.4.2", address="0.0.0.0:8079", drain=5.0)

In the application (imported in the master with ``--preload``, else in each
worker)::

    import hams.gunicorn
    h = hams.gunicorn.worker()
    requests = h.counter("requests_total", "Requests", labelnames=["path", "code"])

The master makes its :class:`~hams.Hams` in workers mode and serves
``/hams/*``: ``/hams/metrics`` sums the workers' counters and histograms
(a recycled or killed worker's counts stay), the checks show each worker's
probes as ``name@pid``. Each worker gets the handle it inherited across the
fork (or :func:`hams.attach` when it has none); with ``worker_probe`` (the
default, ``"worker"``) each worker adds a ready probe once it has booted.

SIGTERM to the master (what Kubernetes and systemd send) starts hams'
shutdown first: readiness fails for the drain while the workers go on
serving; then gunicorn's own graceful stop runs (``graceful_timeout``),
then ``on_exit``. So the time a pod is given to stop must cover the drain
plus ``graceful_timeout``. SIGINT and SIGQUIT stay gunicorn's quick stop.

Settings (:func:`configure`) may also come from the environment, which
libhams reads over them: ``HAMS_SERVICE_NAME``, ``HAMS_SERVICE_VERSION``,
``HAMS_ADDRESS``, ``HAMS_DRAIN_MS``, ... (see hams_config(5)).
"""

from __future__ import annotations

import copy
import os
import signal
import threading
from typing import Any, Dict, Mapping, Optional

from .errors import HamsError
from .probes import Probe
from .server import Hams
from .workers import ENV, attach

__all__ = ["on_starting", "post_fork", "post_worker_init", "worker_exit", "on_exit"]

_settings: Dict[str, Any] = {
    "config": {"service": {"name": "gunicorn", "version": "0"}},
    "worker_probe": "worker",
    "exit_timeout": 30.0,
}
_lock = threading.Lock()
_master: Optional[Hams] = None  # the master's, made in the master (inherited by forked workers)
_master_pid = 0
_worker: Optional[Hams] = None  # this worker's handle
_worker_pid = 0
_worker_probe: Optional[Probe] = None
_draining = False
_drained = threading.Event()
_exiting = False


def configure(
    *,
    service: Optional[str] = None,
    version: Optional[str] = None,
    address: Optional[str] = None,
    drain: Optional[float] = None,
    min_ready: Optional[int] = None,
    config: Optional[Mapping[str, Any]] = None,
    worker_probe: Optional[str] = "worker",
    exit_timeout: float = 30.0,
) -> None:
    """Settings of the master's server, before it is made (in
    ``gunicorn.conf.py``). ``config`` is a dict shaped like hams' YAML file
    (hams_config(5)); the keywords override it: ``service``/``version``
    (default ``"gunicorn"``, ``"0"``), ``address`` (``"IP:PORT"``, default
    ``0.0.0.0:8079``), ``drain`` (seconds readiness fails before gunicorn
    stops, default 5), ``min_ready`` (readiness fails while fewer workers
    are attached). ``worker_probe``: the name of the ready probe each
    booted worker adds (``None``: none). ``exit_timeout``: seconds
    ``on_exit`` waits for hams' shutdown sequence."""
    doc: Dict[str, Any] = copy.deepcopy(dict(config)) if config is not None else {}
    svc = doc.setdefault("service", {})
    svc.setdefault("name", "gunicorn")
    svc.setdefault("version", "0")
    if service is not None:
        svc["name"] = service
    if version is not None:
        svc["version"] = version
    if address is not None:
        doc.setdefault("server", {})["address"] = address
    if drain is not None:
        doc.setdefault("shutdown", {})["drain_ms"] = int(round(drain * 1000))
    if min_ready is not None:
        doc.setdefault("workers", {})["min_ready"] = min_ready
    with _lock:
        if _master is not None:
            raise HamsError("hams.gunicorn.configure(): the master's hams is made already")
        _settings.update(config=doc, worker_probe=worker_probe, exit_timeout=exit_timeout)


def master() -> Hams:
    """The master's server (made on first use, in workers mode, not
    started: ``on_starting`` starts it). In a worker: the handle it
    inherited."""
    global _master, _master_pid
    with _lock:
        if _master is None:
            doc = copy.deepcopy(_settings["config"])
            doc.setdefault("workers", {})["enabled"] = True
            h = Hams.from_config(doc)
            h.on_shutdown(_after_drain)
            _master, _master_pid = h, os.getpid()
        return _master


def worker() -> Hams:
    """This worker's handle, for its probes and metrics: the one it
    inherited across the fork (metrics made before the fork, with
    ``--preload``, count for all workers together; those made after it are
    this worker's, summed by the master), or :func:`hams.attach` in a
    process started otherwise under a parent in workers mode (uvicorn's
    spawned workers). In the master, before any fork (``--preload``): the
    master's own server."""
    global _worker, _worker_pid
    pid = os.getpid()
    with _lock:
        if _worker is not None and _worker_pid == pid and not _worker.closed:
            return _worker
        inherited = _master
    if inherited is None and os.environ.get(ENV):
        h = attach()
    elif inherited is None or _master_pid == pid:
        return master()
    else:
        h = inherited
    with _lock:
        _worker, _worker_pid = h, pid
    return h


def _after_drain() -> None:
    # hams' shutdown callback (a hams thread): the drain is over, gunicorn
    # may now stop its workers. Whatever started the shutdown (SIGTERM,
    # /hams/shutdown), the service ends.
    _drained.set()
    server = _arbiter
    if server is not None and not _exiting:
        server.signal(signal.SIGTERM, None)


_arbiter: Any = None


def on_starting(server: Any) -> None:
    """gunicorn hook (master): makes (unless the app did) and starts the
    master's hams, and routes SIGTERM through hams' drain."""
    global _arbiter
    h = master()
    if not h.running:
        h.start()
    _arbiter = server
    original = server.handle_term

    def handle_term() -> None:
        global _draining
        if _drained.is_set() or h.closed:
            original()  # raises StopIteration: gunicorn's graceful stop
            return
        if not _draining:
            _draining = True
            server.log.info("hams: SIGTERM: draining (readiness fails) while the workers serve")
            h.shutdown()

    server.handle_term = handle_term
    server.log.info("hams: serving on port %d (workers mode, pid %d)", h.port, os.getpid())


def post_fork(server: Any, worker_: Any) -> None:
    """gunicorn hook (worker, right after the fork): takes its handle."""
    worker()


def post_worker_init(worker_: Any) -> None:
    """gunicorn hook (worker, app loaded): adds the worker's ready probe
    (``worker@<pid>`` in the master's checks)."""
    global _worker_probe
    name = _settings["worker_probe"]
    if name:
        _worker_probe = worker().probe_manual(name, healthy=True)


def worker_exit(server: Any, worker_: Any) -> None:
    """gunicorn hook (worker, exiting): leaves the master's hams."""
    global _worker, _worker_probe
    with _lock:
        h, _worker = (_worker, None) if _worker_pid == os.getpid() else (None, _worker)
    _worker_probe = None
    if h is not None:
        h.close()


def on_exit(server: Any) -> None:
    """gunicorn hook (master, last): hams' shutdown sequence (already done
    after a SIGTERM), bounded by ``exit_timeout``, then frees it."""
    global _exiting, _master
    _exiting = True
    h = _master
    if h is None or os.getpid() != _master_pid or h.closed:
        return
    try:
        h.shutdown()
        h.wait(_settings["exit_timeout"])
    finally:
        _master = None
        h.close()

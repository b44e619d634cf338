"""The gRPC health service (grpc.health.v1) kept in sync with a
:class:`~hams.Hams` by a status listener (no polling). Needs grpcio and
grpcio-health-checking; ``import hams`` alone does not::

    import grpc, hams, hams.grpc
    from grpc_health.v1 import health_pb2_grpc

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(8))
    health_pb2_grpc.add_HealthServicer_to_server(hams.grpc.bridge(h), server)

The mapping (the same in every language): service "" is the ready check;
"alive", "ready" and "startup" are those checks; SERVING while the check
passes, NOT_SERVING while it fails, and NOT_SERVING for every service of the
servicer from the moment the shutdown sequence starts, so that clients stop
routing during the drain (alive, which still passes, too). Other names are
the servicer's own: NOT_FOUND for Check, SERVICE_UNKNOWN for Watch.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Tuple

from grpc_health.v1 import health as _health
from grpc_health.v1 import health_pb2 as _pb2

from .errors import HamsError
from .logging import _logger
from .probes import ALIVE, READY, STARTUP
from .server import Hams

SERVING = _pb2.HealthCheckResponse.SERVING
NOT_SERVING = _pb2.HealthCheckResponse.NOT_SERVING

#: The gRPC services for each check's name: "" follows ready.
SERVICES: Dict[str, Tuple[str, ...]] = {"alive": ("alive",), "ready": ("", "ready"), "startup": ("startup",)}

_CHECK_BITS = {"alive": ALIVE, "ready": READY, "startup": STARTUP}

# The reason hams gives ready from the moment hams_shutdown() starts.
_SHUTDOWN_REASON = "shutdown:"


class _Bridge:
    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer
        self._lock = threading.Lock()  # orders sets from the listener and shutdown()
        self._draining = False
        self._sent: Dict[str, int] = {}  # Watch streams get a message per set(), wanted only on a turn

    def initial(self, h: Hams) -> None:
        # Before the listener's first call: no window where the servicer's
        # default ("" SERVING) answers for a failing ready check.
        for check, bit in _CHECK_BITS.items():
            self.change(check, h.check_state(bit), "")

    def change(self, name: str, healthy: bool, reason: str) -> None:
        if name == "shutdown" and not healthy:
            # hams' built-in report that the sequence started (even when
            # ready was failing already).
            self.shutdown_started()
            return
        services = SERVICES.get(name)
        if services is None:
            return  # a probe
        with self._lock:
            if self._draining:
                return
            if name == "ready" and not healthy and reason.startswith(_SHUTDOWN_REASON):
                self._drain()
                return
            status = SERVING if healthy else NOT_SERVING
            for service in services:
                if self._sent.get(service) != status:
                    self._sent[service] = status
                    self._servicer.set(service, status)

    def shutdown_started(self) -> None:
        with self._lock:
            if not self._draining:
                self._drain()

    def _drain(self) -> None:
        self._draining = True
        # Ours first: enter_graceful_shutdown() turns only the services the
        # servicer knows (a bridge made during the drain has set none).
        for group in SERVICES.values():
            for service in group:
                if self._sent.get(service) != NOT_SERVING:
                    self._sent[service] = NOT_SERVING
                    self._servicer.set(service, NOT_SERVING)
        graceful = getattr(self._servicer, "enter_graceful_shutdown", None)
        if graceful is not None:
            graceful()  # the application's services too, and no set() after
            return
        # Older grpcio-health-checking: the others it knows, by hand.
        for service in list(getattr(self._servicer, "_server_status", {})):
            self._servicer.set(service, NOT_SERVING)


def bridge(h: Hams, servicer: Optional[Any] = None) -> Any:
    """Keeps ``servicer`` (a ``grpc_health.v1.health.HealthServicer``;
    a new one when None) in sync with ``h`` and returns it: sets "",
    "alive", "ready", "startup" now and at every change of their check, and
    from the start of the shutdown sequence (``h.shutdown()``, a handled
    signal, ``/hams/shutdown``) calls its
    ``enter_graceful_shutdown()``: every service NOT_SERVING from then on.
    Call it after registering the probes (see :meth:`Hams.on_change`).

    libhams reports its built-in ``shutdown`` (unhealthy) to listeners when
    the sequence starts, however it was started and even when ready was
    failing already: that is what turns every service NOT_SERVING."""
    if not isinstance(h, Hams):
        raise TypeError(f"bridge needs a hams.Hams, not {type(h).__name__}")
    if servicer is None:
        servicer = _health.HealthServicer()
    b = _Bridge(servicer)
    if getattr(h, "_shutdown_called", False):
        b.shutdown_started()
    else:
        b.initial(h)
    h._shutdown_hooks.append(b.shutdown_started)
    try:
        h.on_change(b.change)
    except HamsError:
        h._shutdown_hooks.remove(b.shutdown_started)
        raise
    _logger.debug("gRPC health bridge on %r", h)
    return servicer

"""gunicorn configuration of the bench, prometheus_client multiprocess mode."""

from prometheus_client import multiprocess

control_socket_disable = True
graceful_timeout = 5


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    multiprocess.mark_process_dead(worker.pid)

"""gunicorn configuration of the bench, hams in workers mode."""

from hams.gunicorn import *  # noqa: F401,F403

import hams.gunicorn

hams.gunicorn.configure(service="bench-workers", version="1", drain=0.0)
control_socket_disable = True
graceful_timeout = 5

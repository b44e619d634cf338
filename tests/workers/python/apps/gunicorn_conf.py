"""gunicorn.conf.py of the tests: hams' hooks, hams' settings from the
environment the test gives (HAMS_ADDRESS, HAMS_DRAIN_MS)."""

from hams.gunicorn import *  # noqa: F401,F403

import hams.gunicorn

hams.gunicorn.configure(service="gunicorn-test", version="1.0")
bind = "127.0.0.1:0"
workers = 4
worker_class = "sync"
graceful_timeout = 10
loglevel = "info"
control_socket_disable = True  # gunicorn 24+: no socket in $HOME (older ones ignore the name)

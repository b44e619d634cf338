"""The Python half of examples/embed: run by host.c inside its process.

host.c calls ``register(handle)`` with its ``hams_t *`` as an int. The
plugin wraps that handle without owning it (the C host stops and frees the
server) and registers its own probes through the Python binding, which it
finds on ``PYTHONPATH`` (``bindings/python``).
"""

from __future__ import annotations

import hams


def register(handle: int) -> hams.Hams:
    h = hams.Hams.from_handle(handle, owned=False)
    side = h.probe_manual("py-side", healthy=False, reason="plugin starting")
    # ... the plugin's own start-up would go here ...
    side.set(True)

    # A check in Python, run on one of hams' threads while the C host
    # serves (the host has released the GIL).
    @h.check("py-check", interval=0.2, timeout=1.0)
    def py_check() -> hams.CheckResult:
        return True

    h.counter("embed_plugin_loads_total", "Python plugins loaded").inc()
    print(f"embed: python plugin registered (libhams {hams.version()} from {hams.library_path()})", flush=True)
    # The returned object is kept by the host until it frees the server.
    return h

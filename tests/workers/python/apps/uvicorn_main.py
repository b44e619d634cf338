"""The parent of uvicorn's workers: hams in workers mode, started, then
uvicorn.run(workers=N), which spawns them (they call hams.attach()).

    uvicorn_main.py PORT WORKERS

After uvicorn returns (SIGINT or SIGTERM), hams keeps serving until stdin
closes, so that the test can look at it."""

from __future__ import annotations

import sys

import uvicorn

import hams


def main() -> None:
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    h = hams.Hams("uvicorn-test", "1.0", address="127.0.0.1:0", workers=True)
    h.start()
    print(f"hams: serving on port {h.port}", flush=True)
    uvicorn.run("fastapi_app:app", host="127.0.0.1", port=port, workers=workers, log_level="warning")
    print("uvicorn stopped", flush=True)
    sys.stdin.read()
    h.close()


# uvicorn's workers are spawned: they import this module again (as
# __mp_main__), and must not run it.
if __name__ == "__main__":
    main()

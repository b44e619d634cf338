"""Helm itself, through PyPI's helm-sdkpy (Helm's Go library): lint a chart.

helm-sdkpy renders nothing without a cluster: it has no `helm template`, no
dry-run and no client-only install, and its Install talks to a Kubernetes
API. So Helm judges the chart through its lint, which executes every
template with the chart's values (a broken template fails it) and checks
Chart.yaml and the values against values.schema.json; render.py renders.
Two limits of the lint: it runs with Helm's default capabilities (Kubernetes
v1.37.0 in Helm 4.3.0, whatever the chart's kubeVersion), and in lint mode
Helm's `fail` only logs; so the chart's Kubernetes version gates are judged
through render.py only.

  python3 tests/k8s/helm_chart.py --worker   (started by the functions below)

  lint(chart_dir) -> [(severity, path)]     severity 3 = error
"""
import asyncio
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ERROR = 3  # Helm's support.ErrorSev; 2 is a warning, 1 information


class HelmError(Exception):
    """helm-sdkpy failed; the message is Helm's."""


# Helm's Go runtime reads its environment once, when the library loads, so
# Helm runs in a worker process whose Helm and $HOME directories are
# temporary (nothing of a run is left in the user's), and whose Go output
# goes to stderr, never into the checks' lines. One worker serves a run.
_worker = None


def _call(op, **args):
    global _worker
    if _worker is None:
        tmp = tempfile.mkdtemp(prefix="hams-helm-")
        env = dict(os.environ, HOME=tmp, HELM_CACHE_HOME=os.path.join(tmp, "cache"),
                   HELM_CONFIG_HOME=os.path.join(tmp, "config"), HELM_DATA_HOME=os.path.join(tmp, "data"))
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def stop(proc=proc, tmp=tmp):
            proc.stdin.close()
            proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)

        atexit.register(stop)
        _worker = proc
    _worker.stdin.write(json.dumps(dict(args, op=op)) + "\n")
    _worker.stdin.flush()
    line = _worker.stdout.readline()
    if not line:
        raise RuntimeError("the helm-sdkpy worker died (%s --worker)" % os.path.abspath(__file__))
    out = json.loads(line)
    if "error" in out:
        raise HelmError(out["error"])
    return out["result"]


def available():
    """None when helm-sdkpy imports, else why not."""
    try:
        import helm_sdkpy  # noqa: F401
    except Exception as e:  # ImportError, or its library failing to load
        return "%s: %s" % (type(e).__name__, e)
    return None


def version():
    """helm-sdkpy's version, and the Helm module built into its library
    (from the Go build information in it)."""
    sdk = _call("version")
    helm = "Helm ?"
    try:
        import importlib.util
        import glob
        import mmap
        spec = importlib.util.find_spec("helm_sdkpy")
        for lib in glob.glob(os.path.join(list(spec.submodule_search_locations)[0], "_lib", "*", "*.so")):
            with open(lib, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                found = re.search(rb"dep\thelm\.sh/helm/v\d+\t(v[0-9][0-9A-Za-z.+-]*)", m)
                if found:
                    helm = "Helm " + found.group(1).decode()
                    break
    except (OSError, ValueError, AttributeError, IndexError):
        pass
    return "%s (%s)" % (helm, sdk)


def lint(chart_dir):
    """Helm's lint messages, [(severity, path)]. helm-sdkpy serialises each
    message's error as {}, so the text is lost: the path names the file."""
    return [tuple(m) for m in _call("lint", chart=os.path.abspath(chart_dir))]


def _serve():
    """The worker: one JSON request a line on stdin, one answer a line."""
    import helm_sdkpy as sdk
    # the answers on a copy of stdout; whatever Helm's Go code prints goes
    # to stderr and cannot garble them
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "version":
                res = sdk.get_version()
            elif req["op"] == "lint":
                out = asyncio.run(sdk.Lint(sdk.Configuration()).run(req["chart"]))
                res = [(m.get("Severity"), m.get("Path")) for m in out.get("Messages") or []]
            else:
                raise ValueError("unknown op %r" % req["op"])
            ans = {"result": res}
        except sdk.HelmError as e:
            ans = {"error": str(e)}
        answers.write(json.dumps(ans) + "\n")
        answers.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _serve()

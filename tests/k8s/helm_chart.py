"""Helm itself, through PyPI's helm-sdkpy (Helm's Go library): lint a chart,
and render it.

helm-sdkpy has no `helm template` and no dry-run install; its Install
always talks to a cluster. render() gives it one that stores nothing: a
stub Kubernetes API on 127.0.0.1 that answers discovery (so Helm builds its
Capabilities, with the Kubernetes version asked for, and checks the chart's
kubeVersion against it) and accepts every create. The release is kept in
Helm's memory driver, and the manifest Helm rendered comes back in the
release. Nothing leaves the machine.

  python3 tests/k8s/helm_chart.py --worker   (started by the functions below)

  lint(chart_dir) -> [(severity, path)]     severity 3 = error
  render(chart_dir, release, values, kube_version) -> manifest text
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
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR = 3  # Helm's support.ErrorSev; 2 is a warning, 1 information

# What the stub API serves: group/version -> [(plural, kind, namespaced)].
RESOURCES = {
    "v1": [("configmaps", "ConfigMap", True), ("services", "Service", True), ("secrets", "Secret", True),
           ("namespaces", "Namespace", False)],
    "apps/v1": [("deployments", "Deployment", True)],
    "monitoring.coreos.com/v1": [("servicemonitors", "ServiceMonitor", True)],
}


class HelmError(Exception):
    """Helm refused the chart; the message is Helm's."""


# Helm's Go runtime reads its environment once, when the library loads, so
# Helm runs in a worker process started with the environment it needs:
# releases in memory (HELM_DRIVER), and $HOME, where client-go caches the
# stub's discovery, in a temporary directory. One worker serves a whole run.
_worker = None


def _call(op, **args):
    global _worker
    if _worker is None:
        tmp = tempfile.mkdtemp(prefix="hams-helm-")
        env = dict(os.environ, HELM_DRIVER="memory", HOME=tmp, KUBECACHEDIR=os.path.join(tmp, "kube-cache"),
                   HELM_CACHE_HOME=os.path.join(tmp, "cache"), HELM_CONFIG_HOME=os.path.join(tmp, "config"),
                   HELM_DATA_HOME=os.path.join(tmp, "data"))
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


def render(chart_dir, release, values=None, kube_version="1.30"):
    """The manifest Helm renders for an install of chart_dir under `release`
    with `values` (merged over values.yaml) on Kubernetes kube_version.
    Raises HelmError with Helm's message."""
    return _call("render", chart=os.path.abspath(chart_dir), release=release, values=values or {},
                 kube=kube_version)


def _stub(kube_version):
    major, minor = kube_version.split(".")[:2]

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/version":
                return self.answer(200, {"major": major, "minor": minor, "gitVersion": "v%s.%s.0" % (major, minor)})
            if path == "/api":
                return self.answer(200, {"kind": "APIVersions", "versions": ["v1"]})
            if path == "/apis":
                groups = []
                for gv in RESOURCES:
                    if "/" in gv:
                        g, v = gv.split("/")
                        ver = {"groupVersion": gv, "version": v}
                        groups.append({"name": g, "versions": [ver], "preferredVersion": ver})
                return self.answer(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
            gv = path[len("/api/"):] if path.startswith("/api/") else path[len("/apis/"):]
            if gv in RESOURCES:
                verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
                return self.answer(200, {"kind": "APIResourceList", "groupVersion": gv, "resources": [
                    {"name": n, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": verbs}
                    for n, k, ns in RESOURCES[gv]]})
            # every object is new
            return self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "reason": "NotFound", "code": 404, "message": "not found"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) or b"{}"
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_PUT = do_POST
        do_PATCH = do_POST

    return ThreadingHTTPServer(("127.0.0.1", 0), Api)


def _render(sdk, chart_dir, release, values, kube_version):
    server = _stub(kube_version)
    # a short poll: shutdown() waits for serve_forever to notice
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = json.dumps({
                "apiVersion": "v1", "kind": "Config", "current-context": "stub",
                "clusters": [{"name": "stub", "cluster": {"server": "http://127.0.0.1:%d" % server.server_port}}],
                "users": [{"name": "stub", "user": {}}],
                "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub", "namespace": "default"}}],
            })
            path = os.path.join(tmp, "kubeconfig")
            with open(path, "w") as f:
                f.write(kubeconfig)
            cfg = sdk.Configuration(namespace="default", kubeconfig=path)
            rel = asyncio.run(sdk.Install(cfg).run(release, chart_dir, values=values, wait=False, timeout=30))
            return rel.get("manifest") or ""
    finally:
        server.shutdown()
        server.server_close()


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
                res = _render(sdk, req["chart"], req["release"], req["values"], req["kube"])
            ans = {"result": res}
        except sdk.HelmError as e:
            ans = {"error": str(e)}
        answers.write(json.dumps(ans) + "\n")
        answers.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _serve()

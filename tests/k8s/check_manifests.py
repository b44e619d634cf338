#!/usr/bin/env python3
"""Checks the Kubernetes examples (examples/kubernetes/): with real tools,
then against each other and the demo's configuration.

  python3 tests/k8s/check_manifests.py [--root DIR] [--release NAME] [--demo PATH]

1. Helm itself (PyPI helm-sdkpy, through helm_chart.py) lints the chart and
   a copy per variant of its values (VARIANTS); a copy with a broken
   template must fail the lint (the control). helm-sdkpy cannot render
   without a cluster, so render.py, a small renderer of the Helm subset the
   chart uses, renders every variant for the oldest Kubernetes it claims
   and the newest kubernetes-validate ships, and must refuse each one minor
   version below its claim (Chart.yaml kubeVersion, the templates' fail).
2. kubernetes-validate (strict) validates every manifest and every
   rendered document against Kubernetes' schemas for those versions.
3. What only hams knows: the chart's defaults render the plain manifests
   (release hams-demo, the name README.md installs it under; the config in
   the ConfigMap compared as data), serviceMonitor.enabled=true gives
   servicemonitor.yaml, probes.type=exec (and probes.readiness.exec=true)
   deployment-exec-probes.yaml; the manifests and the gRPC and preStop
   sleep variants agree with the demo's configuration: ports, probe and
   scrape paths, the gRPC health mapping, timings (grace period vs preStop
   sleep and drain, startup window vs warm-up, liveness vs the drain), the
   config's keys (those man/hams_config.5 documents), HAMS_* overrides, and
   examples/config.yaml.

--render [--set KEY=VALUE]... [--kube-version X.Y] prints what render.py
renders (a stand-in for `helm template`).

With --demo PATH (or $HAMS_DEMO), a built demo (libhams on LD_LIBRARY_PATH)
is also started with the ConfigMap's configuration, and every probe and
scrape path of the manifests is requested from it.

Prints one line per check, then "k8s: N passed, N failed"; exits 1 on a
failure, 77 (skipped) without helm-sdkpy or kubernetes-validate. Needs
python3 and PyYAML.
"""
import argparse
import copy
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write(
        "check_manifests.py needs PyYAML: apt-get install -y python3-yaml "
        "(Debian/Ubuntu) or pip install pyyaml\n")
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helm_chart  # noqa: E402
import render  # noqa: E402

# terminationGracePeriodSeconds * 1000 must exceed drain_ms + GRACE_MARGIN_MS:
# 2000 ms for the shutdown callbacks (the demo's prints a line) and 3000 ms
# for the process to exit and for slack (a loaded node, a slow kubelet).
CALLBACKS_MS = 2000
SLACK_MS = 3000
GRACE_MARGIN_MS = CALLBACKS_MS + SLACK_MS
# The startup probe's window must be at least this many times the warm-up.
STARTUP_FACTOR = 3
DEFAULT_RELEASE = "hams-demo"
K8S = "examples/kubernetes"
CHART = K8S + "/helm/hams-demo"
SAMPLE_POD_IP = "10.1.2.3"   # stands for status.podIP when checking HAMS_ADDRESS


class Fail(Exception):
    """A check failed; the message names the file and the field."""


# ----------------------------------------------------------------- helpers

def field(path):
    """Formats a field path: ['spec', 'containers', 'hams-demo'] ->
    spec.containers[hams-demo] (list items by name when they have one)."""
    out = ""
    for p in path:
        if isinstance(p, int) or (isinstance(p, str) and p.startswith("[")):
            out += p if isinstance(p, str) else "[%d]" % p
        else:
            out += ("." if out else "") + str(p)
    return out


def get(doc, path, default=KeyError):
    """doc at path; list items can be selected as '[name]'."""
    cur = doc
    for p in path:
        if isinstance(p, str) and p.startswith("[") and isinstance(cur, list):
            name = p[1:-1]
            found = [x for x in cur if isinstance(x, dict) and x.get("name") == name]
            if not found:
                if default is KeyError:
                    raise KeyError(field(path))
                return default
            cur = found[0]
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            cur = cur[p]
        else:
            if default is KeyError:
                raise KeyError(field(path))
            return default
    return cur


def diff(a, b, path=()):
    """Differences between two parsed documents, as (path, a, b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            out += diff(a.get(k, "<missing>"), b.get(k, "<missing>"), path + (k,))
        return out
    if isinstance(a, list) and isinstance(b, list):
        named = all(isinstance(x, dict) and "name" in x for x in a + b)
        if named and len({x["name"] for x in a}) == len(a) and len({x["name"] for x in b}) == len(b):
            out = []
            an, bnames = [x["name"] for x in a], [x["name"] for x in b]
            common = [n for n in an if n in bnames]
            if common != [n for n in bnames if n in an]:
                out.append((path, "order %s" % common, "order %s" % [n for n in bnames if n in an]))
            bn = {x["name"]: x for x in b}
            for x in a:
                out += diff(x, bn.get(x["name"], "<missing>"), path + ("[%s]" % x["name"],))
            for x in b:
                if x["name"] not in {y["name"] for y in a}:
                    out.append((path + ("[%s]" % x["name"],), "<missing>", x))
            return out
        if len(a) != len(b):
            return [(path, a, b)]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, path + (i,))
        return out
    if a != b or type(a) is not type(b):
        return [(path, a, b)]
    return []


def short(v):
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


# --------------------------------------------------- Helm and Kubernetes

# The Kubernetes versions the examples claim (Chart.yaml kubeVersion,
# examples/kubernetes/README.md), each validated from there to the newest
# kubernetes-validate ships: the manifests and the chart's defaults (http or
# exec probes) from 1.25; gRPC probes are GA in 1.27; the preStop sleep
# action is beta, on by default, in 1.30 (alpha behind a gate in 1.29).
CLAIM_DEFAULT = "1.25"
CLAIM_GRPC = "1.27"
CLAIM_SLEEP = "1.30"

# The chart's variants: (label, values over values.yaml, oldest Kubernetes claimed).
VARIANTS = [
    ("values.yaml", {}, CLAIM_DEFAULT),
    ("serviceMonitor.enabled=true", {"serviceMonitor": {"enabled": True}}, CLAIM_DEFAULT),
    ("probes.readiness.exec=true", {"probes": {"readiness": {"exec": True}}}, CLAIM_DEFAULT),
    ("probes.type=exec", {"probes": {"type": "exec"}}, CLAIM_DEFAULT),
    ("probes.type=grpc", {"probes": {"type": "grpc"}}, CLAIM_GRPC),
    ("preStop.sleep=5", {"preStop": {"sleep": 5}, "terminationGracePeriodSeconds": 20}, CLAIM_SLEEP),
]
# Variants whose Deployment the hams checks below judge as well (the others
# equal a plain manifest, which they judge).
HAMS_VARIANTS = ("probes.type=grpc", "preStop.sleep=5")

# hams' gRPC health mapping (man/hams.3, README.md): the service each probe asks.
GRPC_SERVICES = {"startupProbe": "startup", "livenessProbe": "alive", "readinessProbe": "ready"}

# Renders, lints and validations by content: drift_test.py runs the checks
# on many copies of the same files.
_MEMO = {}


def memo(key, fn):
    if key not in _MEMO:
        try:
            _MEMO[key] = (True, fn())
        except Exception as e:  # remembered too, and raised again
            _MEMO[key] = (False, e)
    ok, val = _MEMO[key]
    if not ok:
        raise val
    return val


def tree_hash(d):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames.sort()
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            h.update(os.path.relpath(p, d).encode() + b"\0")
            with open(p, "rb") as f:
                h.update(f.read() + b"\0")
    return h.hexdigest()


def missing_tools():
    """What the checks need and cannot import, or []."""
    out = []
    why = helm_chart.available()
    if why:
        out.append("helm-sdkpy (%s)" % why)
    try:
        import kubernetes_validate  # noqa: F401
    except Exception as e:
        out.append("kubernetes-validate (%s: %s)" % (type(e).__name__, e))
    return out


def kube_versions():
    """The Kubernetes versions kubernetes-validate ships, oldest first."""
    import kubernetes_validate.utils as kvu
    return [kvu.major_minor(v) for v in kvu.all_versions()]


def kube_validate_version():
    from kubernetes_validate.version import __version__
    return __version__


def claimed(oldest):
    """[oldest claimed, newest shipped], the oldest raised to the oldest shipped."""
    vs = kube_versions()
    vkey = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    lo = max(oldest, vs[0], key=vkey)
    return [lo] if lo == vs[-1] else [lo, vs[-1]]


def kube_validate(doc, version):
    """None when doc is valid for Kubernetes `version` (strict: unknown
    fields fail), else kubernetes-validate's complaint."""
    import kubernetes_validate
    import kubernetes_validate.utils as kvu

    def run():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kvu.ValidationError as e:
            return "%s: %s" % (".".join(str(p) for p in e.path) or "(document)", e.message)
        except kvu.SchemaNotFoundError as e:
            return "no schema: " + e.message
        return None

    return memo(("validate", json.dumps(doc, sort_keys=True, default=str), version), run)


def render_chart(chart_dir, release, overrides=None, kube=CLAIM_DEFAULT):
    """render.py's rendering of the chart: {template file: [documents]}.
    Raises render.RenderError, or a yaml error."""
    key = ("render", tree_hash(chart_dir), release, json.dumps(overrides or {}, sort_keys=True), kube)
    return copy.deepcopy(memo(key, lambda: render.render_chart(chart_dir, release, overrides or {}, kube)))


def lint_chart(chart_dir, values=None):
    """Helm's lint of chart_dir (with `values` written over a copy's
    values.yaml): [(severity, path)]."""
    def run():
        if not values:
            return helm_chart.lint(chart_dir)
        with tempfile.TemporaryDirectory() as tmp:
            copy_dir = os.path.join(tmp, os.path.basename(chart_dir))
            shutil.copytree(chart_dir, copy_dir)
            with open(os.path.join(copy_dir, "values.yaml")) as f:
                base = yaml.safe_load(f) or {}
            with open(os.path.join(copy_dir, "values.yaml"), "w") as f:
                yaml.safe_dump(render.merge(base, values), f)
            return helm_chart.lint(copy_dir)

    return memo(("lint", tree_hash(chart_dir), json.dumps(values or {}, sort_keys=True)), run)



# ------------------------------------------------------ hams_config(5) keys

def man_keys(path):
    """({section: [keys]}, {HAMS_VAR: 'section.key'}) from hams_config(5)."""
    sections, env = {}, {}
    section = None
    in_env = False
    pending = []
    with open(path) as f:
        lines = f.read().splitlines()
    for ln in lines:
        if ln.startswith(".Sh "):
            section = None
            in_env = ln.split(None, 1)[1].strip() == "ENVIRONMENT"
            continue
        if ln.startswith(".Ss "):
            section = ln.split(None, 1)[1].strip()
            sections[section] = []
            continue
        if section and ln.startswith(".It Ic "):
            sections[section].append(ln.split()[2])
        if in_env:
            if ln.startswith(".It Ev "):
                pending = [w for w in re.findall(r"HAMS_[A-Z0-9_]+", ln)]
            elif ln.startswith(".Ic ") and pending:
                env[pending.pop(0)] = ln.split()[1]
            elif ln.startswith(".It") or ln.startswith(".El"):
                pending = []
    return sections, env


ADDRESS = re.compile(r"^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]|localhost):(\d{1,5})$")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def parse_address(s):
    """(host, port) of an address hams accepts, else None."""
    if not isinstance(s, str):
        return None
    m = ADDRESS.match(s)
    if not m:
        return None
    try:
        if m.group(1):
            ipaddress.IPv4Address(m.group(1))
        elif m.group(2):
            ipaddress.IPv6Address(m.group(2))
    except ValueError:
        return None
    port = int(m.group(3))
    if port > 65535:
        return None
    return (m.group(1) or m.group(2) or "localhost", port)


def validate_config(cfg, where, sections):
    """Problems of a hams configuration, as 'where: key: problem' strings."""
    probs = []

    def bad(key, msg):
        probs.append("%s: %s: %s" % (where, key, msg))

    if not isinstance(cfg, dict):
        return ["%s: not a mapping" % where]
    for sec in cfg:
        if sec not in sections:
            bad(sec, "unknown section (hams_config(5) knows %s)" % ", ".join(sections))
    for sec, body in cfg.items():
        if sec not in sections:
            continue
        if sec == "probes":
            if not isinstance(body, list):
                bad(sec, "must be a list")
                continue
            seen = set()
            for i, p in enumerate(body):
                k = "probes[%d]" % i
                if not isinstance(p, dict):
                    bad(k, "must be a mapping")
                    continue
                for key in p:
                    if key not in sections["probes"]:
                        bad("%s.%s" % (k, key), "unknown key (hams_config(5) knows %s)" % ", ".join(sections["probes"]))
                name = p.get("name")
                if not isinstance(name, str) or not NAME.match(name):
                    bad(k + ".name", "required, 1 to 64 of [A-Za-z0-9_.-]")
                elif name in seen:
                    bad(k + ".name", "duplicate probe name %r" % name)
                seen.add(name)
                typ = p.get("type")
                if typ not in ("kick", "manual"):
                    bad(k + ".type", "must be kick or manual, not %r" % (typ,))
                checks = p.get("checks")
                if (not isinstance(checks, list) or not checks
                        or any(c not in ("alive", "ready", "startup") for c in checks)):
                    bad(k + ".checks", "a non-empty list of alive, ready, startup")
                if typ == "kick":
                    m = p.get("margin_ms")
                    if not isinstance(m, int) or isinstance(m, bool) or m <= 0:
                        bad(k + ".margin_ms", "a kick probe needs margin_ms > 0")
                    if "healthy" in p:
                        bad(k + ".healthy", "manual probes only")
                if typ == "manual":
                    if "margin_ms" in p:
                        bad(k + ".margin_ms", "kick probes only")
                    if "healthy" in p and not isinstance(p["healthy"], bool):
                        bad(k + ".healthy", "true or false")
            continue
        if not isinstance(body, dict):
            bad(sec, "must be a mapping")
            continue
        for key in body:
            if key not in sections[sec]:
                bad("%s.%s" % (sec, key), "unknown key (hams_config(5) knows %s)" % ", ".join(sections[sec]))
    svc = cfg.get("service")
    if not isinstance(svc, dict):
        bad("service", "required")
    else:
        for key in ("name", "version"):
            v = svc.get(key)
            if not isinstance(v, str) or not v or len(v.encode()) > 128 or not v.isprintable():
                bad("service." + key, "required: printable text, at most 128 bytes (a quoted string), not %r" % (v,))
    srv = cfg.get("server") or {}
    if isinstance(srv, dict):
        if "address" in srv and parse_address(srv["address"]) is None:
            bad("server.address", "invalid address %r: expected IP:PORT, [v6]:PORT or localhost:PORT" % (srv["address"],))
        pre = srv.get("prefix", "/hams")
        if not isinstance(pre, str) or (pre and (not pre.startswith("/") or pre.endswith("/"))):
            bad("server.prefix", "must start with / and not end with one, or be empty: %r" % (pre,))
        for key in ("max_connections", "header_timeout_ms", "idle_timeout_ms"):
            if key in srv and (not isinstance(srv[key], int) or isinstance(srv[key], bool) or srv[key] <= 0):
                bad("server." + key, "an integer > 0")
    sd = cfg.get("shutdown") or {}
    if isinstance(sd, dict):
        if "drain_ms" in sd and (not isinstance(sd["drain_ms"], int) or isinstance(sd["drain_ms"], bool) or sd["drain_ms"] < 0):
            bad("shutdown.drain_ms", "an integer >= 0")
        for key in ("handle_signals", "endpoint"):
            if key in sd and not isinstance(sd[key], bool):
                bad("shutdown." + key, "true or false")
        if "endpoint_wait_ms" in sd and (not isinstance(sd["endpoint_wait_ms"], int) or sd["endpoint_wait_ms"] <= 0):
            bad("shutdown.endpoint_wait_ms", "an integer > 0")
        if "token" in sd and (not isinstance(sd["token"], str) or not re.match(r"^[!-~]+$", sd["token"])):
            bad("shutdown.token", "visible ASCII without spaces")
    return probs


def config_keys(cfg):
    """Every key of a config, as section.key (probes as probes[].key)."""
    keys = set()
    for sec, body in (cfg or {}).items():
        if isinstance(body, dict):
            keys |= {"%s.%s" % (sec, k) for k in body}
        elif isinstance(body, list):
            for p in body:
                if isinstance(p, dict):
                    keys |= {"probes[].%s" % k for k in p}
    return keys


# ---------------------------------------------------------------- checker

class Checker:
    def __init__(self, root, release, demo):
        self.root = root
        self.release = release
        self.demo = demo
        self.passed = 0
        self.failed = 0
        self._cache = {}

    # -- running
    def run(self, name, fn):
        try:
            detail = fn()
        except Fail as e:
            self.failed += 1
            msg = str(e).replace("\n", "\n       ")
            print("FAIL %s: %s" % (name, msg))
            return
        except Exception as e:  # a bug or an unreadable file: a failure too
            self.failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            return
        if detail == "skip":
            return
        self.passed += 1
        print("ok   %s%s" % (name, (" (%s)" % detail) if detail else ""))

    @staticmethod
    def problems(probs):
        if probs:
            raise Fail("\n".join(probs))

    # -- loading
    def path(self, rel):
        return os.path.join(self.root, rel)

    def docs(self, rel):
        if rel not in self._cache:
            try:
                with open(self.path(rel)) as f:
                    self._cache[rel] = [d for d in yaml.safe_load_all(f) if d is not None]
            except OSError as e:
                raise Fail("%s: cannot read: %s" % (rel, e.strerror))
            except yaml.YAMLError as e:
                raise Fail("%s: does not parse: %s" % (rel, e))
        return self._cache[rel]

    def one(self, rel, kind):
        found = [d for d in self.docs(rel) if isinstance(d, dict) and d.get("kind") == kind]
        if len(found) != 1:
            raise Fail("%s: expected one %s, found %d" % (rel, kind, len(found)))
        return found[0]

    def manifests(self):
        """The plain manifests: {file: [docs]} for examples/kubernetes/*.yaml."""
        out = {}
        for name in sorted(os.listdir(self.path(K8S))):
            if name.endswith((".yaml", ".yml")):
                out[K8S + "/" + name] = self.docs(K8S + "/" + name)
        return out

    def man(self):
        if "man" not in self._cache:
            sections, env = man_keys(self.path("man/hams_config.5"))
            if not sections or not env:
                raise Fail("man/hams_config.5: found no documented keys (.Ss sections with .It Ic) or variables")
            self._cache["man"] = (sections, env)
        return self._cache["man"]

    def deployment(self, rel):
        return self.one(rel, "Deployment")

    def container(self, dep, rel):
        cs = get(dep, ["spec", "template", "spec", "containers"], [])
        if len(cs) != 1:
            raise Fail("%s: spec.template.spec.containers: expected one container, found %d" % (rel, len(cs)))
        return cs[0]

    def configmap_config(self, dep_rel=None):
        """(config, where) from configmap.yaml, for the file the Deployment
        reads; from a rendered variant's own ConfigMap for its Deployment."""
        rel = K8S + "/configmap.yaml"
        if dep_rel and any(isinstance(d, dict) and d.get("kind") == "ConfigMap" for d in self.docs(dep_rel)):
            rel = dep_rel
        cm = self.one(rel, "ConfigMap")
        data = cm.get("data") or {}
        key = self.config_key()
        if key not in data:
            raise Fail("%s: data.%s: missing (deployment.yaml reads /etc/hams/%s)" % (rel, key, key))
        try:
            cfg = yaml.safe_load(data[key])
        except yaml.YAMLError as e:
            raise Fail("%s: data.%s: does not parse: %s" % (rel, key, e))
        return cfg, "%s: data.%s" % (rel, key)

    def config_key(self):
        """The ConfigMap key the demo's --config names (via the volume mount)."""
        rel = K8S + "/deployment.yaml"
        c = self.container(self.deployment(rel), rel)
        args = self.demo_args(c, rel)
        cfg_path = args.get("--config")
        if not cfg_path:
            raise Fail("%s: containers[%s].args: no --config FILE" % (rel, c.get("name")))
        for m in c.get("volumeMounts") or []:
            mp = m.get("mountPath", "").rstrip("/")
            if cfg_path.startswith(mp + "/"):
                return cfg_path[len(mp) + 1:] if "subPath" not in m else m["subPath"]
        raise Fail("%s: containers[%s].volumeMounts: nothing mounted at %s (--config)" % (rel, c.get("name"), cfg_path))

    def demo_args(self, c, rel):
        """The demo's options from command + args, as {option: value}."""
        argv = list(c.get("command") or []) + list(c.get("args") or [])
        out = {}
        i = 1 if argv and not str(argv[0]).startswith("-") else 0
        flags = {"--shutdown-endpoint"}
        while i < len(argv):
            a = str(argv[i])
            if a in flags:
                out[a] = True
                i += 1
            elif a.startswith("--") and i + 1 < len(argv):
                out[a] = str(argv[i + 1])
                i += 2
            else:
                raise Fail("%s: containers[%s].args: unexpected %r" % (rel, c.get("name"), a))
        return out

    def env(self, c):
        return {e.get("name"): e for e in c.get("env") or []}

    def effective(self, rel):
        """The configuration the demo runs with in the pod of `rel`: the
        ConfigMap's, overridden by the container's HAMS_* variables."""
        cfg, _ = self.configmap_config(rel)
        cfg = copy.deepcopy(cfg)
        _, envmap = self.man()
        c = self.container(self.deployment(rel), rel)
        static = {}
        for name, e in self.env(c).items():
            if "value" in e:
                static[name] = re.sub(r"\$\((\w+)\)", lambda m: static.get(m.group(1), m.group(0)), str(e["value"]))
            elif get(e, ["valueFrom", "fieldRef", "fieldPath"], None) == "status.podIP":
                static[name] = SAMPLE_POD_IP
            if name in envmap and "value" in e:
                sec, key = envmap[name].split(".")
                val = static[name]
                old = get(cfg, [sec, key], None)
                if isinstance(old, bool) or val in ("true", "false"):
                    val = val in ("true", "1", "yes", "on")
                elif isinstance(old, int) and val.isdigit():
                    val = int(val)
                cfg.setdefault(sec, {})[key] = val
        return cfg

    def port_prefix(self, rel):
        cfg = self.effective(rel)
        srv = cfg.get("server") or {}
        addr = parse_address(srv.get("address", "0.0.0.0:8079"))
        if addr is None:
            raise Fail("%s: the effective server.address %r (ConfigMap + HAMS_ADDRESS) is invalid"
                       % (rel, srv.get("address")))
        return addr[1], srv.get("prefix", "/hams"), cfg

    def warmup_ms(self, c, rel):
        args = self.demo_args(c, rel)
        if "--warmup-ms" in args:
            v = args["--warmup-ms"]
            if not v.isdigit():
                raise Fail("%s: containers[%s].args: --warmup-ms %r is not a number" % (rel, c.get("name"), v))
            return int(v), "--warmup-ms in " + rel
        try:
            with open(self.path("examples/c/demo.c")) as f:
                m = re.search(r"uint64_t\s+warmup_ms\s*=\s*(\d+)", f.read())
        except OSError:
            m = None
        if not m:
            raise Fail("%s: no --warmup-ms, and no default found in examples/c/demo.c" % rel)
        return int(m.group(1)), "the demo's default"

    # ------------------------------------------------------------- checks
    def check_chart(self):
        chart = self.docs(CHART + "/Chart.yaml")[0]
        values = self.docs(CHART + "/values.yaml")[0]
        probs = []
        # Helm's lint judges apiVersion and the versions, but takes any name
        if chart.get("name") != os.path.basename(CHART):
            probs.append("%s/Chart.yaml: name: %r, expected the directory's name %r"
                         % (CHART, chart.get("name"), os.path.basename(CHART)))
        tag = get(values, ["image", "tag"], None)
        if tag != chart.get("appVersion"):
            probs.append("%s/values.yaml: image.tag: %r, but Chart.yaml appVersion is %r"
                         % (CHART, tag, chart.get("appVersion")))
        rel = K8S + "/deployment.yaml"
        image = self.container(self.deployment(rel), rel).get("image", "")
        if image.rpartition(":")[2] != chart.get("appVersion"):
            probs.append("%s: containers[].image: %r, but Chart.yaml appVersion is %r" % (rel, image, chart.get("appVersion")))
        cfg, where = self.configmap_config()
        if get(cfg, ["service", "version"], None) != image.rpartition(":")[2]:
            probs.append("%s: service.version: %r, but the image tag is %r"
                         % (where, get(cfg, ["service", "version"], None), image.rpartition(":")[2]))
        want = ">= %s.0-0" % CLAIM_DEFAULT
        if chart.get("kubeVersion") != want:
            probs.append("%s/Chart.yaml: kubeVersion: %r, expected %r (the oldest Kubernetes validated, CLAIM_DEFAULT)"
                         % (CHART, chart.get("kubeVersion"), want))
        self.problems(probs)
        return "appVersion %s = image tag = service.version; kubeVersion %s" % (chart.get("appVersion"), want)

    # -- Helm and kubernetes-validate
    def check_tools(self):
        vs = kube_versions()
        used = sorted({v for _, _, oldest in VARIANTS for v in claimed(oldest)},
                      key=lambda v: tuple(int(x) for x in v.split(".")))
        return "%s; kubernetes-validate %s ships Kubernetes %s to %s; validating against %s" % (
            helm_chart.version(), kube_validate_version(), vs[0], vs[-1], ", ".join(used))

    def check_lint(self, label, values):
        msgs = lint_chart(self.path(CHART), values)
        errors = [p for sev, p in msgs if sev is not None and sev >= helm_chart.ERROR]
        if errors:
            raise Fail("%s (%s): Helm's lint reports %d error%s at %s (helm-sdkpy does not pass the text on; "
                       "`--render` may show the renderer's)" % (CHART, label, len(errors), "" if len(errors) == 1 else "s",
                                                              ", ".join(errors)))
        return "0 errors; %d message%s below error (%s)" % (
            len(msgs), "" if len(msgs) == 1 else "s", ", ".join("severity %s at %s" % m for m in msgs) or "none")

    def check_lint_control(self):
        """A copy of the chart with a broken template: Helm's lint must
        report an error (it executes every template), and the renderer must
        refuse it too."""
        with tempfile.TemporaryDirectory() as tmp:
            broken = os.path.join(tmp, "hams-demo")
            shutil.copytree(self.path(CHART), broken)
            svc = os.path.join(broken, "templates", "service.yaml")
            with open(svc, "a") as f:
                f.write("{{ .Values.service.type | noSuchFunction }}\n")
            errors = [p for sev, p in lint_chart(broken) if sev is not None and sev >= helm_chart.ERROR]
            try:
                render_chart(broken, self.release)
                rendered = None
            except render.RenderError as e:
                rendered = str(e)
        probs = []
        if not errors:
            probs.append("a copy with `| noSuchFunction` in templates/service.yaml: Helm's lint reports no error")
        if rendered is None:
            probs.append("a copy with `| noSuchFunction` in templates/service.yaml: render.py renders it")
        self.problems(probs)
        return "Helm's lint: error at %s; render.py: %s" % (", ".join(errors), rendered)

    def rendered(self, overrides=None, kube=CLAIM_DEFAULT, label="values.yaml"):
        try:
            return render_chart(self.path(CHART), self.release, overrides, kube)
        except render.RenderError as e:
            raise Fail("%s (%s, Kubernetes %s): render.py: %s" % (CHART, label, kube, e))
        except (OSError, yaml.YAMLError) as e:
            raise Fail("%s (%s): %s" % (CHART, label, e))

    def variant_rel(self, label):
        """A name for a variant's rendered documents, usable as a file name
        by the checks (its Deployment, ConfigMap...)."""
        rel = "%s[%s]" % (CHART, label)
        if rel not in self._cache:
            overrides, oldest = [(v, o) for n, v, o in VARIANTS if n == label][0]
            self._cache[rel] = [d for ds in self.rendered(overrides, oldest, label).values() for d in ds]
        return rel

    def check_render(self, label, overrides, oldest):
        seen = []
        for kube in claimed(oldest):
            out = self.rendered(overrides, kube, label)
            seen.append(kube)
        kinds = ["%s %s" % (d.get("kind"), get(d, ["metadata", "name"], "?")) for docs in out.values() for d in docs]
        return "Kubernetes %s: %s" % (" and ".join(seen), ", ".join(kinds))

    def check_kube_floor(self, label, overrides, oldest):
        """The variant is refused below the Kubernetes version it claims
        (Helm's install would refuse it the same way)."""
        major, minor = oldest.split(".")
        below = "%s.%d" % (major, int(minor) - 1)
        try:
            self.rendered(overrides, below, label)
        except Fail as e:
            return "refused on %s: %s" % (below, str(e).rpartition("render.py: ")[2])
        raise Fail("%s (%s): render.py renders it for Kubernetes %s, below the %s claimed (Chart.yaml kubeVersion, "
                   "the templates' fail)" % (CHART, label, below, oldest))

    def check_validate(self, what, docs, oldest):
        """Every document valid for the Kubernetes versions claimed."""
        probs, done, skipped = [], [], []
        for kube in claimed(oldest):
            for d in docs:
                name = "%s %s" % (d.get("kind") if isinstance(d, dict) else "?", get(d, ["metadata", "name"], "?"))
                if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind"):
                    probs.append("%s: %s: not a Kubernetes object (apiVersion, kind)" % (what, name))
                    continue
                if "." in d["apiVersion"].split("/")[0] and not d["apiVersion"].split("/")[0].endswith(".k8s.io"):
                    skipped.append(name)  # a custom resource: not in Kubernetes' schemas
                    continue
                err = kube_validate(d, kube)
                if err:
                    probs.append("%s: %s, Kubernetes %s: %s" % (what, name, kube, err))
            done.append(kube)
        self.problems(probs)
        return "Kubernetes %s%s" % (" and ".join(done), ("; %s is a custom resource, not in Kubernetes' schemas"
                                                         % ", ".join(sorted(set(skipped)))) if skipped else "")

    def check_validate_control(self):
        """The preStop sleep variant fails against Kubernetes 1.28, before the
        field existed: kubernetes-validate judges the fields (strict)."""
        label = "preStop.sleep=5"
        docs = self.docs(self.variant_rel(label))
        deps = [d for d in docs if d.get("kind") == "Deployment"]
        errs = [kube_validate(d, "1.28") for d in deps]
        if not deps or not all(errs):
            raise Fail("%s (%s): kubernetes-validate accepts lifecycle.preStop.sleep for Kubernetes 1.28, which had no "
                       "sleep action" % (CHART, label))
        return "Kubernetes 1.28: %s" % errs[0]

    @staticmethod
    def normalize(doc):
        """A ConfigMap's *.yaml data compared as data, not as text."""
        d = copy.deepcopy(doc)
        if isinstance(d, dict) and d.get("kind") == "ConfigMap":
            for k, v in (d.get("data") or {}).items():
                if k.endswith((".yaml", ".yml")):
                    try:
                        d["data"][k] = yaml.safe_load(v)
                    except yaml.YAMLError:
                        pass
        return d

    def compare(self, rel, kind, overrides=None, label="values.yaml"):
        plain = self.one(rel, kind)
        docs = [d for ds in self.rendered(overrides, label=label).values() for d in ds if d.get("kind") == kind]
        if len(docs) != 1:
            raise Fail("%s (%s): renders %d %s, expected 1" % (CHART, label, len(docs), kind))
        # the release name stands for the plain manifests' names
        d = diff(self.normalize(plain), self.normalize(docs[0]))
        if d:
            raise Fail("\n".join("%s: %s: %s, but the chart (%s, release %s) renders %s"
                                 % (rel, field(p), short(a), label, self.release, short(b)) for p, a, b in d))
        return "%s %s" % (kind, get(plain, ["metadata", "name"], "?"))

    def check_no_servicemonitor(self):
        values = self.docs(CHART + "/values.yaml")[0]
        enabled = get(values, ["serviceMonitor", "enabled"], None)
        docs = [d for ds in self.rendered().values() for d in ds if d.get("kind") == "ServiceMonitor"]
        if enabled and not docs:
            raise Fail("%s/values.yaml: serviceMonitor.enabled is true but no ServiceMonitor is rendered" % CHART)
        if not enabled and docs:
            raise Fail("%s/templates/servicemonitor.yaml: renders a ServiceMonitor with serviceMonitor.enabled false" % CHART)
        return "serviceMonitor.enabled %s: %s" % (str(bool(enabled)).lower(), "rendered" if docs else "none rendered")

    def check_config_keys(self):
        sections, _ = self.man()
        cfg, where = self.configmap_config()
        probs = validate_config(cfg, where, sections)
        # the demo's own requirements (examples/c/demo.c): probes it gets
        # with hams_probe_get() and uses as a kick and a manual probe
        probes = {p.get("name"): p for p in cfg.get("probes") or [] if isinstance(p, dict)}
        want = {"loop": ("kick", ["alive"]), "warmup": ("manual", ["ready", "startup"])}
        for name, (typ, checks) in want.items():
            p = probes.get(name)
            if p is None:
                probs.append("%s: probes: the demo needs a probe %r (hams_probe_get in examples/c/demo.c)" % (where, name))
            elif p.get("type") != typ:
                probs.append("%s: probes[%s].type: %r, the demo uses it as a %s probe" % (where, name, p.get("type"), typ))
            elif sorted(p.get("checks") or []) != checks:
                probs.append("%s: probes[%s].checks: %r, the demo documents %r" % (where, name, p.get("checks"), checks))
        if get(cfg, ["shutdown", "handle_signals"], False) is not True:
            probs.append("%s: shutdown.handle_signals: should be true: SIGTERM from the kubelet starts the drain" % where)
        if get(cfg, ["shutdown", "token"], None) is not None:
            probs.append("%s: shutdown.token: a token does not belong in a ConfigMap; use HAMS_SHUTDOWN_TOKEN from a Secret" % where)
        self.problems(probs)
        return "%d keys, all in man/hams_config.5; probes loop (kick) and warmup (manual)" % len(config_keys(cfg))

    def check_example_config(self):
        """examples/config.yaml: documented keys, and the values the
        manifests assume."""
        sections, _ = self.man()
        ex = self.docs("examples/config.yaml")[0]
        probs = validate_config(ex, "examples/config.yaml", sections)
        cfg, where = self.configmap_config()
        exaddr = parse_address(get(ex, ["server", "address"], "0.0.0.0:8079"))
        cmaddr = parse_address(get(cfg, ["server", "address"], "0.0.0.0:8079"))
        if exaddr and cmaddr and exaddr != cmaddr:
            probs.append("examples/config.yaml: server.address: %r, but %s has %r"
                         % (get(ex, ["server", "address"], None), where, get(cfg, ["server", "address"], None)))
        for key in (["server", "prefix"], ["shutdown", "drain_ms"]):
            a, b = get(ex, key, None), get(cfg, key, None)
            if a != b:
                probs.append("examples/config.yaml: %s: %r, but %s has %r" % (".".join(key), a, where, b))
        exp = {p.get("name"): p for p in ex.get("probes") or [] if isinstance(p, dict)}
        for p in cfg.get("probes") or []:
            q = exp.get(p.get("name"))
            if q is None:
                probs.append("examples/config.yaml: probes: no probe %r, which %s declares" % (p.get("name"), where))
                continue
            for k in sorted(set(p) | set(q)):
                if p.get(k) != q.get(k):
                    probs.append("examples/config.yaml: probes[%s].%s: %r, but %s has %r"
                                 % (p.get("name"), k, q.get(k), where, p.get(k)))
        self.problems(probs)
        return "address %s, prefix %s, drain_ms %s, probes %s" % (
            get(ex, ["server", "address"], None), get(ex, ["server", "prefix"], None),
            get(ex, ["shutdown", "drain_ms"], None), ", ".join(exp))

    def check_env(self, rel):
        _, envmap = self.man()
        sections, _ = self.man()
        c = self.container(self.deployment(rel), rel)
        probs = []
        names = [e.get("name") for e in c.get("env") or []]
        cname = c.get("name")
        for i, e in enumerate(c.get("env") or []):
            n = e.get("name", "")
            if n.startswith("HAMS_") and n not in envmap:
                probs.append("%s: containers[%s].env[%s]: not a variable hams reads (man/hams_config.5 ENVIRONMENT)" % (rel, cname, n))
            for ref in re.findall(r"\$\((\w+)\)", str(e.get("value", ""))):
                if ref not in names[:i]:
                    probs.append("%s: containers[%s].env[%s].value: $(%s) must be defined by an earlier env entry"
                                 % (rel, cname, n, ref))
        envs = self.env(c)
        if "HAMS_ADDRESS" not in envs:
            probs.append("%s: containers[%s].env: no HAMS_ADDRESS: bind hams to the pod IP (SECURITY.md)" % (rel, cname))
        else:
            v = str(envs["HAMS_ADDRESS"].get("value", ""))
            m = re.match(r"^\$\((\w+)\):(\d+)$", v)
            if not m:
                probs.append("%s: containers[%s].env[HAMS_ADDRESS].value: %r, expected \"$(POD_IP):PORT\"" % (rel, cname, v))
            else:
                src = envs.get(m.group(1), {})
                if get(src, ["valueFrom", "fieldRef", "fieldPath"], None) != "status.podIP":
                    probs.append("%s: containers[%s].env[%s]: must come from the downward API "
                                 "(valueFrom.fieldRef.fieldPath: status.podIP)" % (rel, cname, m.group(1)))
        cfg = self.effective(rel)
        probs += validate_config(cfg, rel + " (ConfigMap + env)", sections)
        self.problems(probs)
        return "HAMS_ADDRESS=%s" % get(cfg, ["server", "address"], None).replace(SAMPLE_POD_IP, "$(POD_IP)")

    def check_args(self, rel):
        dep = self.deployment(rel)
        c = self.container(dep, rel)
        cname = c.get("name")
        args = self.demo_args(c, rel)
        probs = []
        cmd = (c.get("command") or [None])[0]
        if cmd != "hams-demo":
            probs.append("%s: containers[%s].command: %r, expected [\"hams-demo\"]" % (rel, cname, c.get("command")))
        clash = [a for a in ("--address", "--drain-ms", "--shutdown-endpoint", "--shutdown-token") if a in args]
        if "--config" in args and clash:
            probs.append("%s: containers[%s].args: the demo refuses --config with %s (use the config or HAMS_* variables)"
                         % (rel, cname, ", ".join(clash)))
        key = self.config_key()
        cm = self.one(K8S + "/configmap.yaml", "ConfigMap")
        mount = [m for m in c.get("volumeMounts") or [] if args.get("--config", "").startswith(m.get("mountPath", "").rstrip("/") + "/")]
        vols = {v.get("name"): v for v in get(dep, ["spec", "template", "spec", "volumes"], []) or []}
        vol = vols.get(mount[0].get("name")) if mount else None
        cmname = get(vol or {}, ["configMap", "name"], None)
        if cmname != get(cm, ["metadata", "name"]):
            probs.append("%s: spec.template.spec.volumes[%s].configMap.name: %r, but configmap.yaml's ConfigMap is %r"
                         % (rel, mount[0].get("name") if mount else "?", cmname, get(cm, ["metadata", "name"])))
        self.problems(probs)
        return "hams-demo --config %s (ConfigMap %s, key %s)" % (args.get("--config"), cmname, key)

    def probe_target(self, c, kind, rel):
        """(port, path) a probe requests; exec probes: from hams-probe's URL."""
        cname = c.get("name")
        p = c.get(kind)
        if not isinstance(p, dict):
            raise Fail("%s: containers[%s].%s: missing" % (rel, cname, kind))
        if "httpGet" in p:
            port = get(p, ["httpGet", "port"], None)
            if isinstance(port, str):
                named = [q for q in c.get("ports") or [] if q.get("name") == port]
                if not named:
                    raise Fail("%s: containers[%s].%s.httpGet.port: %r names no container port" % (rel, cname, kind, port))
                port = named[0].get("containerPort")
            return port, get(p, ["httpGet", "path"], None), "httpGet"
        if "exec" in p:
            cmd = get(p, ["exec", "command"], [])
            text = " ".join(str(x) for x in cmd)
            m = re.search(r"hams-probe\b(.*?)\"?http://([^/\s\"]+?):(\d+)(/[^\s\"]*)", text)
            if not m:
                raise Fail("%s: containers[%s].%s.exec.command: no `hams-probe http://HOST:PORT/PATH` in %r" % (rel, cname, kind, cmd))
            host = m.group(2)
            if host in ("127.0.0.1", "localhost", "[::1]") and "HAMS_ADDRESS" in self.env(c):
                raise Fail("%s: containers[%s].%s.exec.command: %s, but HAMS_ADDRESS binds hams to the pod IP only"
                           % (rel, cname, kind, host))
            if "$(POD_IP)" in text:
                raise Fail("%s: containers[%s].%s.exec.command: the kubelet does not expand $(POD_IP) (from the downward "
                           "API) in exec probes; use a shell and $POD_IP" % (rel, cname, kind))
            if "$POD_IP" in text and (len(cmd) < 3 or cmd[0] not in ("sh", "/bin/sh", "bash") or cmd[1] != "-c"):
                raise Fail("%s: containers[%s].%s.exec.command: $POD_IP needs a shell: [\"sh\", \"-c\", ...]" % (rel, cname, kind))
            t = re.search(r"--timeout\s+(\d+)", m.group(1))
            limit = p.get("timeoutSeconds", 1) * 1000
            if not t:
                raise Fail("%s: containers[%s].%s.exec.command: give hams-probe a --timeout below timeoutSeconds (%d ms)"
                           % (rel, cname, kind, limit))
            if int(t.group(1)) >= limit:
                raise Fail("%s: containers[%s].%s.exec.command: hams-probe --timeout %s ms, not below timeoutSeconds %d ms"
                           % (rel, cname, kind, t.group(1), limit))
            return int(m.group(3)), m.group(4), "exec hams-probe"
        if "grpc" in p:
            port = get(p, ["grpc", "port"], None)
            if not isinstance(port, int) or isinstance(port, bool):
                raise Fail("%s: containers[%s].%s.grpc.port: %r, must be a number (Kubernetes takes no port name here)"
                           % (rel, cname, kind, port))
            return port, get(p, ["grpc", "service"], ""), "grpc"
        raise Fail("%s: containers[%s].%s: neither httpGet, exec nor grpc" % (rel, cname, kind))

    def grpc_port(self):
        """(port, source): where examples/cpp/grpc_health.cpp, the demo of
        hams' gRPC health mapping, serves it by default; the mapping's
        service names must be the ones man/hams.3 documents."""
        src = "examples/cpp/grpc_health.cpp"
        try:
            with open(self.path(src)) as f:
                m = re.search(r'grpc_address\s*=\s*"[^"]*:(\d+)"', f.read())
            with open(self.path("man/hams.3")) as f:
                man = f.read()
        except OSError as e:
            raise Fail("%s: cannot read: %s" % (e.filename, e.strerror))
        if not m:
            raise Fail("%s: no default grpc_address \"HOST:PORT\"" % src)
        sec = man.partition(".Ss Status listeners and gRPC health")[2].partition(".Ss ")[0]
        lost = [n for n in GRPC_SERVICES.values() if ".Ql %s" % n not in sec]
        if lost:
            raise Fail("man/hams.3: Status listeners and gRPC health: no service %s; GRPC_SERVICES in "
                       "tests/k8s/check_manifests.py follows that mapping" % ", ".join(lost))
        return int(m.group(1)), src

    def check_ports_paths(self, rel):
        port, prefix, _ = self.port_prefix(rel)
        c = self.container(self.deployment(rel), rel)
        cname = c.get("name")
        probs = []
        named = [q for q in c.get("ports") or [] if q.get("name") == "hams"]
        if not named:
            probs.append("%s: containers[%s].ports: no port named hams" % (rel, cname))
        elif named[0].get("containerPort") != port:
            probs.append("%s: containers[%s].ports[hams].containerPort: %r, but the config's address port is %d"
                         % (rel, cname, named[0].get("containerPort"), port))
        seen = []
        for kind, check in (("startupProbe", "startup"), ("livenessProbe", "alive"), ("readinessProbe", "ready")):
            try:
                p_port, p_path, how = self.probe_target(c, kind, rel)
            except Fail as e:
                probs.append(str(e))
                continue
            if how == "grpc":
                gport, gsrc = self.grpc_port()
                named = [q.get("containerPort") for q in c.get("ports") or [] if q.get("name") == "grpc"]
                if p_port != gport:
                    probs.append("%s: containers[%s].%s.grpc.port: %r, but %s serves gRPC health on %d"
                                 % (rel, cname, kind, p_port, gsrc, gport))
                if named != [p_port]:
                    probs.append("%s: containers[%s].ports[grpc].containerPort: %r, expected the probes' port %r"
                                 % (rel, cname, named, p_port))
                if p_path != GRPC_SERVICES[kind]:
                    probs.append("%s: containers[%s].%s.grpc.service: %r, expected %r (hams' gRPC health mapping, "
                                 "man/hams.3)" % (rel, cname, kind, p_path, GRPC_SERVICES[kind]))
                seen.append("grpc %s:%s" % (p_port, p_path))
                continue
            want = "%s/%s" % (prefix, check)
            sub = "exec.command" if how.startswith("exec") else "httpGet"
            if p_port != port:
                probs.append("%s: containers[%s].%s.%s.port: %r, but the config's address port is %d"
                             % (rel, cname, kind, sub, p_port, port))
            if p_path != want:
                probs.append("%s: containers[%s].%s.%s.path: %r, expected %r (server.prefix %r)"
                             % (rel, cname, kind, sub, p_path, want, prefix))
            seen.append("%s %s" % (how, p_path))
        self.problems(probs)
        return "port %d; %s" % (port, ", ".join(seen))

    def check_timeouts(self, rel):
        _, _, cfg = self.port_prefix(rel)
        header = get(cfg, ["server", "header_timeout_ms"], 5000)
        c = self.container(self.deployment(rel), rel)
        probs = []
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            t = get(c, [kind, "timeoutSeconds"], 1)
            if not isinstance(t, int) or t < 1:
                probs.append("%s: containers[%s].%s.timeoutSeconds: %r, expected an integer >= 1" % (rel, c.get("name"), kind, t))
            elif t * 1000 >= header:
                probs.append("%s: containers[%s].%s.timeoutSeconds: %d s is not below server.header_timeout_ms (%d ms)"
                             % (rel, c.get("name"), kind, t, header))
        self.problems(probs)
        return "timeoutSeconds %s < header_timeout_ms %d" % (
            "/".join(str(get(c, [k, "timeoutSeconds"], 1)) for k in ("startupProbe", "livenessProbe", "readinessProbe")), header)

    def check_startup_window(self, rel):
        c = self.container(self.deployment(rel), rel)
        warm, src = self.warmup_ms(c, rel)
        p = c.get("startupProbe") or {}
        window = (p.get("initialDelaySeconds", 0) + p.get("periodSeconds", 10) * p.get("failureThreshold", 3)) * 1000
        if window < STARTUP_FACTOR * warm or window <= warm:
            raise Fail("%s: containers[%s].startupProbe: initialDelaySeconds + periodSeconds x failureThreshold = %d ms, "
                       "not %d x the warm-up (%d ms, %s)" % (rel, c.get("name"), window, STARTUP_FACTOR, warm, src))
        return "%d x %d s = %d ms >= %d x warm-up %d ms" % (p.get("failureThreshold", 3), p.get("periodSeconds", 10),
                                                          window, STARTUP_FACTOR, warm)

    def check_grace(self, rel):
        _, _, cfg = self.port_prefix(rel)
        drain = get(cfg, ["shutdown", "drain_ms"], 5000)
        dep = self.deployment(rel)
        spec = get(dep, ["spec", "template", "spec"])
        g = spec.get("terminationGracePeriodSeconds", 30)
        c = self.container(dep, rel)
        probs = []
        pre = get(c, ["lifecycle", "preStop"], None)
        sleep_ms = 0
        if pre is not None:
            secs = get(pre, ["sleep", "seconds"], None)
            if set(pre) != {"sleep"} or not isinstance(secs, int) or isinstance(secs, bool) or secs < 0:
                probs.append("%s: containers[%s].lifecycle.preStop: %s; hams needs none (it keeps serving through the "
                             "drain), and only a sleep action (lifecycle.preStop.sleep.seconds) has a known length "
                             "within the same grace period" % (rel, c.get("name"), short(pre)))
            else:
                sleep_ms = secs * 1000
        if not isinstance(g, int) or g * 1000 <= sleep_ms + drain + GRACE_MARGIN_MS:
            probs.append("%s: spec.template.spec.terminationGracePeriodSeconds: %r s, must exceed %sshutdown.drain_ms "
                         "(%d ms) + %d ms (callbacks %d + slack %d)"
                         % (rel, g, ("lifecycle.preStop.sleep.seconds (%d ms) + " % sleep_ms) if sleep_ms else "",
                            drain, GRACE_MARGIN_MS, CALLBACKS_MS, SLACK_MS))
        # readiness must turn the pod unready within the drain
        r = c.get("readinessProbe") or {}
        t = r.get("periodSeconds", 10) * r.get("failureThreshold", 3) * 1000
        if t >= drain:
            probs.append("%s: containers[%s].readinessProbe: periodSeconds x failureThreshold = %d ms, not within "
                         "shutdown.drain_ms (%d ms): the pod would still be ready when the callbacks run"
                         % (rel, c.get("name"), t, drain))
        self.problems(probs)
        return "%d s > %sdrain %d ms + %d ms; readiness fails within %d ms" % (
            g, ("preStop sleep %d ms + " % sleep_ms) if sleep_ms else "", drain, GRACE_MARGIN_MS, t)

    def check_liveness(self, rel):
        _, _, cfg = self.port_prefix(rel)
        c = self.container(self.deployment(rel), rel)
        p = c.get("livenessProbe") or {}
        tol = p.get("periodSeconds", 10) * p.get("failureThreshold", 3) * 1000
        margins = [q.get("margin_ms", 0) for q in cfg.get("probes") or [] if "alive" in (q.get("checks") or [])]
        if margins and tol <= max(margins):
            raise Fail("%s: containers[%s].livenessProbe: periodSeconds x failureThreshold = %d ms, not above the kick "
                       "margin_ms %d" % (rel, c.get("name"), tol, max(margins)))
        if "grpc" in p:
            # gRPC health answers NOT_SERVING for every service, alive too,
            # from the shutdown start (man/hams.3): liveness must not act
            # before the drain and the callbacks are over.
            drain = get(cfg, ["shutdown", "drain_ms"], 5000)
            if tol <= drain + GRACE_MARGIN_MS:
                raise Fail("%s: containers[%s].livenessProbe: grpc service alive is NOT_SERVING from the shutdown start, "
                           "and periodSeconds x failureThreshold = %d ms is not above shutdown.drain_ms (%d ms) + %d ms: "
                           "the kubelet would restart the container in its drain" % (rel, c.get("name"), tol, drain,
                                                                                   GRACE_MARGIN_MS))
            return "restart after %d ms of failures > kick margin %s ms, > drain %d ms + %d ms (gRPC alive fails " \
                "in the drain)" % (tol, max(margins) if margins else "-", drain, GRACE_MARGIN_MS)
        return "restart after %d ms of failures > kick margin %s ms" % (tol, max(margins) if margins else "-")

    def check_annotations(self, rel):
        port, prefix, _ = self.port_prefix(rel)
        ann = get(self.deployment(rel), ["spec", "template", "metadata", "annotations"], {}) or {}
        want = {"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": prefix + "/metrics"}
        probs = []
        for k, v in want.items():
            if k not in ann:
                probs.append("%s: spec.template.metadata.annotations[%s]: missing, expected %r" % (rel, k, v))
            elif not isinstance(ann[k], str):
                probs.append("%s: spec.template.metadata.annotations[%s]: %r must be a quoted string" % (rel, k, ann[k]))
            elif ann[k] != v:
                probs.append("%s: spec.template.metadata.annotations[%s]: %r, expected %r" % (rel, k, ann[k], v))
        self.problems(probs)
        return ", ".join("%s=%s" % kv for kv in want.items())

    def check_service(self):
        rel = K8S + "/service.yaml"
        svc = self.one(rel, "Service")
        drel = K8S + "/deployment.yaml"
        dep = self.deployment(drel)
        port, _, _ = self.port_prefix(drel)
        labels = get(dep, ["spec", "template", "metadata", "labels"], {}) or {}
        probs = []
        if get(svc, ["spec", "type"], "ClusterIP") != "ClusterIP":
            probs.append("%s: spec.type: %r, expected ClusterIP (keep hams inside the cluster)" % (rel, get(svc, ["spec", "type"])))
        sel = get(svc, ["spec", "selector"], {}) or {}
        if not sel or any(labels.get(k) != v for k, v in sel.items()):
            probs.append("%s: spec.selector: %r does not select the pods of %s (labels %r)" % (rel, sel, drel, labels))
        dsel = get(dep, ["spec", "selector", "matchLabels"], {}) or {}
        if not dsel or any(labels.get(k) != v for k, v in dsel.items()):
            probs.append("%s: spec.selector.matchLabels: %r does not match the pod template's labels %r" % (drel, dsel, labels))
        sp = [p for p in get(svc, ["spec", "ports"], []) or [] if p.get("name") == "hams"]
        if not sp:
            probs.append("%s: spec.ports: no port named hams" % rel)
        else:
            tp = sp[0].get("targetPort")
            if tp not in ("hams", port):
                probs.append("%s: spec.ports[hams].targetPort: %r, expected hams or %d" % (rel, tp, port))
        self.problems(probs)
        return "ClusterIP, port hams %s -> %s" % (sp[0].get("port") if sp else "?", sp[0].get("targetPort") if sp else "?")

    def check_servicemonitor(self):
        rel = K8S + "/servicemonitor.yaml"
        sm = self.one(rel, "ServiceMonitor")
        svc = self.one(K8S + "/service.yaml", "Service")
        _, prefix, _ = self.port_prefix(K8S + "/deployment.yaml")
        probs = []
        if sm.get("apiVersion") != "monitoring.coreos.com/v1":
            probs.append("%s: apiVersion: %r, expected monitoring.coreos.com/v1" % (rel, sm.get("apiVersion")))
        sel = get(sm, ["spec", "selector", "matchLabels"], {}) or {}
        slabels = get(svc, ["metadata", "labels"], {}) or {}
        if not sel or any(slabels.get(k) != v for k, v in sel.items()):
            probs.append("%s: spec.selector.matchLabels: %r does not select service.yaml's Service (labels %r)" % (rel, sel, slabels))
        eps = get(sm, ["spec", "endpoints"], []) or []
        if not eps:
            probs.append("%s: spec.endpoints: empty" % rel)
        names = [p.get("name") for p in get(svc, ["spec", "ports"], []) or []]
        for i, ep in enumerate(eps):
            if ep.get("port") != "hams" or "hams" not in names:
                probs.append("%s: spec.endpoints[%d].port: %r, expected hams (a port of service.yaml)" % (rel, i, ep.get("port")))
            if ep.get("path") != prefix + "/metrics":
                probs.append("%s: spec.endpoints[%d].path: %r, expected %r" % (rel, i, ep.get("path"), prefix + "/metrics"))
            secs = {}
            for k in ("interval", "scrapeTimeout"):
                m = re.match(r"^(\d+)s$", str(ep.get(k, "")))
                secs[k] = int(m.group(1)) if m else None
            if secs["interval"] and secs["scrapeTimeout"] and secs["scrapeTimeout"] > secs["interval"]:
                probs.append("%s: spec.endpoints[%d].scrapeTimeout: longer than interval" % (rel, i))
        self.problems(probs)
        return "port hams, path %s" % (eps[0].get("path") if eps else "?")

    def check_dockerfile(self):
        rel = K8S + "/Dockerfile"
        try:
            with open(self.path(rel)) as f:
                text = f.read()
        except OSError as e:
            raise Fail("%s: cannot read: %s" % (rel, e.strerror))
        port, _, _ = self.port_prefix(K8S + "/deployment.yaml")
        probs = []
        froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
        if not froms or not all(re.search(r"(debian:12|bookworm)", f) for f in froms):
            probs.append("%s: FROM: %r, expected Debian 12 (debian:12, *-bookworm)" % (rel, froms))
        if not re.search(r"^EXPOSE\s+%d\b" % port, text, re.M):
            probs.append("%s: EXPOSE: expected %d, the config's port" % (rel, port))
        for what in ("hams-probe", "hams-demo"):
            if not re.search(r"/usr/(local/)?bin/%s\b" % what, text):
                probs.append("%s: does not install %s in /usr/bin or /usr/local/bin" % (rel, what))
        user = re.findall(r"^USER\s+(\d+)", text, re.M)
        run_as = get(self.deployment(K8S + "/deployment.yaml"), ["spec", "template", "spec", "securityContext", "runAsUser"], None)
        if run_as is not None and user and int(user[-1].split(":")[0]) != run_as:
            probs.append("%s: USER %s, but deployment.yaml runs as %s" % (rel, user[-1], run_as))
        self.problems(probs)
        return "FROM %s; EXPOSE %d" % (", ".join(froms), port)

    def check_live(self):
        """Starts the demo with the ConfigMap's config and requests every
        path the manifests use."""
        demo = self.demo
        if not demo:
            print("skip live: the demo serves the manifests' paths (give --demo PATH or HAMS_DEMO to run it)")
            return "skip"
        drel = K8S + "/deployment.yaml"
        port, prefix, _ = self.port_prefix(drel)
        c = self.container(self.deployment(drel), drel)
        paths = [self.probe_target(c, k, drel)[1] for k in ("startupProbe", "livenessProbe", "readinessProbe")]
        ann = get(self.deployment(drel), ["spec", "template", "metadata", "annotations"], {}) or {}
        paths.append(ann.get("prometheus.io/path"))
        data = self.one(K8S + "/configmap.yaml", "ConfigMap")["data"][self.config_key()]
        with tempfile.TemporaryDirectory() as tmp:
            cfgfile = os.path.join(tmp, "demo.yaml")
            with open(cfgfile, "w") as f:
                f.write(data)
            env = dict(os.environ, HAMS_ADDRESS="127.0.0.1:0", HAMS_DRAIN_MS="0")
            if os.sep in demo:
                demo = os.path.abspath(demo)
            proc = subprocess.Popen([demo, "--config", cfgfile, "--warmup-ms", "0"], env=env, cwd=tmp,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            killer = threading.Timer(20, proc.kill)  # a demo that hangs silently
            killer.start()
            try:
                lines, m = [], None
                while m is None and len(lines) < 50:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    lines.append(line)
                    m = re.search(r"serving on http://[^:]+:(\d+)/", line)
                if not m:
                    raise Fail("%s: the demo did not start with the config of %s: %s"
                               % (demo, K8S + "/configmap.yaml", "".join(lines).strip() or "no output"))
                base = "http://127.0.0.1:%s" % m.group(1)
                got = {}
                deadline = time.time() + 5
                for path in paths:
                    while True:
                        try:
                            with urllib.request.urlopen(base + path, timeout=2) as r:
                                got[path] = r.status
                        except urllib.error.HTTPError as e:
                            got[path] = e.code
                        except OSError as e:
                            got[path] = str(e)
                        if got[path] == 200 or time.time() > deadline:
                            break
                        time.sleep(0.1)
                bad = {p: s for p, s in got.items() if s != 200}
                if bad:
                    raise Fail("%s: the demo answers %s" % (drel, ", ".join("%s: %s" % kv for kv in bad.items())))
            finally:
                killer.cancel()
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        return "200 from %s" % ", ".join(paths)

    # ---------------------------------------------------------------- all
    def all(self):
        # What real tools judge: Helm's lint, Kubernetes' schemas (of what
        # render.py renders: helm-sdkpy cannot render without a cluster).
        self.run("tools", self.check_tools)
        for label, values, _ in VARIANTS:
            self.run("helm lint (%s)" % label, lambda label=label, values=values: self.check_lint(label, values))
        self.run("helm lint control: a broken template fails", self.check_lint_control)
        for label, values, oldest in VARIANTS:
            self.run("render (%s)" % label,
                     lambda label=label, values=values, oldest=oldest: self.check_render(label, values, oldest))
        for label, values, oldest in VARIANTS:
            if label in ("values.yaml", "probes.type=grpc", "preStop.sleep=5"):
                self.run("render refuses Kubernetes below %s (%s)" % (oldest, label),
                         lambda label=label, values=values, oldest=oldest: self.check_kube_floor(label, values, oldest))
        for name in sorted(os.listdir(self.path(K8S))):
            if name.endswith((".yaml", ".yml")):
                rel = K8S + "/" + name
                self.run("kubernetes-validate %s" % name, lambda rel=rel: self.check_validate(rel, self.docs(rel), CLAIM_DEFAULT))
        for label, values, oldest in VARIANTS:
            self.run("kubernetes-validate chart (%s)" % label, lambda label=label, values=values, oldest=oldest:
                     self.check_validate("%s (%s)" % (CHART, label),
                                         [d for kube in claimed(oldest) for ds in self.rendered(values, kube, label).values()
                                          for d in ds], oldest))
        self.run("kubernetes-validate control: preStop sleep on 1.28 fails", self.check_validate_control)
        # What only hams knows: the chart renders the plain manifests, and
        # both agree with the demo, its configuration and its timings.
        self.run("chart: Chart.yaml and values.yaml", self.check_chart)
        for rel, kind in (("configmap.yaml", "ConfigMap"), ("deployment.yaml", "Deployment"), ("service.yaml", "Service")):
            self.run("chart = %s" % rel, lambda rel=rel, kind=kind: self.compare(K8S + "/" + rel, kind))
        self.run("chart: ServiceMonitor only when enabled", self.check_no_servicemonitor)
        self.run("chart serviceMonitor.enabled=true = servicemonitor.yaml",
                 lambda: self.compare(K8S + "/servicemonitor.yaml", "ServiceMonitor",
                                      {"serviceMonitor": {"enabled": True}}, "serviceMonitor.enabled=true"))
        for label, values in (("probes.readiness.exec=true", {"probes": {"readiness": {"exec": True}}}),
                              ("probes.type=exec", {"probes": {"type": "exec"}})):
            self.run("chart %s = deployment-exec-probes.yaml" % label,
                     lambda label=label, values=values: self.compare(K8S + "/deployment-exec-probes.yaml", "Deployment",
                                                                     values, label))
        self.run("config: ConfigMap keys and values (man/hams_config.5)", self.check_config_keys)
        self.run("config: examples/config.yaml matches the manifests", self.check_example_config)
        deps = [(dep, lambda dep=dep: K8S + "/" + dep) for dep in ("deployment.yaml", "deployment-exec-probes.yaml")]
        deps += [("chart %s" % label, lambda label=label: self.variant_rel(label)) for label in HAMS_VARIANTS]
        for dep, rel in deps:
            if not dep.startswith("chart "):
                self.run("%s: env (HAMS_* overrides, POD_IP)" % dep, lambda rel=rel: self.check_env(rel()))
                self.run("%s: command and config mount" % dep, lambda rel=rel: self.check_args(rel()))
            self.run("%s: ports and probe paths" % dep, lambda rel=rel: self.check_ports_paths(rel()))
            self.run("%s: probe timeouts" % dep, lambda rel=rel: self.check_timeouts(rel()))
            self.run("%s: startup window > warm-up" % dep, lambda rel=rel: self.check_startup_window(rel()))
            self.run("%s: liveness tolerance" % dep, lambda rel=rel: self.check_liveness(rel()))
            self.run("%s: grace period > preStop + drain + %d ms" % (dep, GRACE_MARGIN_MS),
                     lambda rel=rel: self.check_grace(rel()))
            self.run("%s: Prometheus annotations" % dep, lambda rel=rel: self.check_annotations(rel()))
        self.run("service.yaml: port hams, selectors", self.check_service)
        self.run("servicemonitor.yaml: port and path", self.check_servicemonitor)
        self.run("Dockerfile: base, port, binaries", self.check_dockerfile)
        self.run("live: the demo serves the manifests' paths", self.check_live)
        print("k8s: %d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")),
                    help="the source tree to check (default: this script's)")
    ap.add_argument("--release", default=DEFAULT_RELEASE, help="Helm release name (default %(default)s)")
    ap.add_argument("--demo", default=os.environ.get("HAMS_DEMO"), help="a built demo to run (default $HAMS_DEMO)")
    ap.add_argument("--render", action="store_true",
                    help="print the chart as render.py renders it (a stand-in for `helm template`) and exit")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="with --render: override a value, e.g. probes.type=grpc")
    ap.add_argument("--kube-version", default=kube_versions_or(CLAIM_DEFAULT),
                    help="with --render: the Kubernetes version to render for (default %(default)s)")
    args = ap.parse_args(argv)
    missing = missing_tools()
    if missing:
        print("k8s: SKIP, missing: %s (tools/deps.sh check installs them)" % ", ".join(missing))
        return 77
    if args.render:
        over = {}
        for kv in args.set:
            key, _, val = kv.partition("=")
            cur = over
            parts = key.split(".")
            for p in parts[:-1]:
                cur = cur.setdefault(p, {})
            cur[parts[-1]] = yaml.safe_load(val)
        try:
            out = render_chart(os.path.join(args.root, CHART), args.release, over, args.kube_version)
        except (render.RenderError, yaml.YAMLError) as e:
            sys.stderr.write("%s\n" % e)
            return 1
        for name, docs in out.items():
            for d in docs:
                print("---\n# Source: hams-demo/%s" % name)
                print(yaml.safe_dump(d, sort_keys=False, default_flow_style=False), end="")
        return 0
    return Checker(args.root, args.release, args.demo).all()


def kube_versions_or(default):
    """The newest Kubernetes kubernetes-validate ships, else `default`."""
    try:
        return kube_versions()[-1]
    except Exception:
        return default


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tests check_manifests.py itself: copies the files it reads into a
temporary directory, breaks one thing at a time there (never in the real
tree), and expects a failure that names the file and the field.

  python3 tests/k8s/drift_test.py

Prints one line per case and "k8s drift: N passed, N failed"; exits 1 on a
failure.
"""
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import check_manifests  # noqa: E402  (exits 2 with install hints without PyYAML)

FILES = ["examples/kubernetes", "examples/config.yaml", "examples/c/demo.c", "examples/cpp/grpc_health.cpp",
         "man/hams_config.5", "man/hams.3"]
K = "examples/kubernetes/"
C = K + "helm/hams-demo/"

# (name, [(file, regex, replacement), ...], check that must fail, [substrings
# its FAIL line must contain]). Consistency cases edit the plain manifests
# and the chart alike, so that only the consistency check can catch them.
V = C + "values.yaml"
CASES = [
    ("readiness path",
     [(K + "deployment.yaml", r"path: /hams/ready", "path: /hams/readyz")],
     "chart = deployment.yaml", ["deployment.yaml", "readinessProbe.httpGet.path", "/hams/readyz"]),
    ("readiness path, chart too",
     [(K + "deployment.yaml", r"path: /hams/ready", "path: /hams/readyz"),
      (C + "templates/deployment.yaml", r"\}\}/ready\n", "}}/readyz\n")],
     "deployment.yaml: ports and probe paths",
     ["deployment.yaml", "readinessProbe.httpGet.path", "'/hams/readyz', expected '/hams/ready'"]),
    ("containerPort",
     [(K + "deployment.yaml", r"containerPort: 8079", "containerPort: 8080")],
     "deployment.yaml: ports and probe paths", ["deployment.yaml", "ports[hams].containerPort: 8080", "8079"]),
    ("HAMS_ADDRESS port",
     [(K + "deployment.yaml", r'"\$\(POD_IP\):8079"', '"$(POD_IP):9000"')],
     "deployment.yaml: ports and probe paths", ["deployment.yaml", "containerPort: 8079", "9000"]),
    ("drain above the grace period",
     [(K + "configmap.yaml", r"drain_ms: 5000", "drain_ms: 12000"), (V, r"drainMs: 5000", "drainMs: 12000")],
     "deployment.yaml: grace period", ["deployment.yaml", "spec.template.spec.terminationGracePeriodSeconds", "12000"]),
    ("grace period too short",
     [(K + "deployment.yaml", r"terminationGracePeriodSeconds: 15", "terminationGracePeriodSeconds: 8"),
      (V, r"terminationGracePeriodSeconds: 15", "terminationGracePeriodSeconds: 8")],
     "deployment.yaml: grace period", ["deployment.yaml", "spec.template.spec.terminationGracePeriodSeconds: 8"]),
    ("readiness slower than the drain",
     [(K + "deployment.yaml", r"periodSeconds: 2\n            failureThreshold: 2", "periodSeconds: 5\n            failureThreshold: 2")],
     "deployment.yaml: grace period", ["deployment.yaml", "readinessProbe", "10000 ms"]),
    ("preStop sleep",
     [(K + "deployment.yaml", r"(          resources:)", "          lifecycle:\n            preStop:\n"
       "              exec:\n                command: [sleep, '5']\n\\1")],
     "deployment.yaml: grace period", ["deployment.yaml", "lifecycle.preStop"]),
    ("startup window",
     [(K + "deployment.yaml", r"failureThreshold: 30", "failureThreshold: 2"), (V, r"failureThreshold: 30", "failureThreshold: 2")],
     "deployment.yaml: startup window", ["deployment.yaml", "startupProbe", "warm-up (2000 ms"]),
    ("warm-up above the window",
     [(K + "deployment.yaml", r'"--warmup-ms", "2000"', '"--warmup-ms", "45000"'), (V, r"warmupMs: 2000", "warmupMs: 45000")],
     "deployment.yaml: startup window", ["deployment.yaml", "startupProbe", "45000"]),
    ("unknown config key",
     [(K + "configmap.yaml", r"(    service:\n)", r"\1      colour: blue\n")],
     "config: ConfigMap keys", ["configmap.yaml", "service.colour", "unknown key"]),
    ("invalid config address",
     [(K + "configmap.yaml", r"address: 0.0.0.0:8079", "address: nowhere:8079")],
     "config: ConfigMap keys", ["configmap.yaml", "server.address", "nowhere"]),
    ("prefix everywhere but the probes",
     [(K + "configmap.yaml", r"prefix: /hams ", "prefix: /health "), (V, r"prefix: /hams ", "prefix: /health ")],
     "deployment.yaml: ports and probe paths", ["deployment.yaml", "startupProbe.httpGet.path", "/health"]),
    ("examples/config.yaml prefix",
     [("examples/config.yaml", r"prefix: /hams ", "prefix: /health ")],
     "config: examples/config.yaml", ["examples/config.yaml", "server.prefix", "/health"]),
    ("examples/config.yaml drain",
     [("examples/config.yaml", r"drain_ms: 5000 ", "drain_ms: 3000 ")],
     "config: examples/config.yaml", ["examples/config.yaml", "shutdown.drain_ms: 3000"]),
    ("examples/config.yaml address",
     [("examples/config.yaml", r"address: 0.0.0.0:8079 ", "address: 0.0.0.0:8080 ")],
     "config: examples/config.yaml", ["examples/config.yaml", "server.address"]),
    ("probe the demo needs",
     [(K + "configmap.yaml", r"type: kick\n        checks: \[alive\]\n        margin_ms: 1000",
       "type: manual\n        checks: [alive]"),
      (C + "templates/configmap.yaml", r"type: kick\n        checks: \[alive\]\n        margin_ms: \{\{ \.Values\.hams\.loopMarginMs \}\}",
       "type: manual\n        checks: [alive]")],
     "config: ConfigMap keys", ["configmap.yaml", "probes[loop].type", "kick"]),
    ("scrape annotation port",
     [(K + "deployment.yaml", r'prometheus.io/port: "8079"', 'prometheus.io/port: "8080"')],
     "deployment.yaml: Prometheus annotations", ["deployment.yaml", "annotations[prometheus.io/port]: '8080'"]),
    ("unquoted annotation",
     [(K + "deployment.yaml", r'prometheus.io/port: "8079"', "prometheus.io/port: 8079")],
     "deployment.yaml: Prometheus annotations", ["deployment.yaml", "annotations[prometheus.io/port]", "quoted"]),
    ("ServiceMonitor path",
     [(K + "servicemonitor.yaml", r"path: /hams/metrics", "path: /metrics")],
     "servicemonitor.yaml", ["servicemonitor.yaml", "spec.endpoints[0].path: '/metrics'"]),
    ("Service port name",
     [(K + "service.yaml", r"- name: hams", "- name: http")],
     "service.yaml", ["service.yaml", "spec.ports: no port named hams"]),
    ("Service selector",
     [(K + "service.yaml", r"(  selector:\n    app.kubernetes.io/name:) hams-demo", r"\1 other")],
     "service.yaml", ["service.yaml", "spec.selector"]),
    ("POD_IP from the downward API",
     [(K + "deployment.yaml", r"fieldPath: status.podIP", "fieldPath: status.hostIP")],
     "deployment.yaml: env", ["deployment.yaml", "env[POD_IP]", "status.podIP"]),
    ("POD_IP after HAMS_ADDRESS",
     [(K + "deployment.yaml", r"(            - name: POD_IP\n(?:              .*\n)+?)(            - name: HAMS_ADDRESS\n              value: .*\n)",
       r"\2\1")],
     "deployment.yaml: env", ["deployment.yaml", "env[HAMS_ADDRESS].value", "earlier"]),
    ("unknown HAMS_ variable",
     [(K + "deployment.yaml", r"(            - name: HAMS_ADDRESS)", "            - name: HAMS_DRAIN\n              value: \"1000\"\n\\1")],
     "deployment.yaml: env", ["deployment.yaml", "env[HAMS_DRAIN]", "not a variable hams reads"]),
    ("HAMS_DRAIN_MS override",
     [(K + "deployment.yaml", r"(            - name: HAMS_ADDRESS)", "            - name: HAMS_DRAIN_MS\n              value: \"20000\"\n\\1")],
     "deployment.yaml: grace period", ["deployment.yaml", "terminationGracePeriodSeconds", "20000"]),
    ("--config with --drain-ms",
     [(K + "deployment.yaml", r'"--warmup-ms", "2000"', '"--drain-ms", "2000"')],
     "deployment.yaml: command", ["deployment.yaml", "args", "--drain-ms"]),
    ("exec probe on 127.0.0.1",
     [(K + "deployment-exec-probes.yaml", r"http://\$POD_IP:8079", "http://127.0.0.1:8079")],
     "deployment-exec-probes.yaml: ports and probe paths", ["deployment-exec-probes.yaml", "readinessProbe.exec.command", "pod IP"]),
    ("exec probe $(POD_IP)",
     [(K + "deployment-exec-probes.yaml", r"http://\$POD_IP:8079", "http://$(POD_IP):8079")],
     "deployment-exec-probes.yaml: ports and probe paths", ["deployment-exec-probes.yaml", "readinessProbe.exec.command", "expand"]),
    ("hams-probe timeout",
     [(K + "deployment-exec-probes.yaml", r"hams-probe --timeout 900", "hams-probe --timeout 1500"),
      (V, r"execTimeoutMs: 900", "execTimeoutMs: 1500")],
     "deployment-exec-probes.yaml: ports and probe paths", ["deployment-exec-probes.yaml", "--timeout 1500"]),
    ("probe timeout above the header timeout",
     [(K + "configmap.yaml", r"header_timeout_ms: 5000", "header_timeout_ms: 1000"), (V, r"headerTimeoutMs: 5000", "headerTimeoutMs: 1000")],
     "deployment.yaml: probe timeouts", ["deployment.yaml", "timeoutSeconds", "header_timeout_ms (1000 ms)"]),
    ("chart port",
     [(V, r"port: 8079", "port: 9090")],
     "chart = deployment.yaml", ["deployment.yaml", "containerPort: 8079", "9090"]),
    ("chart drain",
     [(V, r"drainMs: 5000", "drainMs: 6000")],
     "chart = configmap.yaml", ["configmap.yaml", "data.demo.yaml.shutdown.drain_ms: 5000", "6000"]),
    ("chart readiness period",
     [(V, r"(readiness:[^\n]*\n    periodSeconds:) 2", r"\1 3")],
     "chart = deployment.yaml", ["deployment.yaml", "readinessProbe.periodSeconds: 2", "renders 3"]),
    ("chart exec variant",
     [(C + "templates/deployment.yaml", r"- exec hams-probe", "- exec /bin/hams-probe")],
     "chart probes.readiness.exec=true", ["deployment-exec-probes.yaml", "readinessProbe.exec.command"]),
    ("chart appVersion",
     [(C + "Chart.yaml", r'appVersion: "0.1.0"', 'appVersion: "0.2.0"')],
     "chart: Chart.yaml", ["values.yaml", "image.tag", "0.2.0"]),
    # A broken template: Helm's lint (it executes every template) and the
    # renderer both refuse it.
    ("chart template function, lint",
     [(C + "templates/service.yaml", r"\{\{ \.Values\.service\.type \}\}", '{{ .Values.service.type | noSuchFunction }}')],
     "helm lint (values.yaml)", ["hams-demo (values.yaml)", "Helm's lint reports 1 error at templates/"]),
    ("chart template function, render",
     [(C + "templates/service.yaml", r"\{\{ \.Values\.service\.type \}\}", '{{ .Values.service.type | noSuchFunction }}')],
     "render (values.yaml)", ["templates/service.yaml:9", "unsupported function `noSuchFunction`"]),
    # Valid Helm the renderer does not know: it says so, never renders wrongly.
    ("chart function the renderer lacks",
     [(C + "templates/service.yaml", r"\{\{ \.Values\.service\.type \}\}", '{{ .Values.service.type | default "ClusterIP" }}')],
     "render (values.yaml)", ["templates/service.yaml:9", "unsupported function `default`"]),
    # A template error only the gRPC variant executes: its own lint fails.
    ("chart template error in the gRPC branch",
     [(C + "templates/deployment.yaml", r"port: \{\{ \.Values\.grpc\.port \}\}", "port: {{ .Values.grpc.port.number }}")],
     "helm lint (probes.type=grpc)", ["hams-demo (probes.type=grpc)", "Helm's lint reports 1 error at templates/"]),
    # Chart.yaml's fields: Helm's lint (the name stays a check of ours).
    ("chart apiVersion",
     [(C + "Chart.yaml", r"apiVersion: v2", "apiVersion: v9")],
     "helm lint (values.yaml)", ["Helm's lint reports 2 errors at Chart.yaml, Chart.yaml"]),
    ("chart appVersion not a string",
     [(C + "Chart.yaml", r'appVersion: "0.1.0"', "appVersion: 0.1")],
     "helm lint (values.yaml)", ["Helm's lint reports 1 error at Chart.yaml"]),
    ("chart name",
     [(C + "Chart.yaml", r"name: hams-demo", "name: hams")],
     "chart: Chart.yaml", ["Chart.yaml: name: 'hams', expected the directory's name 'hams-demo'"]),
    # Helm would render a missing value as nothing; the renderer refuses it.
    ("chart unknown value",
     [(C + "templates/service.yaml", r"\.Values\.service\.type", ".Values.service.kind")],
     "render (values.yaml)", ["templates/service.yaml:9", ".Values.service.kind is not set"]),
    # values.schema.json: Helm's lint checks the values against it (text lost).
    ("chart value against values.schema.json",
     [(V, r"  type: http\n", "  type: tcp\n")],
     "helm lint (values.yaml)", ["Helm's lint reports 2 errors at values.yaml, templates/"]),
    # The version gates: Helm's lint runs them on its own Kubernetes (1.37)
    # with `fail` switched off, so the renderer judges them.
    ("chart kubeVersion lowered",
     [(C + "Chart.yaml", r'kubeVersion: ">= 1.25.0-0"', 'kubeVersion: ">= 1.20.0-0"')],
     "render refuses Kubernetes below 1.25", ["renders it for Kubernetes 1.24"]),
    ("chart gRPC gate lowered",
     [(C + "templates/deployment.yaml", r'semverCompare "<1.27-0"', 'semverCompare "<1.26-0"')],
     "render refuses Kubernetes below 1.27 (probes.type=grpc)", ["renders it for Kubernetes 1.26"]),
    ("chart sleep gate lowered",
     [(C + "templates/deployment.yaml", r'semverCompare "<1.30-0"', 'semverCompare "<1.29-0"')],
     "render refuses Kubernetes below 1.30 (preStop.sleep=5)", ["renders it for Kubernetes 1.29"]),
    ("manifest field unknown to Kubernetes",
     [(K + "deployment.yaml", r"imagePullPolicy:", "imagePullPolicyy:")],
     "kubernetes-validate deployment.yaml", ["Deployment hams-demo, Kubernetes 1.25", "'imagePullPolicyy' was unexpected"]),
    ("chart field unknown to Kubernetes",
     [(C + "templates/deployment.yaml", r"successThreshold:", "successThresholds:")],
     "kubernetes-validate chart (values.yaml)", ["Deployment hams-demo, Kubernetes 1.25", "'successThresholds' was unexpected"]),
    ("chart gRPC port",
     [(V, r"port: 50051", "port: 50052")],
     "chart probes.type=grpc: ports and probe paths", ["grpc.port: 50052", "grpc_health.cpp serves gRPC health on 50051"]),
    ("chart gRPC service",
     [(C + "templates/deployment.yaml", r"service: alive", "service: liveness")],
     "chart probes.type=grpc: ports and probe paths", ["livenessProbe.grpc.service: 'liveness', expected 'alive'"]),
    ("chart gRPC liveness inside the drain",
     [(V, r"(liveness:[^\n]*\n    periodSeconds: 10\n    failureThreshold:) 3", r"\1 1")],
     "chart probes.type=grpc: liveness tolerance", ["NOT_SERVING", "10000 ms"]),
    ("chart preStop sleep eats the grace period",
     [(V, r"drainMs: 5000", "drainMs: 11000")],
     "chart preStop.sleep=5: grace period", ["terminationGracePeriodSeconds: 20", "preStop.sleep.seconds (5000 ms)"]),
    ("chart ServiceMonitor not conditional",
     [(C + "templates/servicemonitor.yaml", r"\{\{- if \.Values\.serviceMonitor\.enabled \}\}\n", ""),
      (C + "templates/servicemonitor.yaml", r"\{\{- end \}\}\n", "")],
     "chart: ServiceMonitor only when enabled", ["templates/servicemonitor.yaml", "enabled false"]),
    ("manifest does not parse",
     [(K + "service.yaml", r"  ports:\n", "  ports: [\n")],
     "kubernetes-validate service.yaml", ["service.yaml", "does not parse"]),
    ("Dockerfile port",
     [(K + "Dockerfile", r"EXPOSE 8079", "EXPOSE 80")],
     "Dockerfile", ["Dockerfile", "EXPOSE"]),
]


def copy_tree(dst):
    for rel in FILES:
        src = os.path.join(ROOT, rel)
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, out)
        else:
            shutil.copy(src, out)


def run(root):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = check_manifests.main(["--root", root])
    return rc, buf.getvalue()


def main():
    missing = check_manifests.missing_tools()
    if missing:
        print("k8s drift: SKIP, missing: %s (tools/deps.sh check installs them)" % ", ".join(missing))
        return 77
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, "clean")
        copy_tree(clean)
        rc, out = run(clean)
        if rc == 0:
            passed += 1
            print("ok   unchanged copy passes")
        else:
            failed += 1
            print("FAIL unchanged copy: check_manifests.py fails:\n" + out)
        for i, (name, edits, check, want) in enumerate(CASES):
            root = os.path.join(tmp, "case%d" % i)
            copy_tree(root)
            broken = False
            for rel, pat, rep in edits:
                path = os.path.join(root, rel)
                with open(path) as f:
                    text = f.read()
                new, n = re.subn(pat, rep, text, count=1)
                if n != 1:
                    broken = True
                    print("FAIL %s: the pattern %r is not in %s (update this test)" % (name, pat, rel))
                    break
                with open(path, "w") as f:
                    f.write(new)
            if broken:
                failed += 1
                continue
            rc, out = run(root)
            # a FAIL line and its continuation lines, per check
            blocks = re.findall(r"^FAIL (.*(?:\n       .*)*)", out, re.M)
            mine = [b for b in blocks if b.startswith(check)]
            missing = [w for w in want if not any(w in b for b in mine)]
            if rc != 1 or not mine or missing:
                failed += 1
                print("FAIL %s: exit %s; expected check %r to fail mentioning %r; failures:\n%s"
                      % (name, rc, check, missing or want, "\n".join(blocks) or out))
            else:
                passed += 1
                first = [ln for ln in mine[0].splitlines() if any(w in ln for w in want)] or [mine[0]]
                print("ok   %s -> FAIL %s" % (name, first[0].strip()[:160]))
    print("k8s drift: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

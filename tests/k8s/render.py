"""A small renderer for the subset of Helm's template language the hams-demo
chart uses, standing in for `helm template`: helm-sdkpy (Helm's Go library
on PyPI) has no template, no dry-run and no client-only install, so Helm
itself renders the chart only against a cluster. Helm's lint (helm_chart.py)
still executes every template of every variant; this renders them for the
comparisons with the plain manifests and for kubernetes-validate.

  render_chart(chart_dir, release, overrides, kube) -> {template: [documents]}

Supported: text with `{{-`/`-}}` trimming, comments, `if`/`else if`/`else`/
`end`, variables (`$x := ...`, `$x = ...`), pipelines, parentheses, string
and number literals, the fields .Values, .Release, .Chart and
.Capabilities.KubeVersion, and the functions in FUNCS. Anything else is a
RenderError naming the file and line, so the chart cannot outgrow this
renderer silently. Like Helm's install, it refuses a Kubernetes version
outside Chart.yaml's kubeVersion. Unlike Helm, a value missing from the
values is an error (Helm renders it as nothing), except as the last step of
an `if` condition.
"""
import copy
import os
import re

import yaml


class RenderError(Exception):
    pass


_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_ROOTS = ("Values", "Release", "Chart", "Capabilities")
_LEX = re.compile(r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])
                     |(?P<var>\$[A-Za-z_0-9]*(?:\.[A-Za-z_]\w*)*)|(?P<field>(?:\.[A-Za-z_]\w*)+)
                     |(?P<ident>[A-Za-z_]\w*)|(?P<punct>[()|]))""", re.X)
_UNSUPPORTED = ("range", "with", "define", "template", "include", "block", "break", "continue")


def _tokens(text, fname):
    """Text and actions, with Go's {{- and -}} trimming applied."""
    toks, pos = [], 0
    for m in _ACTION.finditer(text):
        left, body, right = m.group(1), m.group(2), m.group(3)
        line = text.count("\n", 0, m.start()) + 1
        if left and not body.startswith((" ", "\t", "\n")):
            raise RenderError("%s:%d: `{{-` needs a space after it" % (fname, line))
        if right and not body.endswith((" ", "\t", "\n")):
            raise RenderError("%s:%d: `-}}` needs a space before it" % (fname, line))
        toks.append(("text", text[pos:m.start()]))
        toks.append(("action", body.strip(), bool(left), bool(right), line))
        pos = m.end()
    toks.append(("text", text[pos:]))
    for i, t in enumerate(toks):
        if t[0] != "action":
            continue
        if t[2] and i > 0:
            toks[i - 1] = ("text", toks[i - 1][1].rstrip(" \t\r\n"))
        if t[3] and i + 1 < len(toks):
            toks[i + 1] = ("text", toks[i + 1][1].lstrip(" \t\r\n"))
    return toks


# ------------------------------------------------------------ expressions

def _lex(expr, fname, line):
    out, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _LEX.match(expr, pos)
        if not m or m.end() == pos:
            raise RenderError("%s:%d: unsupported expression `%s` (at %r)" % (fname, line, expr, expr[pos:]))
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _pipeline(toks, i, fname, line, expr):
    """[command], index after; a command is a list of operands."""
    cmds, cmd = [], []
    while i < len(toks):
        kind, val = toks[i]
        if kind == "punct" and val == ")":
            break
        i += 1
        if kind == "punct" and val == "|":
            if not cmd:
                raise RenderError("%s:%d: empty command in `%s`" % (fname, line, expr))
            cmds.append(cmd)
            cmd = []
        elif kind == "punct" and val == "(":
            sub, i = _pipeline(toks, i, fname, line, expr)
            if i >= len(toks) or toks[i] != ("punct", ")"):
                raise RenderError("%s:%d: unclosed `(` in `%s`" % (fname, line, expr))
            i += 1
            cmd.append(("sub", sub))
        elif kind == "str":
            cmd.append(("lit", bytes(val[1:-1], "utf-8").decode("unicode_escape")))
        elif kind == "num":
            cmd.append(("lit", float(val) if "." in val else int(val)))
        else:
            cmd.append((kind, val))
    if not cmd:
        raise RenderError("%s:%d: empty command in `%s`" % (fname, line, expr))
    cmds.append(cmd)
    return cmds, i


def _parse_expr(expr, fname, line):
    toks = _lex(expr, fname, line)
    cmds, i = _pipeline(toks, 0, fname, line, expr)
    if i != len(toks):
        raise RenderError("%s:%d: unexpected `)` in `%s`" % (fname, line, expr))
    return cmds


def _gostr(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _truthy(v):
    return not (v is None or v is False or v == 0 or v == "" or v == [] or v == {})


def _number(v, fn):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RenderError("%s: %r is not a number" % (fn, v))
    return v


def _to_int(v):
    """sprig's int (cast.ToInt): nothing or a non-number is 0."""
    if v is None:
        return 0
    if isinstance(v, (bool, int)):
        return int(v)
    if isinstance(v, float):
        return int(v)
    try:
        return int(str(v), 0)
    except ValueError:
        return 0


def _printf(fmt, *args):
    """Go's fmt.Sprintf for %s, %d, %v, %q and %%."""
    args = list(args)

    def verb(m):
        if m.group(1) == "%":
            return "%"
        if not args:
            return "%!" + m.group(1) + "(MISSING)"
        a = args.pop(0)
        if m.group(1) == "q":
            return '"%s"' % _gostr(a).replace("\\", "\\\\").replace('"', '\\"')
        if m.group(1) == "d":
            return str(_number(a, "printf %d"))
        return _gostr(a)

    return re.sub(r"%([sdvq%])", verb, fmt)


_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _semver(s):
    m = _SEMVER.match(s.strip())
    if not m:
        raise RenderError("semverCompare: %r is not a version" % s)
    pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m.group(4).split(".")) if m.group(4) else None
    # a pre-release sorts before its release
    return tuple(int(m.group(i) or 0) for i in (1, 2, 3)) + ((0, pre) if pre is not None else (1, ()),)


def semver_compare(constraint, version):
    """Masterminds' semverCompare for comma-separated `OP VERSION` terms
    (OP one of < <= > >= = !=), all of which must hold."""
    v = _semver(version)
    for term in constraint.split(","):
        m = re.match(r"^\s*(<=|>=|!=|=|<|>)?\s*(\S+)\s*$", term)
        if not m or "||" in term or any(c in m.group(2) for c in "^~*xX"):
            raise RenderError("semverCompare: unsupported constraint %r (only OP VERSION terms)" % constraint)
        c = _semver(m.group(2))
        op = m.group(1) or "="
        ok = {"<": v < c, "<=": v <= c, ">": v > c, ">=": v >= c, "=": v == c, "!=": v != c}[op]
        if not ok:
            return False
    return True


def _quote(*vals):
    return " ".join('"%s"' % _gostr(v).replace("\\", "\\\\").replace('"', '\\"') for v in vals)


def _nindent(n, s):
    pad = " " * _to_int(n)
    return "\n" + "\n".join(pad + ln if ln else ln for ln in _gostr(s).split("\n"))


def _to_yaml(v):
    return "" if v is None else yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


def _and(*vals):
    for v in vals:
        if not _truthy(v):
            return v
    return vals[-1]


def _gt(a, b):
    return _number(a, "gt") > _number(b, "gt")


def _fail(msg):
    raise RenderError("fail: %s" % _gostr(msg))


# name -> (function, number of arguments or None for any)
FUNCS = {
    "quote": (_quote, None), "toYaml": (_to_yaml, 1), "nindent": (_nindent, 2), "eq": (lambda a, b: a == b, 2),
    "and": (_and, None), "gt": (_gt, 2), "int": (_to_int, 1), "printf": (_printf, None), "fail": (_fail, 1),
    "semverCompare": (lambda c, v: semver_compare(_gostr(c), _gostr(v)), 2),
}


class _Scope:
    def __init__(self, ctx):
        self.ctx = ctx
        self.vars = [{}]


def _lookup(kind, name, scope, fname, line, in_if):
    parts = [p for p in name.split(".") if p]
    if kind == "var":
        var = parts.pop(0)[1:]
        found = [d for d in reversed(scope.vars) if var in d]
        if not found:
            raise RenderError("%s:%d: undefined variable $%s" % (fname, line, var))
        cur, where = found[0][var], ["$" + var]
    else:
        if not parts or parts[0] not in _ROOTS:
            raise RenderError("%s:%d: unsupported field `%s` (the renderer knows %s)"
                              % (fname, line, name, ", ".join("." + r for r in _ROOTS)))
        cur, where = scope.ctx[parts[0]], [parts.pop(0)]
    for i, p in enumerate(parts):
        if not isinstance(cur, dict):
            raise RenderError("%s:%d: %s: nil pointer evaluating .%s" % (fname, line, name, ".".join(where)))
        if p not in cur:
            if in_if and i == len(parts) - 1:
                return None
            raise RenderError("%s:%d: %s is not set (values.yaml, Chart.yaml or the release)" % (fname, line, name))
        cur = cur[p]
        where.append(p)
    return cur


_NOTHING = object()


def _operand(op, scope, fname, line, in_if):
    kind, val = op
    if kind == "lit":
        return val
    if kind == "sub":
        return _run(val, scope, fname, line, in_if)
    if kind in ("field", "var"):
        return _lookup(kind, val, scope, fname, line, in_if)
    if val in ("true", "false"):
        return val == "true"
    if val == "nil":
        return None
    raise RenderError("%s:%d: `%s` as a value" % (fname, line, val))


def _run(cmds, scope, fname, line, in_if=False):
    piped = _NOTHING
    for cmd in cmds:
        head = cmd[0]
        if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            if head[1] not in FUNCS:
                raise RenderError("%s:%d: unsupported function `%s`: tests/k8s/render.py renders only %s"
                                  % (fname, line, head[1], ", ".join(sorted(FUNCS))))
            fn, nargs = FUNCS[head[1]]
            args = [_operand(op, scope, fname, line, in_if) for op in cmd[1:]]
            if piped is not _NOTHING:
                args.append(piped)
            if nargs is not None and len(args) != nargs:
                raise RenderError("%s:%d: %s takes %d argument%s, got %d"
                                  % (fname, line, head[1], nargs, "" if nargs == 1 else "s", len(args)))
            if nargs is None and not args:
                raise RenderError("%s:%d: %s needs arguments" % (fname, line, head[1]))
            try:
                piped = fn(*args)
            except RenderError as e:
                raise RenderError("%s:%d: %s" % (fname, line, e))
        else:
            if len(cmd) != 1 or piped is not _NOTHING:
                raise RenderError("%s:%d: can't give an argument to a non-function" % (fname, line))
            piped = _operand(head, scope, fname, line, in_if)
    return piped


# ----------------------------------------------------------------- actions

def _parse(toks, fname):
    """A tree: lists of ('text', s), ('out', cmds, line), ('set', var,
    declare, cmds, line), ['if', cmds, then, else, line]."""
    stack, ifs = [[]], []
    for t in toks:
        if t[0] == "text":
            if t[1]:
                stack[-1].append(t)
            continue
        body, line = t[1], t[4]
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise RenderError("%s:%d: unterminated comment" % (fname, line))
            continue
        word = body.split(None, 1)[0] if body else ""
        assign = re.match(r"^(\$[A-Za-z_]\w*)\s*(:?=)\s*(.+)$", body, re.S)
        if word == "if":
            node = ["if", _parse_expr(body[2:], fname, line), [], [], line]
            stack[-1].append(node)
            ifs.append(node)
            stack.append(node[2])
        elif word == "else":
            if not ifs:
                raise RenderError("%s:%d: {{ else }} without {{ if }}" % (fname, line))
            rest = body[4:].strip()
            stack.pop()
            if not rest:
                stack.append(ifs[-1][3])
            elif rest.split(None, 1)[0] == "if":
                # else if: an if inside the else branch, closed by the same end
                node = ["if", _parse_expr(rest[2:], fname, line), [], [], line]
                ifs[-1][3].append(node)
                ifs[-1] = node
                stack.append(node[2])
            else:
                raise RenderError("%s:%d: unsupported `{{ %s }}`" % (fname, line, body))
        elif word == "end":
            if not ifs:
                raise RenderError("%s:%d: {{ end }} without {{ if }}" % (fname, line))
            stack.pop()
            ifs.pop()
        elif word in _UNSUPPORTED:
            raise RenderError("%s:%d: unsupported Helm construct `{{ %s }}`: tests/k8s/render.py renders text, "
                              "if/else, variables and the functions %s" % (fname, line, body, ", ".join(sorted(FUNCS))))
        elif assign:
            cmds = _parse_expr(assign.group(3), fname, line)
            stack[-1].append(("set", assign.group(1), assign.group(2) == ":=", cmds, line))
        else:
            stack[-1].append(("out", _parse_expr(body, fname, line), line))
    if ifs:
        raise RenderError("%s:%d: {{ if }} without {{ end }}" % (fname, ifs[-1][4]))
    return stack[0]


def _render(nodes, scope, fname):
    out = []
    for n in nodes:
        if n[0] == "text":
            out.append(n[1])
        elif n[0] == "out":
            out.append(_gostr(_run(n[1], scope, fname, n[2])))
        elif n[0] == "set":
            _, var, declare, cmds, line = n
            val = _run(cmds, scope, fname, line)
            if declare:
                scope.vars[-1][var[1:]] = val
            else:
                found = [d for d in reversed(scope.vars) if var[1:] in d]
                if not found:
                    raise RenderError("%s:%d: undefined variable %s" % (fname, line, var))
                found[0][var[1:]] = val
        else:
            branch = n[2] if _truthy(_run(n[1], scope, fname, n[4], in_if=True)) else n[3]
            # variables declared in a branch end with it, as in Go
            scope.vars.append({})
            try:
                out.append(_render(branch, scope, fname))
            finally:
                scope.vars.pop()
    return "".join(out)


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def render_chart(chart_dir, release, overrides=None, kube="1.25"):
    """{template file name: [documents]} for an install of chart_dir as
    `release`, with `overrides` over values.yaml, on Kubernetes `kube`
    (major.minor). Raises RenderError, or a yaml error."""
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = yaml.safe_load(f) or {}
    values = merge(values, overrides or {})
    major, minor = kube.split(".")[:2]
    version = "v%s.%s.0" % (major, minor)
    # Helm's install checks this against the cluster's version
    if chart.get("kubeVersion") and not semver_compare(str(chart["kubeVersion"]), version):
        raise RenderError("Chart.yaml: chart requires kubeVersion: %s which is incompatible with Kubernetes %s"
                          % (chart["kubeVersion"], version))
    ctx = {
        "Values": values,
        "Release": {"Name": release, "Namespace": "default", "Service": "Helm"},
        "Chart": {"Name": chart.get("name"), "Version": chart.get("version"), "AppVersion": chart.get("appVersion")},
        "Capabilities": {"KubeVersion": {"Version": version, "Major": major, "Minor": minor}},
    }
    out = {}
    tdir = os.path.join(chart_dir, "templates")
    for name in sorted(os.listdir(tdir)):
        if name.startswith("_") or not name.endswith((".yaml", ".yml")):
            continue
        rel = "templates/" + name
        with open(os.path.join(tdir, name)) as f:
            text = f.read()
        rendered = _render(_parse(_tokens(text, rel), rel), _Scope(ctx), rel)
        try:
            docs = [d for d in yaml.safe_load_all(rendered) if d is not None]
        except yaml.YAMLError as e:
            raise RenderError("%s: the rendered text does not parse: %s\n%s" % (rel, e, rendered))
        out[rel] = docs
    return out

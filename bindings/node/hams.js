'use strict';
/**
 * hams for Node.js: health, lifecycle and metrics endpoints through libhams,
 * loaded with koffi. A CommonJS module; from ESM, `import { Hams } from './hams.js'`
 * works too (named exports).
 *
 *   const { Hams } = require('./hams');
 *   const h = new Hams('orders', '1.4.2', { address: '0.0.0.0:8079' });
 *   const db = h.probeManual('db', { checks: ['ready'] });
 *   const loop = h.probeKick('main-loop', { marginMs: 5000 });
 *   h.start();
 *   db.set(true);
 *   setInterval(() => loop.kick(), 1000);
 *   const req = h.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['path'] });
 *   req.labels({ path: '/' }).inc();   // vectors: see metric-vecs.js
 *
 * The library is found by the platform's normal lookup (libhams.so.0, then
 * libhams.so; libhams.0.dylib / libhams.dylib on macOS), or at the path in
 * the HAMS_LIBRARY environment variable.
 *
 * JavaScript runs on one thread, and koffi can call a JavaScript function from
 * a hams thread only by queueing it to the event loop while the hams thread
 * waits. A hams call that itself waits for that hams thread (hams_free,
 * hams_stop, hams_probe_free, hams_wait) would then deadlock the process.
 * So no JavaScript function is ever handed to hams on the main thread:
 *  - check(name, fn) is a manual probe that a JavaScript timer updates with
 *    fn's result; fn may be synchronous or return a Promise (timed out after
 *    timeoutMs);
 *  - onShutdown(fn) callbacks run on the JavaScript thread once hams' shutdown
 *    sequence is done (drain passed, native callbacks ran), seen by polling
 *    hams_wait(h, 0) every 50 ms, or at once when wait() returns true;
 *  - Hams.setLogger() and the 'change' event (status listeners) receive
 *    hams' calls in a worker thread whose only job is that, which passes
 *    them on asynchronously (see "The callback worker" below).
 */

const koffi = require('koffi');
const { EventEmitter } = require('node:events');
const path = require('node:path');

// ---------------------------------------------------------------------------
// Loading the library

function candidates() {
  if (process.env.HAMS_LIBRARY) return [process.env.HAMS_LIBRARY];
  if (process.platform === 'darwin') return ['libhams.0.dylib', 'libhams.dylib'];
  if (process.platform === 'win32') return ['hams.dll', 'libhams.dll'];
  return ['libhams.so.0', 'libhams.so'];
}

function loadLibrary() {
  const errors = [];
  for (const name of candidates()) {
    try {
      return { lib: koffi.load(name), path: name };
    } catch (e) {
      errors.push(`${name}: ${e.message}`);
    }
  }
  throw new Error(
    'hams: cannot load libhams (install it, or set HAMS_LIBRARY to its path): ' +
      errors.join('; '),
  );
}

const { lib, path: libraryPath } = loadLibrary();

koffi.opaque('hams_t');
koffi.opaque('hams_probe_t');
koffi.opaque('hams_metric_t');
koffi.opaque('hams_vec_t');

const C = {
  version: lib.func('const char *hams_version(void)'),
  lastError: lib.func('const char *hams_last_error(void)'),
  new: lib.func('hams_t *hams_new(const char *service_name, const char *service_version)'),
  setAddress: lib.func('int hams_set_address(hams_t *h, const char *host_port)'),
  start: lib.func('int hams_start(hams_t *h)'),
  port: lib.func('int hams_port(const hams_t *h)'),
  stop: lib.func('int hams_stop(hams_t *h)'),
  free: lib.func('void hams_free(hams_t *h)'),
  newFromFile: lib.func('hams_t *hams_new_from_file(const char *path)'),
  newFromYaml: lib.func('hams_t *hams_new_from_yaml(const char *text)'),
  shutdown: lib.func('int hams_shutdown(hams_t *h)'),
  wait: lib.func('int hams_wait(hams_t *h, int64_t timeout_ms)'),
  handleSignals: lib.func('int hams_handle_signals(hams_t *h, bool on)'),
  setLoggerOff: lib.func('int hams_set_logger(void *callback, void *user, int max_level)'),
  counterNew: lib.func(
    'hams_metric_t *hams_counter_new_labeled(hams_t *h, const char *name, const char *help, const char **labels)',
  ),
  gaugeNew: lib.func(
    'hams_metric_t *hams_gauge_new_labeled(hams_t *h, const char *name, const char *help, const char **labels)',
  ),
  histogramNew: lib.func(
    'hams_metric_t *hams_histogram_new_labeled(hams_t *h, const char *name, const char *help, const double *buckets, size_t n, const char **labels)',
  ),
  counterAdd: lib.func('int hams_counter_add(hams_metric_t *m, double v)'),
  gaugeSet: lib.func('int hams_gauge_set(hams_metric_t *m, double v)'),
  gaugeAdd: lib.func('int hams_gauge_add(hams_metric_t *m, double v)'),
  observe: lib.func('int hams_histogram_observe(hams_metric_t *m, double v)'),
  metricFree: lib.func('int hams_metric_free(hams_metric_t *m)'),
  histogramNativeNew: lib.func(
    'hams_metric_t *hams_histogram_native_new(hams_t *h, const char *name, const char *help, double bucket_factor, uint32_t max_buckets)',
  ),
  counterVecNew: lib.func(
    'hams_vec_t *hams_counter_vec_new(hams_t *h, const char *name, const char *help, const char **label_names)',
  ),
  gaugeVecNew: lib.func(
    'hams_vec_t *hams_gauge_vec_new(hams_t *h, const char *name, const char *help, const char **label_names)',
  ),
  histogramVecNew: lib.func(
    'hams_vec_t *hams_histogram_vec_new(hams_t *h, const char *name, const char *help, const double *buckets, size_t n, const char **label_names)',
  ),
  histogramNativeVecNew: lib.func(
    'hams_vec_t *hams_histogram_native_vec_new(hams_t *h, const char *name, const char *help, double bucket_factor, uint32_t max_buckets, const char **label_names)',
  ),
  vecWith: lib.func('hams_metric_t *hams_vec_with(hams_vec_t *v, const char **label_values)'),
  vecRemove: lib.func('int hams_vec_remove(hams_vec_t *v, const char **label_values)'),
  vecFree: lib.func('int hams_vec_free(hams_vec_t *v)'),
  bucketsLinear: lib.func('int hams_buckets_linear(double start, double width, size_t count, double *out)'),
  bucketsExponential: lib.func('int hams_buckets_exponential(double start, double factor, size_t count, double *out)'),
  probeManual: lib.func(
    'hams_probe_t *hams_probe_new_manual(hams_t *h, const char *name, unsigned int checks, bool healthy)',
  ),
  probeKick: lib.func(
    'hams_probe_t *hams_probe_new_kick(hams_t *h, const char *name, unsigned int checks, uint64_t margin_ms)',
  ),
  probeSet: lib.func('int hams_probe_set(hams_probe_t *p, bool healthy, const char *reason)'),
  probeKickNow: lib.func('int hams_probe_kick(hams_probe_t *p)'),
  probeGet: lib.func('hams_probe_t *hams_probe_get(hams_t *h, const char *name)'),
  probeFree: lib.func('int hams_probe_free(hams_probe_t *p)'),
  // Status listeners (libhams 0.2; hams_on_change is called by the callback worker).
  checkState: optional(() => lib.func('int hams_check_state(hams_t *h, unsigned int check)')),
  probeSetThresholds: optional(() =>
    lib.func('int hams_probe_set_thresholds(hams_probe_t *p, uint32_t failures, uint32_t successes)'),
  ),
  // libhams 0.1 lacks it: the package still loads there, without runtime info.
  setRuntime: optional(() =>
    lib.func('int hams_set_runtime(hams_t *h, const char *runtime, const char *library, const char *library_version)'),
  ),
  // Workers mode (libhams 0.2): the package still loads without it.
  setWorkers: optional(() => lib.func('int hams_set_workers(hams_t *h, bool enabled)')),
  attach: optional(() => lib.func('hams_t *hams_attach(void)')),
  lastErrorCode: optional(() => lib.func('int hams_last_error_code(void)')),
  gaugeSetAggregation: optional(() => lib.func('int hams_gauge_set_aggregation(hams_metric_t *g, int how)')),
  vecSetAggregation: optional(() => lib.func('int hams_vec_set_aggregation(hams_vec_t *v, int how)')),
  // Exemplars (libhams 0.3): the package still loads without them.
  counterAddExemplar: optional(() =>
    lib.func('int hams_counter_add_exemplar(hams_metric_t *m, double v, const char **labels)'),
  ),
  observeExemplar: optional(() =>
    lib.func('int hams_histogram_observe_exemplar(hams_metric_t *m, double v, const char **labels)'),
  ),
};

/** make() (a lib.func of a function an older libhams may lack), or null when it lacks it. */
function optional(make) {
  try {
    return make();
  } catch (_) {
    return null;
  }
}

const PACKAGE_VERSION = require('./package.json').version;
const RUNTIME = `Node.js ${process.version}`;

/** Names Node and this package in /hams/version and hams_build_info (when libhams knows how). */
function setDefaultRuntime(ptr) {
  // Best effort: these strings are valid, and a new server is stopped.
  if (C.setRuntime !== null) C.setRuntime(ptr, RUNTIME, 'hams-node', PACKAGE_VERSION);
}

// ---------------------------------------------------------------------------
// Errors

const CODES = {
  0: 'HAMS_OK',
  [-1]: 'HAMS_ERR_NULL',
  [-2]: 'HAMS_ERR_INVALID',
  [-3]: 'HAMS_ERR_STATE',
  [-4]: 'HAMS_ERR_IO',
  [-5]: 'HAMS_ERR_CONFIG',
  [-6]: 'HAMS_ERR_PANIC',
};

/**
 * A failed hams call. `message` is hams_last_error()'s text; `code` the
 * negative HAMS_ERR_* number when the C function returned one (functions
 * returning a pointer return none: `code` is null), `codeName` its name.
 */
class HamsError extends Error {
  constructor(message, code = null, call = null) {
    super(message);
    this.name = 'HamsError';
    this.code = code;
    this.codeName = code == null ? null : CODES[code] || `HAMS_ERR(${code})`;
    this.call = call;
  }
}

function lastError(call, code = null) {
  const text = C.lastError() || 'unknown error';
  return new HamsError(text, code, call);
}

function check(rc, call) {
  if (rc < 0) throw lastError(call, rc);
  return rc;
}

function cstr(value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  if (value.includes('\0')) {
    throw new HamsError(`${what} contains a NUL character`, -2, null);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Signals

let libc;

/**
 * Node installs handlers for SIGINT and SIGTERM that restore the terminal and
 * re-raise the signal, relying on SA_RESETHAND to die by it. hams chains to
 * the previous handler, and its own handler is still in place, so the re-raise
 * reaches hams again: an endless loop. Such one-shot handlers are replaced by
 * the default disposition before hams takes the signals (Linux only).
 */
function dropOneShotSignalHandlers() {
  if (process.platform !== 'linux') return;
  if (!libc) {
    libc = koffi.load('libc.so.6');
    libc.sigaction = libc.func('int sigaction(int sig, const void *act, _Out_ void *oldact)');
    libc.signal = libc.func('void *signal(int sig, void *handler)');
  }
  const SA_RESETHAND = 0x80000000;
  const FLAGS_OFFSET = 8 + 128; // struct sigaction: handler, sigset_t (1024 bits), int sa_flags
  for (const sig of [2 /* SIGINT */, 15 /* SIGTERM */]) {
    const old = Buffer.alloc(256);
    if (libc.sigaction(sig, null, old) !== 0) continue;
    const handler = old.readBigUInt64LE(0);
    const flags = old.readUInt32LE(FLAGS_OFFSET);
    if (handler > 1n && (flags & SA_RESETHAND) !== 0) libc.signal(sig, null /* SIG_DFL */);
  }
}

/** fn, the C function named `call`, or a HamsError when this libhams lacks it. */
function needs(fn, call) {
  if (fn === null) throw new HamsError(`libhams ${C.version()} has no ${call}`, -3, call);
  return fn;
}

// ---------------------------------------------------------------------------
// Workers mode: how the primary shows a gauge of many worker processes

const AGG_PER_WORKER = 0;
const AGG_SUM = 1;
const AGG_MAX = 2;
const AGG_MIN = 3;
const AGGREGATIONS = { perWorker: AGG_PER_WORKER, per_worker: AGG_PER_WORKER, sum: AGG_SUM, max: AGG_MAX, min: AGG_MIN };

/** 'perWorker' (one series per worker, label pid), 'sum', 'max', 'min', or an AGG_* number. */
function aggregationCode(how) {
  if (Number.isInteger(how) && how >= AGG_PER_WORKER && how <= AGG_MIN) return how;
  const code = typeof how === 'string' ? AGGREGATIONS[how] : undefined;
  if (code === undefined) throw new HamsError(`unknown aggregation "${how}" (perWorker, sum, max, min)`, -2, null);
  return code;
}

// ---------------------------------------------------------------------------
// Checks bits

const ALIVE = 1;
const READY = 2;
const STARTUP = 4;
const CHECK_BITS = { alive: ALIVE, ready: READY, startup: STARTUP };

/** Accepts a number (OR of ALIVE, READY, STARTUP), a name, or an array of names. */
function checksBits(checks, fallback) {
  if (checks == null) return fallback;
  if (typeof checks === 'number') return checks;
  const names = typeof checks === 'string' ? [checks] : checks;
  if (!Array.isArray(names)) throw new TypeError('checks must be a number, a name or an array of names');
  let bits = 0;
  for (const n of names) {
    const b = typeof n === 'number' ? n : CHECK_BITS[String(n).toLowerCase()];
    if (b === undefined) throw new HamsError(`unknown check "${n}" (alive, ready, startup)`, -2, null);
    bits |= b;
  }
  return bits;
}

function labelArray(labels) {
  if (labels == null) return null;
  let pairs;
  if (Array.isArray(labels)) {
    pairs = labels.slice();
  } else if (labels instanceof Map) {
    pairs = [...labels].flat();
  } else if (typeof labels === 'object') {
    pairs = Object.entries(labels).flat();
  } else {
    throw new TypeError('labels must be an object, a Map or an array of name, value pairs');
  }
  pairs = pairs.map((s, i) => cstr(String(s), i % 2 ? 'label value' : 'label name'));
  pairs.push(null);
  return pairs;
}

/** An exemplar's labels for C: like labelArray, but {} (no labels) stays an empty, NULL-terminated list. */
function exemplarArray(exemplar) {
  if (typeof exemplar !== 'object') {
    throw new TypeError('an exemplar must be an object, a Map or an array of name, value pairs');
  }
  return labelArray(exemplar);
}

// ---------------------------------------------------------------------------
// Probes and metrics

/** A probe, owned by its Hams: invalid once freed or once the Hams is closed. */
class Probe {
  constructor(owner, ptr, name) {
    this._owner = owner;
    this._ptr = ptr;
    this.name = name;
  }

  _handle() {
    if (this._ptr === null) throw new HamsError(`probe "${this.name}" was freed`, -3, null);
    this._owner._handle();
    return this._ptr;
  }

  /** Sets a manual probe: healthy, or unhealthy with a reason. */
  set(healthy, reason = null) {
    if (reason != null) cstr(String(reason), 'reason');
    check(C.probeSet(this._handle(), Boolean(healthy), reason == null ? null : String(reason)), 'hams_probe_set');
    return this;
  }

  /** Kicks a kick probe: healthy for its margin from now. */
  kick() {
    check(C.probeKickNow(this._handle()), 'hams_probe_kick');
    return this;
  }

  /**
   * Makes a manual or check() probe tolerate blips: it turns unhealthy only
   * after `failures` failed results in a row, and healthy again only after
   * `successes` good ones (both at least 1; default 1). A kick probe throws.
   */
  setThresholds(failures, successes = 1) {
    for (const [what, n] of [['failures', failures], ['successes', successes]]) {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        throw new HamsError(`${what} must be an integer from 1 to 2^32-1, got ${n}`, -2, null);
      }
    }
    const fn = needs(C.probeSetThresholds, 'hams_probe_set_thresholds');
    check(fn(this._handle(), failures, successes), 'hams_probe_set_thresholds');
    return this;
  }

  /** Unregisters and frees the probe. */
  free() {
    if (this._ptr === null) return;
    const ptr = this._handle();
    this._stop();
    check(C.probeFree(ptr), 'hams_probe_free');
    this._ptr = null;
    this._owner._probes.delete(this.name);
  }

  _stop() {}
}

/**
 * A probe whose health is fn's result, run on the JavaScript thread: at once,
 * then intervalMs after each run ends (hams' callback semantics, on a manual
 * probe). fn returns a boolean, [boolean, reason], {healthy, reason}, or a
 * Promise of one; a thrown error or rejection fails the probe with its
 * message; a Promise still pending after timeoutMs fails the probe with
 * "check timed out after N ms" until it settles.
 */
class CheckProbe extends Probe {
  constructor(owner, ptr, name, fn, intervalMs, timeoutMs) {
    super(owner, ptr, name);
    this._fn = fn;
    this._interval = intervalMs;
    this._timeout = timeoutMs;
    this._timer = null;
    this._stopped = false;
    this.runs = 0;
  }

  _schedule(ms) {
    if (this._stopped) return;
    this._timer = setTimeout(() => this._run(), ms);
    this._timer.unref();
  }

  _report(result) {
    if (this._stopped || this._ptr === null || this._owner._ptr === null) return;
    let healthy = result;
    let reason = null;
    if (Array.isArray(result)) {
      [healthy, reason] = result;
    } else if (result !== null && typeof result === 'object' && 'healthy' in result) {
      ({ healthy, reason } = result);
    }
    healthy = Boolean(healthy);
    if (!healthy && (reason == null || reason === '')) reason = 'check failed';
    reason = reason == null ? null : String(reason).replace(/\0/g, ' ');
    try {
      C.probeSet(this._ptr, healthy, healthy ? null : reason);
    } catch (_) {
      /* the probe went away meanwhile */
    }
  }

  _run() {
    if (this._stopped) return;
    this.runs++;
    let value;
    try {
      value = this._fn();
    } catch (e) {
      this._report([false, errorText(e)]);
      this._schedule(this._interval);
      return;
    }
    if (value === null || typeof value !== 'object' || typeof value.then !== 'function') {
      this._report(value);
      this._schedule(this._interval);
      return;
    }
    const timer = setTimeout(() => this._report([false, `check timed out after ${this._timeout} ms`]), this._timeout);
    timer.unref();
    Promise.resolve(value).then(
      (v) => this._report(v),
      (e) => this._report([false, errorText(e)]),
    ).finally(() => {
      clearTimeout(timer);
      this._schedule(this._interval);
    });
  }

  _stop() {
    this._stopped = true;
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
  }
}

function errorText(e) {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** A counter, gauge or histogram, owned by its Hams. */
class Metric {
  constructor(owner, ptr, name, kind) {
    this._owner = owner;
    this._ptr = ptr;
    this.name = name;
    this.kind = kind;
  }

  _handle() {
    if (this._ptr === null) throw new HamsError(`metric "${this.name}" was freed`, -3, null);
    this._owner._handle();
    return this._ptr;
  }

  /** Removes the metric from the exposition and frees it (a vector's child: from its vector). */
  free() {
    if (this._ptr === null) return;
    if (this._vec) return freeChild(this);
    check(C.metricFree(this._handle()), 'hams_metric_free');
    this._ptr = null;
    this._owner._metrics.delete(this);
  }
}

class Counter extends Metric {
  /**
   * Adds n (finite, >= 0; default 1). With an exemplar ({trace_id: '...'}: at
   * most 128 characters in all names and values), it becomes the counter's
   * latest exemplar, shown in the OpenMetrics exposition; a bad one throws
   * HamsError and counts nothing.
   */
  inc(n = 1, exemplar = undefined) {
    if (exemplar == null) {
      check(C.counterAdd(this._handle(), n), 'hams_counter_add');
    } else {
      const fn = needs(C.counterAddExemplar, 'hams_counter_add_exemplar');
      check(fn(this._handle(), n, exemplarArray(exemplar)), 'hams_counter_add_exemplar');
    }
    return this;
  }
}

class Gauge extends Metric {
  /**
   * Workers mode: how the primary's /hams/metrics shows this gauge of many
   * worker processes: 'perWorker' (the default: one series per worker, with a
   * label pid), 'sum', 'max' or 'min'. Before the first update.
   */
  setAggregation(how) {
    const fn = needs(C.gaugeSetAggregation, 'hams_gauge_set_aggregation');
    check(fn(this._handle(), aggregationCode(how)), 'hams_gauge_set_aggregation');
    return this;
  }

  set(v) {
    check(C.gaugeSet(this._handle(), v), 'hams_gauge_set');
    return this;
  }

  add(v) {
    check(C.gaugeAdd(this._handle(), v), 'hams_gauge_add');
    return this;
  }
}

class Histogram extends Metric {
  /** Observes v; with an exemplar (as Counter.inc), the latest exemplar of the bucket v falls in. */
  observe(v, exemplar = undefined) {
    if (exemplar == null) {
      check(C.observe(this._handle(), v), 'hams_histogram_observe');
    } else {
      const fn = needs(C.observeExemplar, 'hams_histogram_observe_exemplar');
      check(fn(this._handle(), v, exemplarArray(exemplar)), 'hams_histogram_observe_exemplar');
    }
    return this;
  }
}

const { MetricVec, CounterVec, GaugeVec, HistogramVec, freeChild } = require('./metric-vecs')({
  C,
  HamsError,
  check,
  lastError,
  cstr,
  needs,
  aggregationCode,
  Counter,
  Gauge,
  Histogram,
});

function bucketBounds(fn, call, a, b, count) {
  if (!Number.isInteger(count)) throw new TypeError('count must be an integer');
  // libhams refuses a count outside 1..1024 before it writes anything.
  const out = new Float64Array(Math.max(1, Math.min(count, 1024)));
  check(fn(a, b, Math.max(count, 0), out), call);
  return Array.from(out.subarray(0, count));
}

/** count (1 to 1024) bounds: start, start + width, ... (width > 0), as prom-client's linearBuckets. */
function linearBuckets(start, width, count) {
  return bucketBounds(C.bucketsLinear, 'hams_buckets_linear', start, width, count);
}

/** count (1 to 1024) bounds: start, start * factor, ... (start > 0, factor > 1), as prom-client's exponentialBuckets. */
function exponentialBuckets(start, factor, count) {
  return bucketBounds(C.bucketsExponential, 'hams_buckets_exponential', start, factor, count);
}

/** The C (buckets, n): null and 0 for libhams' defaults; [] stays 0 bounds, which libhams refuses. */
function bucketArgs(buckets) {
  if (buckets == null) return [null, 0];
  if (!Array.isArray(buckets) && !(buckets instanceof Float64Array)) {
    throw new TypeError('buckets must be an array of numbers');
  }
  const b = Float64Array.from(buckets);
  // koffi passes an empty typed array as NULL, which would mean the defaults.
  return [b.length ? b : [], b.length];
}

const METRIC_OPTIONS = ['name', 'help', 'labels', 'labelNames', 'buckets', 'native', 'bucketFactor', 'maxBuckets'];

function checkOptions(options) {
  for (const k of Object.keys(options)) {
    if (!METRIC_OPTIONS.includes(k)) {
      throw new HamsError(`unknown metric option "${k}" (${METRIC_OPTIONS.join(', ')})`, -2, null);
    }
  }
  return options;
}

/**
 * prom-client's configuration object, or the positional (name, help, ...)
 * form whose last argument may be options with labelNames instead of fixed
 * labels, e.g. counter(name, help, {labelNames: ['path']}) (a fixed label's
 * value is never an array, so the two cannot be confused).
 */
function metricConfig(args, positional) {
  const first = args[0];
  if (first !== null && typeof first === 'object') return checkOptions(first);
  const cfg = {};
  positional.forEach((k, i) => (cfg[k] = args[i]));
  const last = args[positional.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last) && Array.isArray(last.labelNames)) {
    Object.assign(cfg, { labels: null }, checkOptions(last));
  }
  return cfg;
}

function labelNamesArray(labelNames, labels) {
  if (labels != null) throw new HamsError('give labels (one fixed series) or labelNames (a vector), not both', -2, null);
  if (!Array.isArray(labelNames)) throw new TypeError('labelNames must be an array of names');
  return labelNames.map((n) => cstr(n, 'label name'));
}

// ---------------------------------------------------------------------------
// The server

/**
 * One health server. Events:
 *  - 'change' (name, healthy, reason): a check ('alive', 'ready', 'startup')
 *    or a probe turned healthy or unhealthy (see on('change'));
 *  - 'shuttingDown': the shutdown sequence started (see shuttingDown);
 *  - 'shutdown' once the shutdown sequence is done (after the onShutdown
 *    callbacks ran).
 */
class Hams extends EventEmitter {
  /**
   * A stopped server for service `name` at `version`; options.address is
   * "IP:PORT" (default "0.0.0.0:8079"; port 0 picks a free one);
   * options.workers true makes it the primary of worker processes (setWorkers).
   */
  constructor(name, version, options = {}) {
    super();
    let ptr;
    if (name === Hams._adopt) {
      ptr = version;
    } else {
      ptr = C.new(cstr(name, 'name'), cstr(version, 'version'));
      if (ptr === null) throw lastError('hams_new');
    }
    this._ptr = ptr;
    setDefaultRuntime(ptr);
    this._probes = new Map();
    this._metrics = new Set();
    this._shutdownFns = [];
    this._shutdownRan = false;
    this._shuttingDown = false;
    this._poll = null;
    this._listenId = 0;
    // The first 'change' listener installs the status listener of libhams.
    this.on('newListener', (event) => {
      if (event === 'change' && this._listenId === 0) this._listen();
    });
    if (name !== Hams._adopt && options) {
      try {
        if (options.address != null) this.setAddress(options.address);
        if (options.workers) this.setWorkers(true);
      } catch (e) {
        this.close();
        throw e;
      }
    }
  }

  /**
   * In a worker process (a cluster worker, or any child of a primary in
   * workers mode): a Hams joined to the primary's through $HAMS_WORKERS. Its
   * probes show in the primary's checks as name@pid and its metrics in the
   * primary's /hams/metrics; it serves nothing itself (start, stop, shutdown
   * and wait throw HAMS_ERR_STATE). Throws when no ancestor is in workers mode.
   */
  static attach() {
    const ptr = needs(C.attach, 'hams_attach')();
    // The code tells "not in workers mode" (HAMS_ERR_STATE) from a failure to join.
    if (ptr === null) throw lastError('hams_attach', C.lastErrorCode === null ? null : C.lastErrorCode());
    return new Hams(Hams._adopt, ptr);
  }

  /** A server from YAML configuration text (see hams_config(5)); HAMS_* variables override it. */
  static fromYaml(text) {
    const ptr = C.newFromYaml(cstr(text, 'text'));
    if (ptr === null) throw lastError('hams_new_from_yaml');
    return new Hams(Hams._adopt, ptr);
  }

  /** A server from a YAML configuration file. */
  static fromFile(file) {
    const ptr = C.newFromFile(cstr(path.resolve(file), 'path'));
    if (ptr === null) throw lastError('hams_new_from_file');
    return new Hams(Hams._adopt, ptr);
  }

  /** libhams' version, e.g. "0.1.0". */
  static get libraryVersion() {
    return C.version();
  }

  /** Where the library was loaded from (the name or the HAMS_LIBRARY path). */
  static get libraryPath() {
    return libraryPath;
  }

  _handle() {
    if (this._ptr === null) throw new HamsError('this hams server was closed', -3, null);
    return this._ptr;
  }

  get closed() {
    return this._ptr === null;
  }

  setAddress(hostPort) {
    check(C.setAddress(this._handle(), cstr(hostPort, 'address')), 'hams_set_address');
    return this;
  }

  /**
   * Names the runtime and library in /hams/version and hams_build_info
   * (default: "Node.js vX.Y.Z", "hams-node", this package's version), e.g.
   * for a framework built on this package. Only while stopped.
   */
  setRuntime(runtime, library, libraryVersion) {
    if (C.setRuntime === null) throw new HamsError(`libhams ${C.version()} has no hams_set_runtime`, -3, 'hams_set_runtime');
    const args = [cstr(runtime, 'runtime'), cstr(library, 'library'), cstr(libraryVersion, 'libraryVersion')];
    check(C.setRuntime(this._handle(), ...args), 'hams_set_runtime');
    return this;
  }

  /**
   * Workers mode (true): this server is the primary of worker processes
   * (Node's cluster workers, forked or spawned children), which join it with
   * attach(); its /hams/metrics sums their counters and histograms and shows
   * their gauges (see Gauge.setAggregation), their probes are part of its
   * checks as name@pid. Before start() and before any probe or metric is made
   * on it. Sets HAMS_WORKERS in this process's environment for the children.
   */
  setWorkers(on = true) {
    check(needs(C.setWorkers, 'hams_set_workers')(this._handle(), Boolean(on)), 'hams_set_workers');
    return this;
  }

  /** Binds (before returning: a port in use throws) and serves on a hams thread. */
  start() {
    check(C.start(this._handle()), 'hams_start');
    return this;
  }

  /** Stops serving; the server may be started again. */
  stop() {
    check(C.stop(this._handle()), 'hams_stop');
    return this;
  }

  /** The bound port; throws (HAMS_ERR_STATE) when not started. */
  get port() {
    return check(C.port(this._handle()), 'hams_port');
  }

  /** Whether `which` ('alive', 'ready', 'startup', or ALIVE, READY, STARTUP) passes now, as /hams/<check> answers. */
  checkState(which) {
    const bit = typeof which === 'string' ? CHECK_BITS[which.toLowerCase()] : which;
    if (!Number.isInteger(bit) || bit < 0) throw new HamsError(`unknown check "${which}" (alive, ready, startup)`, -2, null);
    const fn = needs(C.checkState, 'hams_check_state');
    return check(fn(this._handle(), bit), 'hams_check_state') === 1;
  }

  /**
   * Whether the shutdown sequence has started: shutdown() was called, or
   * the 'ready' check turned unhealthy for it (a signal handled by hams),
   * or the sequence is done. Set before 'shuttingDown' is emitted. Without
   * a 'change' listener (which hams tells 'shutdown' when the sequence
   * starts) or an onShutdown callback, a shutdown that hams started from a
   * signal is not seen.
   */
  get shuttingDown() {
    return this._shuttingDown || this._shutdownRan;
  }

  _markShuttingDown() {
    if (this._shuttingDown) return;
    this._shuttingDown = true;
    this.emit('shuttingDown');
  }

  /**
   * The status listener, installed once by the first on('change', fn):
   * hams reports every probe's state (in registration order) then alive's,
   * ready's and startup's, then each turn between healthy and unhealthy,
   * a probe's before the checks it turns. Listeners added later get the
   * changes from then on. The reports are emitted on the event loop, in
   * order, a few milliseconds after hams saw them.
   */
  _listen() {
    const ptr = this._handle();
    const id = nextListenId++;
    changeTargets.set(id, this);
    try {
      callWorker({ op: 'listen', h: koffi.address(ptr), id }, 'hams_on_change');
    } catch (e) {
      changeTargets.delete(id);
      throw e;
    }
    this._listenId = id;
  }

  _changed(name, healthy, reason) {
    if (this._ptr === null) return;
    // hams reports its built-in 'shutdown' when the sequence starts (also
    // for a signal it handled, and when ready was failing already).
    if ((name === 'shutdown' || (name === 'ready' && reason.startsWith('shutdown:'))) && !healthy) {
      this._markShuttingDown();
    }
    this.emit('change', name, healthy, reason);
  }

  _addProbe(name, ptr, Klass = Probe, ...extra) {
    const p = new Klass(this, ptr, name, ...extra);
    this._probes.set(name, p);
    return p;
  }

  /** A probe the application sets; options.checks (default ['ready']), options.healthy (default false). */
  probeManual(name, { checks, healthy = false } = {}) {
    const ptr = C.probeManual(this._handle(), cstr(name, 'name'), checksBits(checks, READY), Boolean(healthy));
    if (ptr === null) throw lastError('hams_probe_new_manual');
    return this._addProbe(name, ptr);
  }

  /** A probe healthy while kicked within options.marginMs; options.checks (default ['alive']). */
  probeKick(name, { checks, marginMs } = {}) {
    if (!Number.isInteger(marginMs) || marginMs < 0) throw new TypeError('marginMs must be a non-negative integer');
    const ptr = C.probeKick(this._handle(), cstr(name, 'name'), checksBits(checks, ALIVE), marginMs);
    if (ptr === null) throw lastError('hams_probe_new_kick');
    return this._addProbe(name, ptr);
  }

  /**
   * A probe whose health is fn()'s result (see CheckProbe), failing with
   * "not checked yet" until the first run completes. options: intervalMs
   * (default 5000), timeoutMs (default 1000), checks (default ['ready']).
   */
  check(name, fn, { intervalMs = 5000, timeoutMs = 1000, checks } = {}) {
    if (typeof fn !== 'function') throw new TypeError('fn must be a function');
    for (const [k, v] of [['intervalMs', intervalMs], ['timeoutMs', timeoutMs]]) {
      if (!Number.isInteger(v) || v <= 0) throw new HamsError(`${k} must be a positive integer, got ${v}`, -2, null);
    }
    const ptr = C.probeManual(this._handle(), cstr(name, 'name'), checksBits(checks, READY), false);
    if (ptr === null) throw lastError('hams_probe_new_manual');
    C.probeSet(ptr, false, 'not checked yet');
    const p = this._addProbe(name, ptr, CheckProbe, fn, intervalMs, timeoutMs);
    p._schedule(0);
    return p;
  }

  /**
   * The probe named `name` (declared in the configuration, or created here),
   * the same object each time; null when there is none.
   */
  probe(name) {
    const known = this._probes.get(name);
    if (known) return known;
    const ptr = C.probeGet(this._handle(), cstr(name, 'name'));
    if (ptr === null) return null;
    return this._addProbe(name, ptr);
  }

  _metric(Klass, kind, ptr, name, call) {
    if (ptr === null) throw lastError(call);
    const m = new Klass(this, ptr, name, kind);
    this._metrics.add(m);
    return m;
  }

  _vec(Klass, kind, ptr, name, labelNames, Child, call) {
    if (ptr === null) throw lastError(call);
    const v = new Klass(this, ptr, name, kind, labelNames, Child);
    this._metrics.add(v);
    return v;
  }

  /**
   * A counter (name ending in _total): counter(name, help, labels?) with
   * labels {name: value} or [name, value, ...] (one fixed series), or
   * prom-client's counter({name, help, labelNames}): with labelNames a
   * CounterVec whose labels(...) gives the series.
   */
  counter(...args) {
    const { name, help, labels = null, labelNames } = metricConfig(args, ['name', 'help', 'labels']);
    if (labelNames != null) {
      const names = labelNamesArray(labelNames, labels);
      const ptr = C.counterVecNew(this._handle(), cstr(name, 'name'), cstr(help, 'help'), [...names, null]);
      return this._vec(CounterVec, 'counter', ptr, name, names, Counter, 'hams_counter_vec_new');
    }
    const ptr = C.counterNew(this._handle(), cstr(name, 'name'), cstr(help, 'help'), labelArray(labels));
    return this._metric(Counter, 'counter', ptr, name, 'hams_counter_new');
  }

  /** A gauge: gauge(name, help, labels?) or gauge({name, help, labels | labelNames}). */
  gauge(...args) {
    const { name, help, labels = null, labelNames } = metricConfig(args, ['name', 'help', 'labels']);
    if (labelNames != null) {
      const names = labelNamesArray(labelNames, labels);
      const ptr = C.gaugeVecNew(this._handle(), cstr(name, 'name'), cstr(help, 'help'), [...names, null]);
      return this._vec(GaugeVec, 'gauge', ptr, name, names, Gauge, 'hams_gauge_vec_new');
    }
    const ptr = C.gaugeNew(this._handle(), cstr(name, 'name'), cstr(help, 'help'), labelArray(labels));
    return this._metric(Gauge, 'gauge', ptr, name, 'hams_gauge_new');
  }

  /**
   * A histogram: histogram(name, help, buckets?, labels?) or
   * histogram({name, help, buckets, labels | labelNames}). buckets are upper
   * bounds (finite, strictly increasing; +Inf implied); omitted, Prometheus'
   * defaults (0.005 to 10). {native: true, bucketFactor, maxBuckets} makes a
   * native histogram instead (sparse exponential buckets, in the protobuf
   * exposition): each bucket at most bucketFactor (> 1, default 1.1) times
   * as wide as the one below, at most maxBuckets of them (0, the default: no cap).
   */
  histogram(...args) {
    const cfg = metricConfig(args, ['name', 'help', 'buckets', 'labels']);
    const { name, help, buckets, labels = null, labelNames, native = false } = cfg;
    const names = labelNames == null ? null : labelNamesArray(labelNames, labels);
    const n = cstr(name, 'name');
    const hp = cstr(help, 'help');
    if (native) {
      if (buckets != null) throw new HamsError('a native histogram has no bucket bounds: give bucketFactor', -2, null);
      if (labels != null) throw new HamsError('a native histogram takes labelNames, not fixed labels', -2, null);
      const { bucketFactor = 1.1, maxBuckets = 0 } = cfg;
      if (typeof bucketFactor !== 'number') throw new TypeError('bucketFactor must be a number');
      if (!Number.isInteger(maxBuckets) || maxBuckets < 0 || maxBuckets > 0xffffffff) {
        throw new HamsError(`maxBuckets must be an integer from 0 (no cap) to 2^32-1, got ${maxBuckets}`, -2, null);
      }
      if (names === null) {
        const ptr = C.histogramNativeNew(this._handle(), n, hp, bucketFactor, maxBuckets);
        return this._metric(Histogram, 'histogram', ptr, name, 'hams_histogram_native_new');
      }
      const ptr = C.histogramNativeVecNew(this._handle(), n, hp, bucketFactor, maxBuckets, [...names, null]);
      return this._vec(HistogramVec, 'histogram', ptr, name, names, Histogram, 'hams_histogram_native_vec_new');
    }
    const [b, count] = bucketArgs(buckets);
    if (names !== null) {
      const ptr = C.histogramVecNew(this._handle(), n, hp, b, count, [...names, null]);
      return this._vec(HistogramVec, 'histogram', ptr, name, names, Histogram, 'hams_histogram_vec_new');
    }
    const ptr = C.histogramNew(this._handle(), n, hp, b, count, labelArray(labels));
    return this._metric(Histogram, 'histogram', ptr, name, 'hams_histogram_new');
  }

  /**
   * Adds fn, run once on the JavaScript thread after the shutdown sequence
   * (drain and hams' own callbacks) is done, in the order added, before
   * wait() returns true and before the 'shutdown' event.
   */
  onShutdown(fn) {
    if (typeof fn !== 'function') throw new TypeError('fn must be a function');
    this._handle();
    this._shutdownFns.push(fn);
    if (this._poll === null && !this._shutdownRan) {
      this._poll = setInterval(() => {
        if (this._ptr === null) return this._stopPoll();
        let rc;
        try {
          rc = C.wait(this._ptr, 0);
        } catch (_) {
          rc = 0;
        }
        if (rc === 1) this._runShutdown();
      }, 50);
      this._poll.unref();
    }
    return this;
  }

  _stopPoll() {
    if (this._poll !== null) clearInterval(this._poll);
    this._poll = null;
  }

  _runShutdown() {
    if (this._shutdownRan) return;
    this._shutdownRan = true;
    this._stopPoll();
    this._markShuttingDown();
    for (const fn of this._shutdownFns) {
      try {
        fn();
      } catch (e) {
        process.emitWarning(`hams: shutdown callback threw: ${errorText(e)}`);
      }
    }
    this.emit('shutdown');
  }

  /**
   * Starts the shutdown sequence: readiness fails at once. Harmless when
   * repeated. The onShutdown poll then keeps the event loop alive until the
   * callbacks ran (it does not before: hams alone never keeps Node running).
   */
  shutdown() {
    check(C.shutdown(this._handle()), 'hams_shutdown');
    // Once asked to stop, keep the event loop alive until the callbacks ran.
    if (this._poll !== null) this._poll.ref();
    this._markShuttingDown();
    return this;
  }

  /**
   * Blocks up to timeoutMs (-1: without limit, 0: only looks) for the
   * shutdown sequence to be done; true when it is (the onShutdown callbacks
   * have then run). Blocking stops the event loop: poll with short waits.
   */
  wait(timeoutMs = -1) {
    const rc = check(C.wait(this._handle(), timeoutMs), 'hams_wait');
    if (rc === 1) {
      this._runShutdown();
      return true;
    }
    return false;
  }

  /**
   * Lets hams handle SIGTERM and SIGINT (true) or restores the previous
   * handlers. hams chains to the handler installed before it; Node installs
   * one-shot handlers (SA_RESETHAND) that re-raise the signal to end the
   * process, which would loop, so those are first reset to the default (see
   * README). Handlers of process.on('SIGTERM') registered before this call
   * still run; ones registered after it replace hams' handler.
   */
  handleSignals(on = true) {
    if (on) dropOneShotSignalHandlers();
    check(C.handleSignals(this._handle(), Boolean(on)), 'hams_handle_signals');
    return this;
  }

  /** Stops and frees the server and its probes and metrics. Idempotent. */
  close() {
    if (this._ptr === null) return;
    this._stopPoll();
    for (const p of this._probes.values()) p._stop();
    const ptr = this._ptr;
    this._ptr = null;
    // hams_free joins the listeners' thread, which at worst waits for the
    // callback worker (never for this thread): no deadlock.
    C.free(ptr);
    changeTargets.delete(this._listenId);
    for (const p of this._probes.values()) p._ptr = null;
    for (const m of this._metrics) {
      if (m instanceof MetricVec) m._invalidate();
      else m._ptr = null;
    }
    this._probes.clear();
    this._metrics.clear();
  }

  [Symbol.dispose]() {
    this.close();
  }
}
Hams._adopt = Symbol('adopt');
Hams.ALIVE = ALIVE;
Hams.READY = READY;
Hams.STARTUP = STARTUP;
Hams.AGG_PER_WORKER = AGG_PER_WORKER;
Hams.AGG_SUM = AGG_SUM;
Hams.AGG_MAX = AGG_MAX;
Hams.AGG_MIN = AGG_MIN;

// ---------------------------------------------------------------------------
// The callback worker
//
// hams calls the log and status-listener callbacks on its own threads, and
// koffi runs such a call on the event loop of the thread that registered
// the callback while the hams thread waits. Were that the main thread, a
// call of it that waits for such a hams thread (hams_free joins the
// listeners' thread, hams_set_logger waits for records being delivered)
// would deadlock. So a worker thread, never blocked in a hams call,
// registers them and posts what it receives to the main thread. It is
// unref'd: it never keeps the process alive, and lives as long as it does
// (a hams thread may call it until hams_free).

let worker = null;
let workerError = null;
let nextListenId = 1;
/** The Hams of each listener id, until it is closed. */
const changeTargets = new Map();
const ERROR_BYTES = 1024;

/** Has the worker do `request` (installing a callback), blocking until it did; throws on failure. */
function callWorker(request, call) {
  if (worker === null) startWorker();
  // [done (1 ok, 2 failed), rc, error text length], then the error text.
  const shared = new SharedArrayBuffer(12 + ERROR_BYTES);
  const state = new Int32Array(shared, 0, 3);
  worker.postMessage({ ...request, shared });
  Atomics.wait(state, 0, 0, 10000);
  if (Atomics.load(state, 0) === 1) return;
  const code = Atomics.load(state, 1) || null;
  const length = Atomics.load(state, 2);
  const text = length > 0 ? Buffer.from(new Uint8Array(shared, 12, length)).toString() : null;
  const why = text || workerError || (code ? CODES[code] : 'the callback worker did not answer');
  throw new HamsError(`${call} failed: ${why}`, code, call);
}

function startWorker() {
  const { Worker } = require('node:worker_threads');
  // Handles and ids pass as integers (uintptr_t): a koffi pointer cannot be posted between threads.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const koffi = require(workerData.koffi);
    const lib = koffi.load(workerData.lib);
    const lastError = lib.func('const char *hams_last_error(void)');
    let setLogger = null;
    let logCb = null;
    let onChange = null;
    let changeCb = null;
    function logger(level) {
      if (setLogger === null) {
        const LogFn = koffi.proto('void hams_log_fn(void *user, int level, const char *target, const char *message)');
        setLogger = lib.func('int hams_set_logger(hams_log_fn *cb, void *user, int max_level)');
        logCb = koffi.register((user, lvl, target, message) => {
          parentPort.postMessage(['log', lvl, target, message]);
        }, koffi.pointer(LogFn));
      }
      return setLogger(logCb, null, level);
    }
    function listen(h, id) {
      if (onChange === null) {
        const ChangeFn = koffi.proto('void hams_change_fn(uintptr_t user, const char *name, bool healthy, const char *reason)');
        onChange = lib.func('int hams_on_change(uintptr_t h, hams_change_fn *cb, uintptr_t user)');
        changeCb = koffi.register((user, name, healthy, reason) => {
          parentPort.postMessage(['change', Number(user), name, healthy, reason]);
        }, koffi.pointer(ChangeFn));
      }
      return onChange(h, changeCb, id);
    }
    parentPort.on('message', (m) => {
      const state = new Int32Array(m.shared, 0, 3);
      let rc;
      let text = '';
      try {
        rc = m.op === 'logger' ? logger(m.level) : listen(m.h, m.id);
        if (rc !== 0) text = lastError() || '';
      } catch (e) {
        rc = -3; // HAMS_ERR_STATE: this libhams lacks the function
        text = e.message;
      }
      const bytes = Buffer.from(text).subarray(0, ${ERROR_BYTES});
      new Uint8Array(m.shared, 12, bytes.length).set(bytes);
      state[2] = bytes.length;
      state[1] = rc;
      Atomics.store(state, 0, rc === 0 ? 1 : 2);
      Atomics.notify(state, 0);
    });
  `;
  worker = new Worker(source, {
    eval: true,
    workerData: { koffi: require.resolve('koffi'), lib: libraryPath },
  });
  worker.on('message', (m) => {
    if (m[0] === 'log') {
      deliverLog(m[1], m[2], m[3]);
    } else if (m[0] === 'change') {
      const h = changeTargets.get(m[1]);
      if (h) h._changed(m[2], m[3], m[4]);
    }
  });
  worker.on('error', (e) => {
    workerError = errorText(e);
  });
  worker.unref();
  // The worker ends with the process, after 'exit': a listeners' thread
  // calling it then would abort the process. Closing each listening Hams
  // first joins those threads while the worker still answers.
  process.once('exit', () => {
    for (const h of [...changeTargets.values()]) h.close();
  });
}

// ---------------------------------------------------------------------------
// Logging

const LEVELS = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
const LEVEL_NAMES = ['off', 'error', 'warn', 'info', 'debug', 'trace'];
let logFn = null;
let logInstalled = false;

function consoleLog(level, target, message) {
  const line = `hams: ${LEVEL_NAMES[level]}: ${target}: ${message}`;
  if (level <= 1) console.error(line);
  else if (level === 2) console.warn(line);
  else if (level === 3) console.info(line);
  else console.debug(line);
}

function deliverLog(level, target, message) {
  if (!logFn) return;
  try {
    logFn(level, target, message);
  } catch (e) {
    process.emitWarning(`hams: log callback threw: ${errorText(e)}`);
  }
}

/**
 * Routes hams' log records (process-wide) up to `level` ('error', 'warn',
 * 'info', 'debug', 'trace' or 0..5) to fn(level, target, message), with
 * level a number 1 (error) .. 5 (trace) and levelName its name; fn
 * 'console' writes them with console.error/warn/info/debug; fn null restores
 * hams' default (warnings and errors on stderr). Records are delivered
 * asynchronously on the event loop. Blocks until the logger is installed.
 */
function setLogger(fn, level = 'warn') {
  const max = typeof level === 'number' ? level : LEVELS[level];
  if (!Number.isInteger(max) || max < 0 || max > 5) throw new HamsError(`bad log level ${level}`, -2, null);
  if (fn === 'console') fn = consoleLog;
  if (fn != null && typeof fn !== 'function') throw new TypeError("fn must be a function, 'console' or null");
  if (fn == null) {
    check(C.setLoggerOff(null, null, max), 'hams_set_logger');
    logFn = null;
    return;
  }
  logFn = fn;
  callWorker({ op: 'logger', level: max }, 'hams_set_logger');
  if (!logInstalled) {
    logInstalled = true;
    // Before the worker goes away with the process, hand logging back to
    // stderr: hams_set_logger waits for records being delivered, which the
    // still running worker completes.
    process.once('exit', () => {
      try {
        C.setLoggerOff(null, null, 2);
      } catch (_) {
        /* nothing to do at exit */
      }
    });
  }
}

// ---------------------------------------------------------------------------

Hams.setLogger = setLogger;
Hams.HamsError = HamsError;

module.exports = {
  Hams,
  HamsError,
  Probe,
  CheckProbe,
  Metric,
  Counter,
  Gauge,
  Histogram,
  MetricVec,
  CounterVec,
  GaugeVec,
  HistogramVec,
  linearBuckets,
  exponentialBuckets,
  ALIVE,
  READY,
  STARTUP,
  AGG_PER_WORKER,
  AGG_SUM,
  AGG_MAX,
  AGG_MIN,
  attach: () => Hams.attach(),
  setLogger,
  libraryVersion: C.version(),
};

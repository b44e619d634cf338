// Types of the `hams` package (hand-written; hams.js is the implementation).
// Self-contained: no @types/node needed to type-check a program using it.

/** A check a probe takes part in: a name, an array of names, or an OR of ALIVE, READY, STARTUP. */
export type CheckName = 'alive' | 'ready' | 'startup';
export type Checks = CheckName | readonly (CheckName | number)[] | number;

/** Fixed labels of one series: {name: value}, a Map, or [name, value, ...]. */
export type Labels = Readonly<Record<string, string | number>> | ReadonlyMap<string, string | number> | readonly (string | number)[];

/** A vector's label values: {name: value} or the values in labelNames' order. */
export type LabelValue = string | number | boolean | bigint;
export type LabelValues<N extends string = string> = Readonly<Record<N, LabelValue>>;

/**
 * An exemplar's labels, e.g. {trace_id: '4bf92f3577b34da6a3ce929d0e0e4736'}: at most 128
 * characters in all names and values (OpenMetrics); {} is an exemplar without labels.
 */
export type Exemplar = Labels;

export type HamsErrorCode =
  | 'HAMS_OK'
  | 'HAMS_ERR_NULL'
  | 'HAMS_ERR_INVALID'
  | 'HAMS_ERR_STATE'
  | 'HAMS_ERR_IO'
  | 'HAMS_ERR_CONFIG'
  | 'HAMS_ERR_PANIC';

/** A failed hams call: message is hams_last_error()'s text. */
export class HamsError extends Error {
  constructor(message: string, code?: number | null, call?: string | null);
  readonly name: 'HamsError';
  /** The negative HAMS_ERR_* number the C function returned, or null (functions returning a pointer). */
  readonly code: number | null;
  readonly codeName: HamsErrorCode | string | null;
  /** The C function that failed, e.g. "hams_start"; null for checks done in JavaScript. */
  readonly call: string | null;
}

/** A check function's result: healthy, [healthy, reason], {healthy, reason}, or a Promise of one. */
export type CheckResult = boolean | [boolean, string?] | { healthy: boolean; reason?: string | null };
export type CheckFn = () => CheckResult | PromiseLike<CheckResult>;

/** A probe, owned by its Hams: invalid once freed or once the Hams is closed. */
export class Probe {
  protected constructor();
  readonly name: string;
  /** Sets a manual probe: healthy, or unhealthy with a reason. */
  set(healthy: boolean, reason?: string | null): this;
  /** Kicks a kick probe: healthy for its margin from now. */
  kick(): this;
  /**
   * A manual or check() probe turns unhealthy only after `failures` failed
   * results in a row, healthy again only after `successes` good ones (>= 1;
   * default 1). A kick probe throws HamsError (HAMS_ERR_INVALID).
   */
  setThresholds(failures: number, successes?: number): this;
  /** Unregisters and frees the probe. */
  free(): void;
}

/** A probe whose health is a JavaScript function's result, run on a timer. */
export class CheckProbe extends Probe {
  /** How many times the function ran. */
  readonly runs: number;
}

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A counter, gauge or histogram series, owned by its Hams. */
export class Metric {
  protected constructor();
  readonly name: string;
  readonly kind: MetricKind;
  /** Removes the series from the exposition (a vector's child: from its vector). */
  free(): void;
}

export class Counter extends Metric {
  readonly kind: 'counter';
  /**
   * Adds n (finite, >= 0; default 1). With an exemplar, it becomes the counter's latest
   * exemplar (OpenMetrics exposition); a bad exemplar throws HamsError and counts nothing.
   */
  inc(n?: number, exemplar?: Exemplar | null): this;
}

export class Gauge extends Metric {
  readonly kind: 'gauge';
  /** Workers mode: how the primary aggregates this gauge over workers; before the first update. */
  setAggregation(how: Aggregation): this;
  set(value: number): this;
  add(delta: number): this;
}

export class Histogram extends Metric {
  readonly kind: 'histogram';
  /** Observes value; with an exemplar, the latest exemplar of the bucket value falls in. */
  observe(value: number, exemplar?: Exemplar | null): this;
}

/** A metric family with label names; labels(...) gives (and caches) its series. */
export class MetricVec<M extends Metric = Metric, N extends string = string> {
  protected constructor();
  readonly name: string;
  readonly kind: MetricKind;
  readonly labelNames: readonly N[];
  /** The series of these label values, made on first use. */
  labels(values: LabelValues<N>): M;
  labels(...values: LabelValue[]): M;
  /** Removes the series of these label values. */
  remove(values: LabelValues<N>): this;
  remove(...values: LabelValue[]): this;
  /** Removes every series made through this object. */
  reset(): this;
  /** Removes the family with its series. */
  free(): void;
}

export class CounterVec<N extends string = string> extends MetricVec<Counter, N> {
  inc(labels: LabelValues<N>, n?: number, exemplar?: Exemplar | null): this;
}

export class GaugeVec<N extends string = string> extends MetricVec<Gauge, N> {
  /** Workers mode: how the primary aggregates every series over workers; before the first update. */
  setAggregation(how: Aggregation): this;
  set(labels: LabelValues<N>, value: number): this;
  add(labels: LabelValues<N>, delta: number): this;
}

export class HistogramVec<N extends string = string> extends MetricVec<Histogram, N> {
  observe(labels: LabelValues<N>, value: number, exemplar?: Exemplar | null): this;
}

/** prom-client's metric configuration: labels (one fixed series) or labelNames (a vector). */
export interface MetricConfig {
  name: string;
  help: string;
  labels?: Labels | null;
}
export interface VecConfig<N extends string> {
  name: string;
  help: string;
  labelNames: readonly N[];
}
export interface HistogramConfig extends MetricConfig {
  /** Upper bounds, finite and strictly increasing (+Inf implied); omitted: Prometheus' defaults. */
  buckets?: readonly number[] | Float64Array | null;
  native?: false;
}
export interface HistogramVecConfig<N extends string> extends VecConfig<N> {
  buckets?: readonly number[] | Float64Array | null;
  native?: false;
}
/** A native (sparse exponential) histogram, exposed in the protobuf format. */
export interface NativeHistogramConfig {
  name: string;
  help: string;
  native: true;
  /** Each bucket at most this many times as wide as the one below (> 1; default 1.1). */
  bucketFactor?: number;
  /** At most this many buckets (0, the default: no cap). */
  maxBuckets?: number;
}
export interface NativeHistogramVecConfig<N extends string> extends NativeHistogramConfig {
  labelNames: readonly N[];
}

export interface HamsOptions {
  /** "IP:PORT" (default "0.0.0.0:8079"; port 0 picks a free one). */
  address?: string;
  /** The primary of worker processes (see Hams.setWorkers). */
  workers?: boolean;
}

/**
 * Workers mode: how the primary shows a gauge of many worker processes:
 * one series per worker with a label pid (the default), or their sum, max or min.
 */
export type Aggregation = 'perWorker' | 'per_worker' | 'sum' | 'max' | 'min' | 0 | 1 | 2 | 3;

export type LogLevelName = 'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** level: 1 (error) .. 5 (trace). */
export type LogFn = (level: number, target: string, message: string) => void;

/**
 * Routes hams' log records (process-wide) up to `level` to fn, delivered
 * asynchronously on the event loop; 'console' writes them with console.*;
 * null restores hams' default (warnings and errors on stderr).
 */
export function setLogger(fn: LogFn | 'console' | null, level?: LogLevelName | 0 | 1 | 2 | 3 | 4 | 5): void;

/** count (1 to 1024) bounds: start, start + width, ... */
export function linearBuckets(start: number, width: number, count: number): number[];
/** count (1 to 1024) bounds: start, start * factor, ... */
export function exponentialBuckets(start: number, factor: number, count: number): number[];

export const ALIVE: 1;
export const READY: 2;
export const STARTUP: 4;
export const AGG_PER_WORKER: 0;
export const AGG_SUM: 1;
export const AGG_MAX: 2;
export const AGG_MIN: 3;
/** In a worker process: Hams.attach(). */
export function attach(): Hams;
/** libhams' version, e.g. "0.1.0". */
export const libraryVersion: string;

/**
 * A status listener: `name` is a check ('alive', 'ready', 'startup') or a
 * probe; `reason` is '' when healthy (for a check: its first failing entry,
 * e.g. 'probe db: connection refused' or 'shutdown: shutting down').
 */
export type ChangeListener = (name: string, healthy: boolean, reason: string) => void;

/**
 * One health server (a hams_t). Events: 'change' (a check or probe turned
 * healthy or unhealthy; the first listener makes hams report every current
 * state first), 'shuttingDown' (the shutdown sequence started), 'shutdown'
 * (the shutdown sequence is done).
 */
export class Hams {
  /** A stopped server for service `name` at `version`. */
  constructor(name: string, version: string, options?: HamsOptions);
  /** A server from YAML configuration text (HAMS_* variables override it). */
  static fromYaml(text: string): Hams;
  /** A server from a YAML configuration file. */
  static fromFile(path: string): Hams;
  /**
   * In a worker process (e.g. a cluster worker): joins the primary's server
   * named by $HAMS_WORKERS. Its probes and metrics show in the primary's
   * endpoints; start, stop, shutdown and wait throw. Throws HamsError outside
   * workers mode (code HAMS_ERR_STATE, the message naming HAMS_WORKERS).
   */
  static attach(): Hams;
  static readonly AGG_PER_WORKER: 0;
  static readonly AGG_SUM: 1;
  static readonly AGG_MAX: 2;
  static readonly AGG_MIN: 3;
  static readonly libraryVersion: string;
  /** Where the library was loaded from (a name, or the HAMS_LIBRARY path). */
  static readonly libraryPath: string;
  static readonly ALIVE: 1;
  static readonly READY: 2;
  static readonly STARTUP: 4;
  static readonly HamsError: typeof HamsError;
  static setLogger: typeof setLogger;

  readonly closed: boolean;
  /** The bound port; throws HamsError (HAMS_ERR_STATE) when not started. */
  readonly port: number;
  /** Whether the shutdown sequence has started (shutdown(), or a signal hams handled, seen by 'change'). */
  readonly shuttingDown: boolean;
  /** Whether the check passes now, as /hams/<check> answers. */
  checkState(check: CheckName | 1 | 2 | 4): boolean;

  setAddress(hostPort: string): this;
  /**
   * Workers mode: this server becomes the primary of worker processes, which
   * join it with attach(). Before start() and before any probe or metric.
   */
  setWorkers(on?: boolean): this;
  /**
   * Names the runtime and library in /hams/version and hams_build_info
   * (default: "Node.js vX.Y.Z", "hams-node", the package's version). Only while stopped.
   */
  setRuntime(runtime: string, library: string, libraryVersion: string): this;
  /** Binds (a port in use throws) and serves on a hams thread. */
  start(): this;
  stop(): this;
  /** Stops and frees the server and its probes and metrics. Idempotent. */
  close(): void;

  probeManual(name: string, options?: { checks?: Checks; healthy?: boolean }): Probe;
  probeKick(name: string, options: { checks?: Checks; marginMs: number }): Probe;
  check(name: string, fn: CheckFn, options?: { intervalMs?: number; timeoutMs?: number; checks?: Checks }): CheckProbe;
  /** The probe named `name` (e.g. declared in YAML), or null. */
  probe(name: string): Probe | null;

  counter<N extends string>(config: VecConfig<N>): CounterVec<N>;
  counter(config: MetricConfig): Counter;
  counter<N extends string>(name: string, help: string, options: { labelNames: readonly N[] }): CounterVec<N>;
  counter(name: string, help: string, labels?: Labels | null): Counter;

  gauge<N extends string>(config: VecConfig<N>): GaugeVec<N>;
  gauge(config: MetricConfig): Gauge;
  gauge<N extends string>(name: string, help: string, options: { labelNames: readonly N[] }): GaugeVec<N>;
  gauge(name: string, help: string, labels?: Labels | null): Gauge;

  histogram<N extends string>(config: NativeHistogramVecConfig<N>): HistogramVec<N>;
  histogram(config: NativeHistogramConfig): Histogram;
  histogram<N extends string>(config: HistogramVecConfig<N>): HistogramVec<N>;
  histogram(config: HistogramConfig): Histogram;
  histogram<N extends string>(
    name: string,
    help: string,
    buckets: readonly number[] | Float64Array | null | undefined,
    options: { labelNames: readonly N[] },
  ): HistogramVec<N>;
  histogram(name: string, help: string, buckets?: readonly number[] | Float64Array | null, labels?: Labels | null): Histogram;

  /** fn runs on the JavaScript thread once the shutdown sequence (drain) is done. */
  onShutdown(fn: () => void): this;
  /** Starts the shutdown sequence: readiness fails at once. */
  shutdown(): this;
  /** Waits up to timeoutMs (-1: no limit, 0: only looks) for the shutdown sequence; true when done. */
  wait(timeoutMs?: number): boolean;
  /** Lets hams handle SIGTERM and SIGINT (true), or restores the previous handlers. */
  handleSignals(on?: boolean): this;

  on(event: 'change', listener: ChangeListener): this;
  on(event: 'shutdown' | 'shuttingDown', listener: () => void): this;
  once(event: 'change', listener: ChangeListener): this;
  once(event: 'shutdown' | 'shuttingDown', listener: () => void): this;
  off(event: 'change', listener: ChangeListener): this;
  off(event: 'shutdown' | 'shuttingDown', listener: () => void): this;
  removeListener(event: 'change', listener: ChangeListener): this;
  removeListener(event: 'shutdown' | 'shuttingDown', listener: () => void): this;
  emit(event: 'change', name: string, healthy: boolean, reason: string): boolean;
  emit(event: 'shutdown' | 'shuttingDown'): boolean;
}

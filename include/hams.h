/*
 * hams.h: the C API of libhams, the Health and Monitoring System.
 *
 * Generated from the Rust sources by cbindgen; do not edit by hand.
 * Regenerate with: HAMS_BLESS=1 cargo test --test header
 *
 * All functions are thread-safe. Functions returning int return HAMS_OK (0)
 * on success and a negative HAMS_ERR_* code on failure; functions returning
 * a pointer return NULL on failure. After a failure, hams_last_error()
 * describes it. See hams(3).
 */

#ifndef HAMS_H
#define HAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The probe takes part in the liveness check (`/hams/alive`).
 */
#define HAMS_ALIVE 1

/**
 * The probe takes part in the readiness check (`/hams/ready`).
 */
#define HAMS_READY 2

/**
 * The probe takes part in the startup check (`/hams/startup`).
 */
#define HAMS_STARTUP 4

/**
 * Gauges: one series per process of the tree, with a label `pid` (the default).
 */
#define HAMS_AGG_PER_WORKER 0

/**
 * Gauges: the sum over the live processes of the tree.
 */
#define HAMS_AGG_SUM 1

/**
 * Gauges: the largest value of the live processes.
 */
#define HAMS_AGG_MAX 2

/**
 * Gauges: the smallest value of the live processes.
 */
#define HAMS_AGG_MIN 3

/**
 * What every int-returning function returns: HAMS_OK (0) on success, a
 * negative code on failure, with hams_last_error() saying why.
 */
enum hams_result {
  /**
   * Success.
   */
  HAMS_OK = 0,
  /**
   * A required pointer argument was NULL.
   */
  HAMS_ERR_NULL = -1,
  /**
   * An argument is invalid: bad UTF-8, bad name, bad address, bad checks bits.
   */
  HAMS_ERR_INVALID = -2,
  /**
   * The call is not allowed in the current state (start twice, port before start).
   */
  HAMS_ERR_STATE = -3,
  /**
   * The operating system refused (bind failed: port in use, no permission).
   */
  HAMS_ERR_IO = -4,
  /**
   * A configuration could not be applied.
   */
  HAMS_ERR_CONFIG = -5,
  /**
   * An internal error (a panic) was caught; the library remains usable.
   */
  HAMS_ERR_PANIC = -6,
};

/**
 * One health server (opaque). Create with hams_new(), free with hams_free().
 */
struct hams;

/**
 * One application metric (opaque), owned by the hams_t it was created on.
 */
struct hams_metric;

/**
 * The text buffer a metrics callback appends to (opaque).
 */
struct hams_metrics_buffer;

/**
 * One probe (opaque), owned by the hams_t it was created on.
 */
struct hams_probe;

/**
 * A metric family with run-time label values (opaque), owned by the hams_t
 * it was created on; it owns the hams_metric_t of its series.
 */
struct hams_vec;

/**
 * The type applications name: `hams_t *h = hams_new(...)`.
 */
typedef struct hams hams_t;

/**
 * A shutdown callback: called once, on a hams thread, after the drain.
 */
typedef void (*hams_shutdown_fn)(void *user);

/**
 * A status listener: `name` is a check ("alive", "ready", "startup") or a
 * probe; `reason` is "" when healthy. Both strings are valid only during
 * the call.
 */
typedef void (*hams_change_fn)(void *user, const char *name, bool healthy, const char *reason);

/**
 * Receives one log record: `level` 1 error .. 5 trace, `target` the module
 * (e.g. "hams::server"), `message` the text. Called from any hams thread.
 */
typedef void (*hams_log_fn)(void *user, int level, const char *target, const char *message);

/**
 * The type applications name: `hams_metric_t *m = hams_counter_new(...)`.
 */
typedef struct hams_metric hams_metric_t;

/**
 * The type applications name in a metrics callback.
 */
typedef struct hams_metrics_buffer hams_metrics_buffer_t;

/**
 * Produces exposition text for a scrape by calling hams_metrics_append().
 */
typedef void (*hams_metrics_fn)(void *user, hams_metrics_buffer_t *out);

/**
 * The type applications name: `hams_probe_t *p = hams_probe_new_manual(...)`.
 */
typedef struct hams_probe hams_probe_t;

/**
 * A check callback: returns true when healthy. It may write a NUL-terminated
 * reason of at most `reason_len` bytes (including the NUL) into `reason`.
 */
typedef bool (*hams_check_fn)(void *user, char *reason, size_t reason_len);

/**
 * The type applications name: `hams_vec_t *v = hams_counter_vec_new(...)`.
 */
typedef struct hams_vec hams_vec_t;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's version, e.g. "0.1.0". The string is static.
 */
const char *hams_version(void);

/**
 * The message of this thread's last failed hams call, or "" if none has
 * failed. Valid until the next failing call on this thread; never NULL.
 */
const char *hams_last_error(void);

/**
 * The HAMS_ERR_* code of this thread's last failed hams call (HAMS_OK if
 * none has failed): the code behind a NULL returned by a constructor.
 */
int hams_last_error_code(void);

/**
 * Creates a stopped health server for the service `service_name` at
 * `service_version` (both non-empty UTF-8 without control characters), with
 * the default address "0.0.0.0:8079". Returns NULL on error. Free it with
 * hams_free().
 */
hams_t *hams_new(const char *service_name, const char *service_version);

/**
 * Sets the address to listen on, "IP:PORT" ("[::1]:8079" for IPv6); port 0
 * picks a free port (see hams_port()). Only while stopped.
 */
int hams_set_address(hams_t *h, const char *host_port);

/**
 * Names the language runtime and binding that host hams, e.g. "CPython
 * 3.11.7", "hams-python", "0.2.0": `/hams/version` then carries them as
 * "runtime", "library" and "library_version", and `hams_build_info` as labels
 * of the same names. Each: non-empty UTF-8, no control characters, at most
 * 128 bytes (else HAMS_ERR_INVALID). Only while stopped (HAMS_ERR_STATE
 * once started). Bindings call it; a C program may.
 */
int hams_set_runtime(hams_t *h,
                     const char *runtime,
                     const char *library,
                     const char *library_version);

/**
 * Binds the address and serves on a background thread. Binding happens
 * before this returns: a port in use is HAMS_ERR_IO.
 */
int hams_start(hams_t *h);

/**
 * The bound port (> 0) while started; HAMS_ERR_STATE otherwise.
 */
int hams_port(const hams_t *h);

/**
 * Stops serving, closes the listener and connections, joins the server
 * thread. The server may be started again.
 */
int hams_stop(hams_t *h);

/**
 * Stops the server if running and frees it with all its probes (their
 * handles become invalid). Waits for callback checks in progress. NULL is
 * a no-op.
 */
void hams_free(hams_t *h);

/**
 * Creates a stopped health server from a YAML configuration file, then
 * environment overrides (HAMS_ADDRESS and the like; see hams_config(5)).
 * Probes the file declares are created and found with hams_probe_get().
 * Returns NULL on error: HAMS_ERR_CONFIG names the file, line, key and problem.
 */
hams_t *hams_new_from_file(const char *path);

/**
 * Like hams_new_from_file(), from YAML text in memory.
 */
hams_t *hams_new_from_yaml(const char *text);

/**
 * Adds `callback(user)` to run once when shutdown is requested, after the
 * drain time, on a hams thread. Callbacks run in the order added.
 */
int hams_on_shutdown(hams_t *h, hams_shutdown_fn callback, void *user);

/**
 * Starts the graceful shutdown sequence: readiness fails at once, and after
 * the drain time the shutdown callbacks run. Calling it again is harmless.
 */
int hams_shutdown(hams_t *h);

/**
 * Blocks until the shutdown sequence is done (the drain has passed and the
 * callbacks have run): returns 1, the application should now stop. Returns
 * 0 when `timeout_ms` passed first; -1 waits forever. Negative HAMS_ERR_*
 * codes on error.
 */
int hams_wait(hams_t *h, int64_t timeout_ms);

/**
 * 1 when `h` handles SIGTERM and SIGINT (see hams_handle_signals(); the
 * configuration can turn it on), 0 when not, a negative code on error.
 */
int hams_handles_signals(const hams_t *h);

/**
 * Makes hams handle SIGTERM and SIGINT (`on` true) or restores the previous
 * handlers (false). Off by default. One hams_t per process may handle them;
 * previous handlers are chained to. Signals are acted on while started.
 */
int hams_handle_signals(hams_t *h, bool on);

/**
 * Calls `fn(user, name, healthy, reason)` for each check and each probe
 * whose state changes, in the order of the changes, on a hams thread
 * (never the serving thread); first once with the current state of each.
 * Changes caused by time alone (a kick probe's margin passing, a callback
 * timing out) are delivered within 100 ms. A listener that is slow gets
 * the changes made meanwhile as the latest state per name, and a warning
 * in the log; it never delays the HTTP endpoints or the shutdown sequence.
 * A listener may call other hams functions. If it frees `h`, hams_free()
 * returns without waiting for it and it is not called again. Listeners
 * stay until hams_free().
 */
int hams_on_change(hams_t *h, hams_change_fn callback, void *user);

/**
 * Whether `check` (one of HAMS_ALIVE, HAMS_READY, HAMS_STARTUP) passes
 * now: 1 passes, 0 fails, a negative HAMS_ERR_* code on error.
 */
int hams_check_state(hams_t *h, unsigned int check);

/**
 * Routes hams' log records up to `max_level` (0 off, 1 error, 2 warn,
 * 3 info, 4 debug, 5 trace) to `callback(user, ...)`, process-wide. With
 * `callback` NULL, records go to stderr prefixed "hams: " (the default, at level 2).
 */
int hams_set_logger(hams_log_fn callback, void *user, int max_level);

/**
 * Creates a counter `name` (ending in `_total`) with `help` text. NULL on error.
 */
hams_metric_t *hams_counter_new(hams_t *h, const char *name, const char *help);

/**
 * Like hams_counter_new(), with a fixed label set: `labels` is NULL or a
 * NULL-terminated array of name, value pairs, e.g. {"queue", "mail", NULL}.
 * Series of one family share the name, help and label names.
 */
hams_metric_t *hams_counter_new_labeled(hams_t *h,
                                        const char *name,
                                        const char *help,
                                        const char *const *labels);

/**
 * Creates a gauge. NULL on error.
 */
hams_metric_t *hams_gauge_new(hams_t *h, const char *name, const char *help);

/**
 * Like hams_gauge_new(), with a fixed label set (see hams_counter_new_labeled()).
 */
hams_metric_t *hams_gauge_new_labeled(hams_t *h,
                                      const char *name,
                                      const char *help,
                                      const char *const *labels);

/**
 * Creates a histogram with `n` bucket upper bounds (finite, strictly
 * increasing; +Inf is implied); `buckets` NULL and `n` 0 for Prometheus'
 * defaults (0.005 to 10 seconds). NULL on error.
 */
hams_metric_t *hams_histogram_new(hams_t *h,
                                  const char *name,
                                  const char *help,
                                  const double *buckets,
                                  size_t n);

/**
 * Like hams_histogram_new(), with a fixed label set (see hams_counter_new_labeled()).
 */
hams_metric_t *hams_histogram_new_labeled(hams_t *h,
                                          const char *name,
                                          const char *help,
                                          const double *buckets,
                                          size_t n,
                                          const char *const *labels);

/**
 * Creates a native histogram (sparse exponential buckets, exposed in the
 * protobuf format; the text formats show its count and sum): each bucket
 * is at most `bucket_factor` (finite, > 1) times as wide as the one below;
 * `max_buckets` caps the bucket count by widening them (0: no cap). NULL
 * on error.
 */
hams_metric_t *hams_histogram_native_new(hams_t *h,
                                         const char *name,
                                         const char *help,
                                         double bucket_factor,
                                         uint32_t max_buckets);

/**
 * Adds `v` (finite, >= 0) to a counter. Lock-free; any thread.
 */
int hams_counter_add(hams_metric_t *m, double v);

/**
 * hams_counter_add(), and `labels` (NULL-terminated name, value pairs, at
 * most 128 UTF-8 characters in all; may be empty) become the counter's
 * exemplar, with `v` and the time: shown in OpenMetrics and protobuf
 * scrapes. On an error nothing is added.
 */
int hams_counter_add_exemplar(hams_metric_t *m, double v, const char *const *labels);

/**
 * Sets a gauge (NaN and infinities allowed). Lock-free; any thread.
 */
int hams_gauge_set(hams_metric_t *m, double v);

/**
 * Adds `v` (may be negative, not NaN) to a gauge. Lock-free; any thread.
 */
int hams_gauge_add(hams_metric_t *m, double v);

/**
 * Records one finite observation in a histogram, classic or native.
 * Lock-free for classic ones; any thread.
 */
int hams_histogram_observe(hams_metric_t *m, double v);

/**
 * hams_histogram_observe(), and `labels` (as for
 * hams_counter_add_exemplar()) become the exemplar of the bucket `v` falls
 * in. On an error nothing is recorded.
 */
int hams_histogram_observe_exemplar(hams_metric_t *m, double v, const char *const *labels);

/**
 * Removes a metric from the exposition and frees it. A vec's series are
 * refused: see hams_vec_remove().
 */
int hams_metric_free(hams_metric_t *m);

/**
 * Appends exposition text (Prometheus text format 0.0.4, no timestamps)
 * to the buffer of a running metrics callback.
 */
int hams_metrics_append(hams_metrics_buffer_t *out, const char *text);

/**
 * Installs `callback(user, out)`, run on a hams thread for each scrape of
 * /hams/metrics; what it appends is validated and served after hams' own
 * metrics. A run longer than the callback timeout (default 2 s) is served
 * without; invalid output is dropped. Both are counted in
 * hams_metrics_callback_failures_total. NULL `callback` removes it; this
 * waits for a run in progress.
 */
int hams_set_metrics_callback(hams_t *h, hams_metrics_fn callback, void *user);

/**
 * Writes `count` (1 to 1024) bounds into `out`: `start`, `start + width`,
 * ... (`width` > 0, every bound finite), as client_golang's LinearBuckets.
 * `out` is untouched on error.
 */
int hams_buckets_linear(double start, double width, size_t count, double *out);

/**
 * Writes `count` (1 to 1024) bounds into `out`: `start`, `start * factor`,
 * ... (`start` > 0, `factor` > 1, every bound finite), as client_golang's
 * ExponentialBuckets. `out` is untouched on error.
 */
int hams_buckets_exponential(double start, double factor, size_t count, double *out);

/**
 * Creates a probe that the application sets with hams_probe_set(),
 * initially `healthy`. `checks` is a non-zero OR of HAMS_ALIVE, HAMS_READY,
 * HAMS_STARTUP; `name` is 1-64 characters of [A-Za-z0-9_.-], unique in `h`.
 * Returns NULL on error.
 */
hams_probe_t *hams_probe_new_manual(hams_t *h, const char *name, unsigned int checks, bool healthy);

/**
 * Creates a probe that is healthy while less than `margin_ms` (> 0) has
 * passed since its last hams_probe_kick() or its creation, on a monotonic
 * clock. Returns NULL on error.
 */
hams_probe_t *hams_probe_new_kick(hams_t *h,
                                  const char *name,
                                  unsigned int checks,
                                  uint64_t margin_ms);

/**
 * Creates a probe whose health is the result of `callback(user, reason,
 * reason_len)`, run on a hams thread (never the serving thread): at once,
 * then `interval_ms` after each run ends. A run still going after
 * `timeout_ms` fails the probe ("check timed out after N ms") without
 * delaying responses or other probes. Before the first result the probe
 * fails ("not checked yet"). Returns NULL on error.
 */
hams_probe_t *hams_probe_new_callback(hams_t *h,
                                      const char *name,
                                      unsigned int checks,
                                      hams_check_fn callback,
                                      void *user,
                                      uint64_t interval_ms,
                                      uint64_t timeout_ms);

/**
 * Manual and callback probes: the probe's state turns only after
 * `failures` failed results in a row (to unhealthy) or `successes` good
 * ones (to healthy); defaults 1 and 1, each at least 1 (HAMS_ERR_INVALID
 * otherwise, and for kick probes). While failures stay below the
 * threshold the probe stays healthy; when it turns, its reason is the last
 * failure's.
 */
int hams_probe_set_thresholds(hams_probe_t *p, uint32_t failures, uint32_t successes);

/**
 * Sets a manual probe's health. `reason` (may be NULL) is shown while it is
 * unhealthy; control characters are replaced and it is cut to 256 bytes.
 */
int hams_probe_set(hams_probe_t *p, bool healthy, const char *reason);

/**
 * Kicks a kick probe: it is healthy for its margin from now.
 */
int hams_probe_kick(hams_probe_t *p);

/**
 * The probe named `name` of `h`: one declared in its configuration (see
 * hams_new_from_file()) or created through `h`. The handle stays owned by
 * `h`; calling this twice gives the same handle. NULL when there is none.
 */
hams_probe_t *hams_probe_get(hams_t *h, const char *name);

/**
 * Unregisters and frees a probe. For a callback probe it waits for a run in
 * progress (unless called from inside that run); the callback is never
 * called after this returns.
 */
int hams_probe_free(hams_probe_t *p);

/**
 * Creates a family of counters with the NULL-terminated `label_names`,
 * e.g. {"path", "code", NULL}; hams_vec_with() gives its series. `name`
 * must not be registered on `h` yet. NULL on error.
 */
hams_vec_t *hams_counter_vec_new(hams_t *h,
                                 const char *name,
                                 const char *help,
                                 const char *const *label_names);

/**
 * Like hams_counter_vec_new(), for gauges.
 */
hams_vec_t *hams_gauge_vec_new(hams_t *h,
                               const char *name,
                               const char *help,
                               const char *const *label_names);

/**
 * Like hams_counter_vec_new(), for histograms whose series all have these
 * `n` bucket bounds (see hams_histogram_new(); NULL and 0 for the defaults).
 */
hams_vec_t *hams_histogram_vec_new(hams_t *h,
                                   const char *name,
                                   const char *help,
                                   const double *buckets,
                                   size_t n,
                                   const char *const *label_names);

/**
 * Like hams_counter_vec_new(), for native histograms (see
 * hams_histogram_native_new()).
 */
hams_vec_t *hams_histogram_native_vec_new(hams_t *h,
                                          const char *name,
                                          const char *help,
                                          double bucket_factor,
                                          uint32_t max_buckets,
                                          const char *const *label_names);

/**
 * The series of `v` for the NULL-terminated `label_values`, one per label
 * name, made on first use. Every call with the same values gives the same
 * pointer, owned by `v` (hams_metric_free() refuses it). Once made, finding
 * it allocates nothing and takes only a shared lock. NULL on error.
 */
hams_metric_t *hams_vec_with(hams_vec_t *v, const char *const *label_values);

/**
 * Removes the series for `label_values` from the exposition and frees its
 * hams_metric_t (invalid afterwards). HAMS_ERR_INVALID if there is none.
 */
int hams_vec_remove(hams_vec_t *v, const char *const *label_values);

/**
 * Unregisters the family and frees `v` with its series' handles.
 */
int hams_vec_free(hams_vec_t *v);

/**
 * Workers mode (`enabled` true): this process becomes the parent of a tree
 * of worker processes and serves their metrics and probes with its own.
 * Before hams_start() and before any metric is registered on `h`
 * (HAMS_ERR_STATE otherwise). Makes the shared memory region and sets the
 * environment variable HAMS_WORKERS in this process for its children to
 * find it: call it before starting threads that read the environment.
 * Turning it off once on is HAMS_ERR_STATE; off while off is a no-op.
 */
int hams_set_workers(hams_t *h, bool enabled);

/**
 * In a worker process: joins the tree named by the environment variable
 * HAMS_WORKERS (set by an ancestor's hams_set_workers()). The handle
 * registers probes and metrics as usual and the tree's parent serves them;
 * hams_start(), hams_shutdown(), hams_wait() and the other serving calls
 * return HAMS_ERR_STATE on it. NULL on error (no tree: HAMS_ERR_STATE).
 * Free it with hams_free().
 */
hams_t *hams_attach(void);

/**
 * How the tree's parent shows the gauge `g`'s family: HAMS_AGG_PER_WORKER
 * (default), HAMS_AGG_SUM, HAMS_AGG_MAX or HAMS_AGG_MIN. Set it before the
 * first update. A process of the tree that sets another aggregation than
 * one already set for the family gets HAMS_ERR_INVALID; so does a metric
 * that is not a gauge. Without workers mode it is accepted and changes
 * nothing.
 */
int hams_gauge_set_aggregation(hams_metric_t *g, int how);

/**
 * Like hams_gauge_set_aggregation(), for a gauge vec's family.
 */
int hams_vec_set_aggregation(hams_vec_t *v, int how);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* HAMS_H */

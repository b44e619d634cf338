//! Raw declarations of the C API of libhams, as `include/hams.h` declares it,
//! for linking the installed `libhams.so.0` (found with pkg-config by the
//! build script). Every function is `unsafe`; the safe API over them is the
//! `hams-system` crate (`bindings/rust`). See hams(3) for what each does.
//!
//! The declarations are written out (no bindgen, which needs libclang);
//! `tests/header.rs` compares them with the header, name and signature.
//!
//! ```no_run
//! use std::ffi::CStr;
//! let version = unsafe { CStr::from_ptr(hams_sys::hams_version()) };
//! println!("libhams {}", version.to_string_lossy());
//! ```
#![allow(non_camel_case_types)]
#![no_std]

use core::marker::{PhantomData, PhantomPinned};
use libc::{c_char, c_int, c_uint, c_void, size_t};

/// The probe takes part in the liveness check (`/hams/alive`).
pub const HAMS_ALIVE: c_uint = 1;
/// The probe takes part in the readiness check (`/hams/ready`).
pub const HAMS_READY: c_uint = 2;
/// The probe takes part in the startup check (`/hams/startup`).
pub const HAMS_STARTUP: c_uint = 4;

/// Workers mode, gauges: one series per worker process, labelled `pid` (the default).
pub const HAMS_AGG_PER_WORKER: c_int = 0;
/// Workers mode, gauges: the sum over the live workers (and the parent).
pub const HAMS_AGG_SUM: c_int = 1;
/// Workers mode, gauges: the largest value of the live workers.
pub const HAMS_AGG_MAX: c_int = 2;
/// Workers mode, gauges: the smallest value of the live workers.
pub const HAMS_AGG_MIN: c_int = 3;

/// Success.
pub const HAMS_OK: c_int = 0;
/// A required pointer argument was NULL.
pub const HAMS_ERR_NULL: c_int = -1;
/// An argument is invalid: bad UTF-8, bad name, bad address, bad checks bits.
pub const HAMS_ERR_INVALID: c_int = -2;
/// The call is not allowed in the current state.
pub const HAMS_ERR_STATE: c_int = -3;
/// The operating system refused (bind failed: port in use, no permission).
pub const HAMS_ERR_IO: c_int = -4;
/// A configuration could not be applied.
pub const HAMS_ERR_CONFIG: c_int = -5;
/// An internal error (a panic) was caught; the library remains usable.
pub const HAMS_ERR_PANIC: c_int = -6;

/// Opaque C types: no fields, not constructible, neither Send nor Sync nor Unpin.
macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque!(
    /// One health server. Create with [`hams_new`], free with [`hams_free`].
    hams,
    /// One application metric, owned by the `hams_t` it was created on.
    hams_metric,
    /// The text buffer a metrics callback appends to.
    hams_metrics_buffer,
    /// One probe, owned by the `hams_t` it was created on.
    hams_probe,
    /// A metric family with label names: its series by label values.
    hams_vec
);

pub type hams_t = hams;
pub type hams_metric_t = hams_metric;
pub type hams_metrics_buffer_t = hams_metrics_buffer;
pub type hams_probe_t = hams_probe;
pub type hams_vec_t = hams_vec;

/// A shutdown callback: called once, on a hams thread, after the drain.
pub type hams_shutdown_fn = Option<unsafe extern "C" fn(user: *mut c_void)>;
/// A status listener: `name` is a check ("alive", "ready", "startup") or a
/// probe that turned healthy or unhealthy; `reason` is "" when healthy. Both
/// strings are valid only during the call.
pub type hams_change_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, name: *const c_char, healthy: bool, reason: *const c_char)>;
/// Receives one log record (`level` 1 error .. 5 trace), from any hams thread.
pub type hams_log_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, level: c_int, target: *const c_char, message: *const c_char)>;
/// Produces exposition text for a scrape by calling [`hams_metrics_append`].
pub type hams_metrics_fn = Option<unsafe extern "C" fn(user: *mut c_void, out: *mut hams_metrics_buffer_t)>;
/// A check callback: true when healthy; may write a NUL-terminated reason
/// of at most `reason_len` bytes (the NUL included) into `reason`.
pub type hams_check_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, reason: *mut c_char, reason_len: size_t) -> bool>;

extern "C" {
    pub fn hams_version() -> *const c_char;
    pub fn hams_last_error() -> *const c_char;
    pub fn hams_last_error_code() -> c_int;

    pub fn hams_new(service_name: *const c_char, service_version: *const c_char) -> *mut hams_t;
    pub fn hams_set_address(h: *mut hams_t, host_port: *const c_char) -> c_int;
    pub fn hams_set_runtime(
        h: *mut hams_t,
        runtime: *const c_char,
        library: *const c_char,
        library_version: *const c_char,
    ) -> c_int;
    pub fn hams_start(h: *mut hams_t) -> c_int;
    pub fn hams_port(h: *const hams_t) -> c_int;
    pub fn hams_stop(h: *mut hams_t) -> c_int;
    pub fn hams_free(h: *mut hams_t);
    pub fn hams_new_from_file(path: *const c_char) -> *mut hams_t;
    pub fn hams_new_from_yaml(text: *const c_char) -> *mut hams_t;
    pub fn hams_set_workers(h: *mut hams_t, enabled: bool) -> c_int;
    pub fn hams_attach() -> *mut hams_t;

    pub fn hams_on_shutdown(h: *mut hams_t, callback: hams_shutdown_fn, user: *mut c_void) -> c_int;
    pub fn hams_shutdown(h: *mut hams_t) -> c_int;
    pub fn hams_wait(h: *mut hams_t, timeout_ms: i64) -> c_int;
    pub fn hams_handles_signals(h: *const hams_t) -> c_int;
    pub fn hams_handle_signals(h: *mut hams_t, on: bool) -> c_int;
    pub fn hams_on_change(h: *mut hams_t, callback: hams_change_fn, user: *mut c_void) -> c_int;
    pub fn hams_check_state(h: *mut hams_t, check: c_uint) -> c_int;
    pub fn hams_set_logger(callback: hams_log_fn, user: *mut c_void, max_level: c_int) -> c_int;

    pub fn hams_counter_new(h: *mut hams_t, name: *const c_char, help: *const c_char) -> *mut hams_metric_t;
    pub fn hams_counter_new_labeled(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        labels: *const *const c_char,
    ) -> *mut hams_metric_t;
    pub fn hams_gauge_new(h: *mut hams_t, name: *const c_char, help: *const c_char) -> *mut hams_metric_t;
    pub fn hams_gauge_new_labeled(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        labels: *const *const c_char,
    ) -> *mut hams_metric_t;
    pub fn hams_histogram_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        buckets: *const f64,
        n: size_t,
    ) -> *mut hams_metric_t;
    pub fn hams_histogram_new_labeled(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        buckets: *const f64,
        n: size_t,
        labels: *const *const c_char,
    ) -> *mut hams_metric_t;
    pub fn hams_histogram_native_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        bucket_factor: f64,
        max_buckets: u32,
    ) -> *mut hams_metric_t;
    pub fn hams_counter_add(m: *mut hams_metric_t, v: f64) -> c_int;
    pub fn hams_gauge_set(m: *mut hams_metric_t, v: f64) -> c_int;
    pub fn hams_gauge_add(m: *mut hams_metric_t, v: f64) -> c_int;
    pub fn hams_histogram_observe(m: *mut hams_metric_t, v: f64) -> c_int;
    pub fn hams_counter_add_exemplar(m: *mut hams_metric_t, v: f64, labels: *const *const c_char) -> c_int;
    pub fn hams_histogram_observe_exemplar(m: *mut hams_metric_t, v: f64, labels: *const *const c_char) -> c_int;
    pub fn hams_gauge_set_aggregation(g: *mut hams_metric_t, how: c_int) -> c_int;
    pub fn hams_metric_free(m: *mut hams_metric_t) -> c_int;
    pub fn hams_metrics_append(out: *mut hams_metrics_buffer_t, text: *const c_char) -> c_int;
    pub fn hams_set_metrics_callback(h: *mut hams_t, callback: hams_metrics_fn, user: *mut c_void) -> c_int;
    pub fn hams_buckets_linear(start: f64, width: f64, count: size_t, out: *mut f64) -> c_int;
    pub fn hams_buckets_exponential(start: f64, factor: f64, count: size_t, out: *mut f64) -> c_int;

    pub fn hams_counter_vec_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        label_names: *const *const c_char,
    ) -> *mut hams_vec_t;
    pub fn hams_gauge_vec_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        label_names: *const *const c_char,
    ) -> *mut hams_vec_t;
    pub fn hams_histogram_vec_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        buckets: *const f64,
        n: size_t,
        label_names: *const *const c_char,
    ) -> *mut hams_vec_t;
    pub fn hams_histogram_native_vec_new(
        h: *mut hams_t,
        name: *const c_char,
        help: *const c_char,
        bucket_factor: f64,
        max_buckets: u32,
        label_names: *const *const c_char,
    ) -> *mut hams_vec_t;
    pub fn hams_vec_with(v: *mut hams_vec_t, label_values: *const *const c_char) -> *mut hams_metric_t;
    pub fn hams_vec_remove(v: *mut hams_vec_t, label_values: *const *const c_char) -> c_int;
    pub fn hams_vec_free(v: *mut hams_vec_t) -> c_int;
    pub fn hams_vec_set_aggregation(v: *mut hams_vec_t, how: c_int) -> c_int;

    pub fn hams_probe_new_manual(
        h: *mut hams_t,
        name: *const c_char,
        checks: c_uint,
        healthy: bool,
    ) -> *mut hams_probe_t;
    pub fn hams_probe_new_kick(
        h: *mut hams_t,
        name: *const c_char,
        checks: c_uint,
        margin_ms: u64,
    ) -> *mut hams_probe_t;
    pub fn hams_probe_new_callback(
        h: *mut hams_t,
        name: *const c_char,
        checks: c_uint,
        callback: hams_check_fn,
        user: *mut c_void,
        interval_ms: u64,
        timeout_ms: u64,
    ) -> *mut hams_probe_t;
    pub fn hams_probe_set_thresholds(p: *mut hams_probe_t, failures: u32, successes: u32) -> c_int;
    pub fn hams_probe_set(p: *mut hams_probe_t, healthy: bool, reason: *const c_char) -> c_int;
    pub fn hams_probe_kick(p: *mut hams_probe_t) -> c_int;
    pub fn hams_probe_get(h: *mut hams_t, name: *const c_char) -> *mut hams_probe_t;
    pub fn hams_probe_free(p: *mut hams_probe_t) -> c_int;
}

//! `Hams`: one health server, a `hams_t` of the system libhams.

use crate::checks::{Check, Checks};
use crate::config::Config;
use crate::error::{c_string, check, check_ptr, Error, Result};
use crate::labels::CStrings;
use crate::life::Life;
use crate::listen::{run_change, ListenerRef};
use crate::metric::{run_metrics, Metric, MetricKind, MetricsFn, MetricsSlot, Target};
use crate::probe::{run_check, CheckSlot, Probe};
use crate::vec::MetricVec;
use libc::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

type ShutdownFn = Box<dyn FnOnce() + Send>;
/// Declared probes and their checks; `None` when libhams alone knows them.
pub(crate) type Declared = Option<Vec<(String, Checks)>>;

/// One health server with its probes, made by the system libhams.
///
/// ```
/// use hams::{Checks, Hams};
/// let hams = Hams::new("my-service", "1.0.0")?;
/// hams.set_address("127.0.0.1:0")?;
/// let db = hams.probe_manual("db", Checks::READY, false)?;
/// hams.start()?;
/// db.set(true, None)?;
/// println!("serving on port {}", hams.port()?);
/// # Ok::<(), hams::Error>(())
/// ```
pub struct Hams {
    ptr: *mut hams_sys::hams_t,
    life: Arc<Life>,
    /// Whether this object frees the handle (false: `from_ptr` borrowed it).
    owned: bool,
    service_name: String,
    running: AtomicBool,
    /// Declared probes not yet taken: `None` when made from a file, whose
    /// probes are not known here.
    declared: Mutex<Declared>,
    /// Names of probes this object made or handed over: `take_probe` must not
    /// give out a second owner of one (`hams_probe_get` finds them too).
    owned_names: Mutex<Vec<String>>,
    /// What libhams may call until the handle is freed; boxed, since their
    /// addresses are libhams' `user` pointers and must not move.
    #[allow(clippy::vec_box)]
    shutdown_fns: Mutex<Vec<Box<Mutex<Option<ShutdownFn>>>>>,
    metrics_fn: Mutex<Option<Box<MetricsSlot>>>,
    /// Status listeners, which libhams keeps until the handle is freed.
    listeners: Mutex<Vec<ListenerRef>>,
}

// SAFETY: every libhams function is thread-safe.
unsafe impl Send for Hams {}
unsafe impl Sync for Hams {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hams {
    pub(crate) fn adopt(ptr: *mut hams_sys::hams_t, service_name: String, declared: Declared, owned: bool) -> Hams {
        Hams {
            ptr,
            life: Arc::default(),
            owned,
            service_name,
            running: AtomicBool::new(false),
            declared: Mutex::new(declared),
            owned_names: Mutex::default(),
            shutdown_fns: Mutex::default(),
            metrics_fn: Mutex::default(),
            listeners: Mutex::default(),
        }
    }

    /// A stopped server with the default address `0.0.0.0:8079`.
    pub fn new(service_name: &str, service_version: &str) -> Result<Hams> {
        let (name, version) = (c_string("service name", service_name)?, c_string("service version", service_version)?);
        // SAFETY: two C strings valid for the call.
        let ptr = check_ptr(unsafe { hams_sys::hams_new(name.as_ptr(), version.as_ptr()) })?;
        Ok(Hams::adopt(ptr, service_name.to_string(), Some(Vec::new()), true))
    }

    /// A stopped server from a full configuration, given to libhams as YAML
    /// (`Config::to_yaml`), so the `HAMS_*` environment overrides apply.
    /// Declared probes are created now; take them with `take_probe`.
    pub fn with_config(config: Config) -> Result<Hams> {
        let yaml = c_string("configuration", &config.to_yaml())?;
        // SAFETY: a C string valid for the call.
        let ptr = check_ptr(unsafe { hams_sys::hams_new_from_yaml(yaml.as_ptr()) })?;
        let declared = config.probes.iter().map(|p| (p.name.clone(), p.checks)).collect();
        Ok(Hams::adopt(ptr, config.service_name, Some(declared), true))
    }

    /// A stopped server from a hams_config(5) YAML file, then the `HAMS_*`
    /// environment overrides (`hams_new_from_file`). Its declared probes are
    /// taken with `take_probe`; their checks are unknown here, so `Probe::checks`
    /// of such a probe reports every check.
    pub fn from_file(path: &str) -> Result<Hams> {
        let cpath = c_string("path", path)?;
        // SAFETY: a C string valid for the call.
        let ptr = check_ptr(unsafe { hams_sys::hams_new_from_file(cpath.as_ptr()) })?;
        Ok(Hams::adopt(ptr, String::new(), None, true))
    }

    /// Like `from_file`, from YAML text.
    pub fn from_yaml(text: &str) -> Result<Hams> {
        let ctext = c_string("configuration", text)?;
        // SAFETY: a C string valid for the call.
        let ptr = check_ptr(unsafe { hams_sys::hams_new_from_yaml(ctext.as_ptr()) })?;
        Ok(Hams::adopt(ptr, String::new(), None, true))
    }

    /// Wraps a `hams_t *` made elsewhere in this process (C code, another
    /// language's binding) without owning it: dropping the `Hams` frees
    /// what was made through it, not the server.
    ///
    /// # Safety
    /// `ptr` is a live `hams_t *` that its owner frees only after this
    /// `Hams` and everything made through it are dropped.
    pub unsafe fn from_ptr(ptr: *mut hams_sys::hams_t) -> Result<Hams> {
        if ptr.is_null() {
            return Err(Error::new(crate::ErrorKind::Null, "hams_t pointer is NULL"));
        }
        Ok(Hams::adopt(ptr, String::new(), Some(Vec::new()), false))
    }

    /// The `hams_t *`, for C code (or another language's binding, as a
    /// number) in this process; valid while this `Hams` exists.
    pub fn as_ptr(&self) -> *mut hams_sys::hams_t {
        self.ptr
    }

    /// The names of declared probes not yet taken (none are known for a
    /// server made from a file or YAML text).
    pub fn declared_probe_names(&self) -> Vec<String> {
        lock(&self.declared).iter().flatten().map(|(n, _)| n.clone()).collect()
    }

    /// Hands over a probe declared in the configuration (once). For a server
    /// made from a file or YAML text, whose declarations are libhams' alone,
    /// the probe's `checks()` reports all three checks.
    pub fn take_probe(&self, name: &str) -> Option<Probe> {
        let mut declared = lock(&self.declared);
        let mut owned_names = lock(&self.owned_names);
        let checks = match declared.as_mut() {
            Some(list) => list.iter().position(|(n, _)| n == name).map(|pos| list[pos].1)?,
            None if owned_names.iter().any(|n| n == name) => return None,
            None => Checks::ALIVE | Checks::READY | Checks::STARTUP,
        };
        let cname = c_string("probe name", name).ok()?;
        // SAFETY: a live handle and a C string valid for the call.
        let ptr = unsafe { hams_sys::hams_probe_get(self.ptr, cname.as_ptr()) };
        if ptr.is_null() {
            return None;
        }
        if let Some(list) = declared.as_mut() {
            list.retain(|(n, _)| n != name);
        }
        owned_names.push(name.to_string());
        Some(Probe { ptr, life: self.life.clone(), name: name.to_string(), checks, _callback: None })
    }

    /// The service name given at creation (empty for `from_ptr`).
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// Sets the address to listen on; only while stopped.
    pub fn set_address(&self, address: &str) -> Result<()> {
        let addr = c_string("address", address)?;
        // SAFETY: a live handle and a C string valid for the call.
        check(unsafe { hams_sys::hams_set_address(self.ptr, addr.as_ptr()) }).map(drop)
    }

    /// Names the language runtime and binding (e.g. "Rust 1.80", "my-lib",
    /// "1.0.0") for `/hams/version` and `hams_build_info`; only while stopped.
    pub fn set_runtime(&self, runtime: &str, library: &str, library_version: &str) -> Result<()> {
        let (r, l, v) = (
            c_string("runtime", runtime)?,
            c_string("library", library)?,
            c_string("library_version", library_version)?,
        );
        // SAFETY: a live handle and C strings valid for the call.
        check(unsafe { hams_sys::hams_set_runtime(self.ptr, r.as_ptr(), l.as_ptr(), v.as_ptr()) }).map(drop)
    }

    /// Binds the address and serves on a background thread. A port that
    /// cannot be bound is an error here.
    pub fn start(&self) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { hams_sys::hams_start(self.ptr) })?;
        self.running.store(true, Ordering::Release);
        Ok(())
    }

    /// The bound port while started.
    pub fn port(&self) -> Result<u16> {
        // SAFETY: a live handle.
        let port = check(unsafe { hams_sys::hams_port(self.ptr) })?;
        u16::try_from(port).map_err(|_| Error::state(format!("port {port} out of range")))
    }

    /// Stops serving and joins the server thread; `start` may be called again.
    pub fn stop(&self) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { hams_sys::hams_stop(self.ptr) })?;
        self.running.store(false, Ordering::Release);
        Ok(())
    }

    /// Whether `start` succeeded and `stop` has not been called since.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Makes hams handle SIGTERM and SIGINT (true) or gives them back (false).
    pub fn handle_signals(&self, on: bool) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { hams_sys::hams_handle_signals(self.ptr, on) }).map(drop)
    }

    /// Whether this instance handles SIGTERM and SIGINT.
    pub fn handles_signals(&self) -> bool {
        // SAFETY: a live handle.
        unsafe { hams_sys::hams_handles_signals(self.ptr) == 1 }
    }

    /// Adds a callback run once, after the drain, when shutdown is requested.
    pub fn on_shutdown(&self, f: impl FnOnce() + Send + 'static) -> Result<()> {
        unsafe extern "C" fn run(user: *mut c_void) {
            // SAFETY: `user` is a slot of `shutdown_fns`, kept until the handle is freed.
            let slot = unsafe { &*(user as *const Mutex<Option<ShutdownFn>>) };
            if let Some(f) = lock(slot).take() {
                // A panic must not unwind into C; the sequence goes on without it.
                let _ = catch_unwind(AssertUnwindSafe(f));
            }
        }
        let slot: Box<Mutex<Option<ShutdownFn>>> = Box::new(Mutex::new(Some(Box::new(f))));
        let user = &*slot as *const Mutex<Option<ShutdownFn>> as *mut c_void;
        let mut fns = lock(&self.shutdown_fns);
        // SAFETY: a live handle; `user` stays valid until the handle is freed.
        check(unsafe { hams_sys::hams_on_shutdown(self.ptr, Some(run), user) })?;
        fns.push(slot);
        Ok(())
    }

    /// Starts the graceful shutdown sequence. libhams answers a second
    /// request as it does the first, so unlike the `hams` crate this is true
    /// whenever the sequence is started or already running.
    pub fn shutdown(&self) -> bool {
        // SAFETY: a live handle.
        unsafe { hams_sys::hams_shutdown(self.ptr) == hams_sys::HAMS_OK }
    }

    /// Blocks until the shutdown sequence is done (drain elapsed, callbacks
    /// run): true; or until `timeout` passes: false. `None` waits forever.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let ms = timeout.map_or(-1, |t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX));
        // SAFETY: a live handle.
        unsafe { hams_sys::hams_wait(self.ptr, ms) == 1 }
    }

    /// Adds a status listener, called on a libhams thread: first once with
    /// the state of every probe, then of `alive`, `ready` and `startup`; then
    /// `f(name, healthy, reason)` for each check or probe that turns healthy
    /// or unhealthy (a probe's change before the checks it turns; `reason` is
    /// "" when healthy). It may call hams, and drop this `Hams`. Listeners
    /// stay until the server is freed.
    pub fn on_change(&self, f: impl FnMut(&str, bool, &str) + Send + 'static) -> Result<()> {
        let listener = ListenerRef::new(Box::new(f));
        let mut listeners = lock(&self.listeners);
        // SAFETY: a live handle; `user` stays valid until the handle is freed.
        match check(unsafe { hams_sys::hams_on_change(self.ptr, Some(run_change), listener.user()) }) {
            Ok(_) => {
                listeners.push(listener);
                Ok(())
            }
            Err(e) => {
                // SAFETY: not registered: libhams never calls it.
                unsafe { listener.release() };
                Err(e)
            }
        }
    }

    /// Whether `check` passes now (what `GET <prefix>/<check>` answers).
    pub fn check_state(&self, check: Check) -> bool {
        // SAFETY: a live handle; one check bit is always valid.
        unsafe { hams_sys::hams_check_state(self.ptr, check.bit()) == 1 }
    }

    fn probe(&self, ptr: *mut hams_sys::hams_probe_t, name: &str, checks: Checks, cb: Option<Box<CheckSlot>>) -> Probe {
        if lock(&self.declared).is_none() {
            lock(&self.owned_names).push(name.to_string());
        }
        Probe { ptr, life: self.life.clone(), name: name.to_string(), checks, _callback: cb }
    }

    /// A probe set by the application with `Probe::set`.
    pub fn probe_manual(&self, name: &str, checks: Checks, healthy: bool) -> Result<Probe> {
        let cname = c_string("probe name", name)?;
        // SAFETY: a live handle and a C string valid for the call.
        let ptr =
            check_ptr(unsafe { hams_sys::hams_probe_new_manual(self.ptr, cname.as_ptr(), checks.bits(), healthy) })?;
        Ok(self.probe(ptr, name, checks, None))
    }

    /// A probe that is healthy while less than `margin_ms` has passed since
    /// its last `Probe::kick` (or its creation).
    pub fn probe_kick(&self, name: &str, checks: Checks, margin_ms: u64) -> Result<Probe> {
        let cname = c_string("probe name", name)?;
        // SAFETY: a live handle and a C string valid for the call.
        let ptr =
            check_ptr(unsafe { hams_sys::hams_probe_new_kick(self.ptr, cname.as_ptr(), checks.bits(), margin_ms) })?;
        Ok(self.probe(ptr, name, checks, None))
    }

    /// A probe whose health is `callback()`: `Ok(())` or `Err(reason)`. It runs
    /// on a libhams thread, at once and then `interval_ms` after each run; a
    /// run longer than `timeout_ms` fails the probe.
    pub fn probe_callback<F>(
        &self,
        name: &str,
        checks: Checks,
        interval_ms: u64,
        timeout_ms: u64,
        callback: F,
    ) -> Result<Probe>
    where
        F: FnMut() -> std::result::Result<(), String> + Send + 'static,
    {
        let cname = c_string("probe name", name)?;
        let slot = CheckSlot::new(Box::new(callback));
        let user = &*slot as *const CheckSlot as *mut c_void;
        // SAFETY: a live handle, a C string valid for the call; `user` lives
        // in the returned Probe, which frees the probe before dropping it.
        let ptr = check_ptr(unsafe {
            hams_sys::hams_probe_new_callback(
                self.ptr,
                cname.as_ptr(),
                checks.bits(),
                Some(run_check),
                user,
                interval_ms,
                timeout_ms,
            )
        })?;
        Ok(self.probe(ptr, name, checks, Some(slot)))
    }

    fn metric(&self, name: &str, kind: MetricKind, ptr: *mut hams_sys::hams_metric_t) -> Metric {
        Metric { target: Target::Own(ptr), life: self.life.clone(), name: name.to_string(), kind }
    }

    fn vec(&self, name: &str, kind: MetricKind, label_names: CStrings, ptr: *mut hams_sys::hams_vec_t) -> MetricVec {
        MetricVec::new(ptr, self.life.clone(), name, kind, label_names)
    }

    /// A counter (name ending in `_total`) with a fixed label set.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Metric> {
        let (n, h, l) = (c_string("metric name", name)?, c_string("help", help)?, CStrings::pairs(labels)?);
        // SAFETY: a live handle; C strings and a NULL-terminated array valid for the call.
        let ptr =
            check_ptr(unsafe { hams_sys::hams_counter_new_labeled(self.ptr, n.as_ptr(), h.as_ptr(), l.as_ptr()) })?;
        Ok(self.metric(name, MetricKind::Counter, ptr))
    }

    /// A gauge with a fixed label set.
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Metric> {
        let (n, h, l) = (c_string("metric name", name)?, c_string("help", help)?, CStrings::pairs(labels)?);
        // SAFETY: as in `counter`.
        let ptr = check_ptr(unsafe { hams_sys::hams_gauge_new_labeled(self.ptr, n.as_ptr(), h.as_ptr(), l.as_ptr()) })?;
        Ok(self.metric(name, MetricKind::Gauge, ptr))
    }

    /// A histogram with the given (finite, increasing) bucket bounds; +Inf is implied.
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64], labels: &[(&str, &str)]) -> Result<Metric> {
        let (n, h, l) = (c_string("metric name", name)?, c_string("help", help)?, CStrings::pairs(labels)?);
        // SAFETY: as in `counter`, and `buckets` with its length.
        let ptr = check_ptr(unsafe {
            hams_sys::hams_histogram_new_labeled(
                self.ptr,
                n.as_ptr(),
                h.as_ptr(),
                buckets.as_ptr(),
                buckets.len(),
                l.as_ptr(),
            )
        })?;
        Ok(self.metric(name, MetricKind::Histogram, ptr))
    }

    /// A native histogram (sparse exponential buckets, exposed in the
    /// protobuf format; the text formats show its count and sum) with a fixed
    /// label set. Each bucket is at most `bucket_factor` (finite, > 1) times
    /// as wide as the one below; `max_buckets` (0: no limit) caps the buckets
    /// by widening them. With labels it is the one series of a vec.
    pub fn histogram_native(
        &self,
        name: &str,
        help: &str,
        bucket_factor: f64,
        max_buckets: u32,
        labels: &[(&str, &str)],
    ) -> Result<Metric> {
        if labels.is_empty() {
            let (n, h) = (c_string("metric name", name)?, c_string("help", help)?);
            // SAFETY: a live handle and C strings valid for the call.
            let ptr = check_ptr(unsafe {
                hams_sys::hams_histogram_native_new(self.ptr, n.as_ptr(), h.as_ptr(), bucket_factor, max_buckets)
            })?;
            return Ok(self.metric(name, MetricKind::NativeHistogram, ptr));
        }
        let names: Vec<&str> = labels.iter().map(|(k, _)| *k).collect();
        let values: Vec<&str> = labels.iter().map(|(_, v)| *v).collect();
        let vec = self.histogram_native_vec(name, help, bucket_factor, max_buckets, &names)?;
        vec.with_owner(&values)
    }

    /// A family of counters whose series are made on first use of their
    /// label values: `hams.counter_vec("req_total", "Requests.", &["path", "code"])?
    /// .with(&["/", "200"])?.add(1.0)`. Its name must not be registered yet.
    pub fn counter_vec(&self, name: &str, help: &str, label_names: &[&str]) -> Result<MetricVec> {
        let (n, h) = (c_string("metric name", name)?, c_string("help", help)?);
        let l = CStrings::new("label name", label_names.iter().copied())?;
        // SAFETY: a live handle; C strings and a NULL-terminated array valid for the call.
        let ptr = check_ptr(unsafe { hams_sys::hams_counter_vec_new(self.ptr, n.as_ptr(), h.as_ptr(), l.as_ptr()) })?;
        Ok(self.vec(name, MetricKind::Counter, l, ptr))
    }

    /// A family of gauges with run-time label values (see `counter_vec`).
    pub fn gauge_vec(&self, name: &str, help: &str, label_names: &[&str]) -> Result<MetricVec> {
        let (n, h) = (c_string("metric name", name)?, c_string("help", help)?);
        let l = CStrings::new("label name", label_names.iter().copied())?;
        // SAFETY: as in `counter_vec`.
        let ptr = check_ptr(unsafe { hams_sys::hams_gauge_vec_new(self.ptr, n.as_ptr(), h.as_ptr(), l.as_ptr()) })?;
        Ok(self.vec(name, MetricKind::Gauge, l, ptr))
    }

    /// A family of histograms with run-time label values, all with these
    /// bucket bounds (`&hams::DEFAULT_BUCKETS` for Prometheus' defaults).
    pub fn histogram_vec(&self, name: &str, help: &str, buckets: &[f64], label_names: &[&str]) -> Result<MetricVec> {
        let (n, h) = (c_string("metric name", name)?, c_string("help", help)?);
        let l = CStrings::new("label name", label_names.iter().copied())?;
        // SAFETY: as in `counter_vec`, and `buckets` with its length.
        let ptr = check_ptr(unsafe {
            hams_sys::hams_histogram_vec_new(
                self.ptr,
                n.as_ptr(),
                h.as_ptr(),
                buckets.as_ptr(),
                buckets.len(),
                l.as_ptr(),
            )
        })?;
        Ok(self.vec(name, MetricKind::Histogram, l, ptr))
    }

    /// A family of native histograms with run-time label values (see
    /// `histogram_native`).
    pub fn histogram_native_vec(
        &self,
        name: &str,
        help: &str,
        bucket_factor: f64,
        max_buckets: u32,
        label_names: &[&str],
    ) -> Result<MetricVec> {
        let (n, h) = (c_string("metric name", name)?, c_string("help", help)?);
        let l = CStrings::new("label name", label_names.iter().copied())?;
        // SAFETY: as in `counter_vec`.
        let ptr = check_ptr(unsafe {
            hams_sys::hams_histogram_native_vec_new(
                self.ptr,
                n.as_ptr(),
                h.as_ptr(),
                bucket_factor,
                max_buckets,
                l.as_ptr(),
            )
        })?;
        Ok(self.vec(name, MetricKind::NativeHistogram, l, ptr))
    }

    /// Installs (or removes) a function that appends exposition text to each
    /// scrape; it runs on a libhams thread with the configured timeout, and
    /// output that is not valid is dropped and counted.
    pub fn set_metrics_callback(&self, f: Option<MetricsFn>) {
        let mut current = lock(&self.metrics_fn);
        let slot = f.map(MetricsSlot::new);
        let user = slot.as_ref().map_or(std::ptr::null_mut(), |s| &**s as *const MetricsSlot as *mut c_void);
        let callback: hams_sys::hams_metrics_fn = if slot.is_some() { Some(run_metrics) } else { None };
        // SAFETY: a live handle; the call waits for a run of the old callback
        // in progress, so the old slot may be dropped after it.
        let rc = unsafe { hams_sys::hams_set_metrics_callback(self.ptr, callback, user) };
        if rc == hams_sys::HAMS_OK {
            *current = slot;
        }
    }
}

impl std::fmt::Debug for Hams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hams").field("service_name", &self.service_name).field("owned", &self.owned).finish()
    }
}

impl Drop for Hams {
    fn drop(&mut self) {
        if self.owned {
            self.life.end();
            // SAFETY: the handle this object made, freed once; it waits for
            // callbacks in progress, and calls none of ours afterwards.
            unsafe { hams_sys::hams_free(self.ptr) };
            for listener in std::mem::take(&mut *lock(&self.listeners)) {
                // SAFETY: hams_free has returned: a listener is called no
                // more, and one running now (that dropped us) holds its own
                // reference.
                unsafe { listener.release() };
            }
        } else if lock(&self.metrics_fn).is_some() {
            // A borrowed server lives on: take our callback back first.
            // SAFETY: a live handle; NULL removes the callback.
            unsafe { hams_sys::hams_set_metrics_callback(self.ptr, None, std::ptr::null_mut()) };
        }
        // A borrowed server keeps its shutdown callbacks and listeners: leak their slots.
        if !self.owned {
            std::mem::forget(std::mem::take(&mut *lock(&self.shutdown_fns)));
            std::mem::forget(std::mem::take(&mut *lock(&self.listeners)));
        }
    }
}

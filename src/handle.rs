//! The safe Rust API: `Hams` (one health server) and `Probe` (an RAII guard
//! that unregisters its probe when dropped).

use crate::clock::now_ns;
use crate::config::{parse_address, validate_label, Config, ProbeKind};
use crate::error::{Error, Result};
use crate::health::probe::ProbeState;
use crate::health::probe_registry::ProbeRegistry;
use crate::health::render::{render_check, Format, Options};
use crate::health::scheduler::{ProbeFn, ProbeScheduler};
use crate::health::{Check, Checks};
use crate::lifecycle::notify::{Notifier, Target};
use crate::lifecycle::shutdown::{Origin, Phase, Shutdown};
use crate::lifecycle::signals;
use crate::metrics::collector::{Collector, MetricsFn};
use crate::metrics::scrape::Scrape;
use crate::metrics::series::Shape;
use crate::metrics::vec::{shape_of, validate_native};
use crate::metrics::{Kind as MetricKind, Metric, MetricRegistry, MetricVec};
use crate::runtime_info::{RuntimeInfo, SharedRuntime};
use crate::server::{self, Identity, Limits, Running, ShutdownEndpoint, Site};
use crate::sync::lock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// One health server with its probes.
///
/// Made stopped: register probes and metrics, then `start` serves them on a
/// background thread until `stop` or drop.
///
/// ```
/// use hams::{Check, Checks, Hams};
/// let hams = Hams::new("my-service", "1.0.0")?;
/// hams.set_address("127.0.0.1:0")?; // port 0: any free port
/// let db = hams.probe_manual("db", Checks::READY, false)?;
/// hams.start()?;
/// assert!(hams.port()? > 0);
/// assert!(!hams.report(Check::Ready).0, "db is not healthy yet");
/// db.set(true, None)?;
/// let (passed, verbose) = hams.report(Check::Ready);
/// assert!(passed && verbose.contains("[+]db ok"));
/// # Ok::<(), hams::Error>(())
/// ```
pub struct Hams {
    /// What the server serves; the parts below are shared with it.
    site: Arc<Site>,
    probes: Arc<ProbeRegistry>,
    shutdown: Shutdown,
    metrics: Arc<MetricRegistry>,
    collector: Arc<Collector>,
    /// Whether this instance owns SIGTERM/SIGINT.
    signals: Arc<AtomicBool>,
    scheduler: Arc<ProbeScheduler>,
    control: Mutex<Control>,
    /// Probes declared in the configuration, until the application takes them.
    declared: Mutex<Vec<Probe>>,
    /// The process that made this `Hams`: in a forked child it is an
    /// inherited copy, which must not serve or touch the parent's threads.
    pid: u32,
    /// Made by `attach`: a worker of a tree, which never serves.
    worker: bool,
    /// Workers mode, in the parent: the watcher (see `workers.rs`).
    workers: Mutex<Option<crate::workers::Parent>>,
    workers_config: crate::config::WorkersConfig,
}

/// Joins the workers' tree named by `$HAMS_WORKERS` (set by a parent in
/// workers mode): the `Hams` returned registers probes and metrics as
/// usual, and the parent serves them; it does not serve itself.
///
/// ```no_run
/// let worker = hams::attach()?;
/// let requests = worker.counter_vec("requests_total", "Requests.", &["code"])?;
/// requests.with(&["200"])?.add(1.0)?; // the parent's /hams/metrics counts it
/// # Ok::<(), hams::Error>(())
/// ```
pub fn attach() -> Result<Hams> {
    let mut hams = Hams::with_config(Config::new("hams-worker", crate::VERSION))?;
    crate::workers::join(&hams.metrics, &hams.probes)?;
    hams.worker = true;
    Ok(hams)
}

struct Control {
    address: SocketAddr,
    limits: Limits,
    running: Option<Running>,
    notifier: Option<Notifier>,
}

impl Hams {
    /// A stopped server with the default address `0.0.0.0:8079`.
    pub fn new(service_name: &str, service_version: &str) -> Result<Hams> {
        Hams::with_config(Config::new(service_name, service_version))
    }

    /// A stopped server from a full configuration (see `Config`, and
    /// `config::from_file` for YAML). Declared probes are created now; take
    /// them with `take_probe`.
    pub fn with_config(config: Config) -> Result<Hams> {
        let address = config.validate()?;
        let probes = Arc::new(ProbeRegistry::default());
        let endpoint = config
            .shutdown
            .endpoint
            .then(|| ShutdownEndpoint { token: config.shutdown.token.clone(), wait: config.shutdown.endpoint_wait });
        let metrics = Arc::new(MetricRegistry::default());
        let collector = Collector::new(config.metrics_callback_timeout, metrics.clone());
        let shutdown = Shutdown::new(config.shutdown.drain, probes.clone());
        let signals = Arc::new(AtomicBool::new(false));
        let runtime = SharedRuntime::default();
        let identity = Identity {
            name: config.service_name,
            version: config.service_version,
            prefix: config.prefix,
            runtime: runtime.clone(),
        };
        let scrape = Scrape::new(probes.clone(), metrics.clone(), collector.clone(), runtime);
        let site = server::site(identity, probes.clone(), shutdown.clone(), endpoint, signals.clone(), scrape);
        let hams = Hams {
            site: Arc::new(site),
            probes,
            shutdown,
            metrics,
            collector,
            signals,
            scheduler: Arc::default(),
            control: Mutex::new(Control { address, limits: config.limits, running: None, notifier: None }),
            declared: Mutex::new(Vec::new()),
            pid: crate::process::current_pid(),
            worker: false,
            workers: Mutex::new(None),
            workers_config: config.workers.clone(),
        };
        if config.workers.enabled {
            hams.set_workers(true)?;
        }
        for decl in &config.probes {
            let probe = match decl.kind {
                ProbeKind::Kick { margin_ms } => hams.probe_kick(&decl.name, decl.checks, margin_ms)?,
                ProbeKind::Manual { healthy } => hams.probe_manual(&decl.name, decl.checks, healthy)?,
            };
            lock(&hams.declared).push(probe);
        }
        if config.shutdown.handle_signals {
            hams.handle_signals(true)?;
        }
        if config.shutdown.endpoint && config.shutdown.token.is_none() {
            log::warn!(target: "hams::shutdown", "the shutdown endpoint is on without a token: anyone who reaches the port can stop the service");
        }
        Ok(hams)
    }

    /// The names of declared probes not yet taken.
    pub fn declared_probe_names(&self) -> Vec<String> {
        lock(&self.declared).iter().map(|p| p.name().to_string()).collect()
    }

    /// Hands over a probe declared in the configuration (once).
    pub fn take_probe(&self, name: &str) -> Option<Probe> {
        let mut declared = lock(&self.declared);
        let pos = declared.iter().position(|p| p.name() == name)?;
        Some(declared.remove(pos))
    }

    /// Workers mode (before `start` and before any metric is registered):
    /// this process becomes the parent of a tree of worker processes, whose
    /// metrics and probes it serves with its own (see `attach`). Sets
    /// `$HAMS_WORKERS` in this process' environment for its children.
    pub fn set_workers(&self, enabled: bool) -> Result<()> {
        self.serving()?;
        let mut w = lock(&self.workers);
        match (enabled, w.is_some()) {
            (true, true) | (false, false) => return Ok(()),
            (false, true) => return Err(Error::state("workers mode cannot be turned off once on")),
            (true, false) => {}
        }
        if lock(&self.control).running.is_some() {
            return Err(Error::state("set workers mode before hams_start"));
        }
        let c = &self.workers_config;
        let (parent, tree) = crate::workers::enable(c.capacity_kib, c.min_ready, &self.metrics, &self.probes)?;
        self.site.scrape().set_tree(tree);
        *w = Some(parent);
        Ok(())
    }

    /// Whether this is a worker's handle (made by `attach`).
    pub fn is_worker(&self) -> bool {
        self.worker
    }

    /// Whether this `Hams` was made by another process: a copy inherited
    /// across `fork`.
    pub fn is_inherited(&self) -> bool {
        self.pid != crate::process::current_pid()
    }

    /// Serving calls are refused on a worker's handle and on an inherited one.
    pub(crate) fn serving(&self) -> Result<()> {
        if self.is_inherited() {
            return Err(Error::state(format!(
                "this hams_t was inherited across fork() from process {}: a child does not serve; \
                 its metrics and probes still work (see hams_attach and workers mode)",
                self.pid
            )));
        }
        if self.worker {
            return Err(Error::state("this is a worker's handle (hams_attach): the parent of the tree serves"));
        }
        Ok(())
    }

    pub(crate) fn site(&self) -> &Site {
        &self.site
    }

    pub fn service_name(&self) -> &str {
        self.site.name()
    }

    /// Sets the address to listen on; only while stopped.
    pub fn set_address(&self, address: &str) -> Result<()> {
        let addr = parse_address(address)?;
        let mut c = lock(&self.control);
        if c.running.is_some() {
            return Err(Error::state("cannot change the address while started; stop first"));
        }
        c.address = addr;
        Ok(())
    }

    /// Names the language runtime and binding hosting hams (e.g. "CPython
    /// 3.11.7", "hams-python", "0.2.0"), shown in `/hams/version` and as labels
    /// of `hams_build_info`. Each part: non-empty, printable, at most 128
    /// bytes. Only while stopped, so a running server's answers never change.
    pub fn set_runtime(&self, runtime: &str, library: &str, library_version: &str) -> Result<()> {
        // Echoed in JSON and label values: checked like the service's name.
        validate_label("runtime", runtime)?;
        validate_label("library", library)?;
        validate_label("library_version", library_version)?;
        let info = RuntimeInfo::new(runtime, library, library_version);
        let c = lock(&self.control);
        if c.running.is_some() {
            return Err(Error::state("the runtime must be set before hams_start (or after hams_stop)"));
        }
        self.site.runtime().set(info);
        Ok(())
    }

    /// Sets the connection limits and timeouts; only while stopped.
    pub fn set_limits(&self, limits: Limits) -> Result<()> {
        crate::config::validate_limits(&limits)?;
        let mut c = lock(&self.control);
        if c.running.is_some() {
            return Err(Error::state("cannot change limits while started; stop first"));
        }
        c.limits = limits;
        Ok(())
    }

    /// Binds the address and serves on a background thread. A port that
    /// cannot be bound is an error here.
    pub fn start(&self) -> Result<()> {
        self.serving()?;
        let mut c = lock(&self.control);
        if c.running.is_some() {
            return Err(Error::state("already started"));
        }
        let running = server::start(self.site.clone(), c.address, c.limits.clone())?;
        if let Some(target) = Target::from_env() {
            match Notifier::start(self.shutdown.clone(), self.probes.clone(), target) {
                Ok(n) => c.notifier = Some(n),
                Err(e) => log::warn!(target: "hams::notify", "{e}; not notifying systemd"),
            }
        }
        c.running = Some(running);
        Ok(())
    }

    /// The bound port while started.
    pub fn port(&self) -> Result<u16> {
        self.serving()?;
        lock(&self.control).running.as_ref().map(Running::port).ok_or_else(|| Error::state("not started"))
    }

    /// Stops serving and joins the server thread; `start` may be called again.
    pub fn stop(&self) -> Result<()> {
        self.serving()?;
        let (running, notifier) = {
            let mut c = lock(&self.control);
            let running = c.running.take().ok_or_else(|| Error::state("not started"))?;
            (running, c.notifier.take())
        };
        drop(notifier);
        running.stop();
        Ok(())
    }

    /// Makes hams handle SIGTERM and SIGINT (true) or gives them back (false).
    /// Only one instance in a process may handle them; the handlers that were
    /// there before are chained to, and restored when this one lets go.
    pub fn handle_signals(&self, on: bool) -> Result<()> {
        self.serving()?;
        let owned = self.signals.load(Ordering::Acquire);
        match (on, owned) {
            (true, false) => {
                signals::acquire()?;
                self.signals.store(true, Ordering::Release);
            }
            (false, true) => {
                self.signals.store(false, Ordering::Release);
                signals::release();
            }
            _ => return Ok(()),
        }
        if let Some(running) = &lock(&self.control).running {
            running.wake();
        }
        Ok(())
    }

    /// Whether this instance handles SIGTERM and SIGINT.
    pub fn handles_signals(&self) -> bool {
        self.signals.load(Ordering::Acquire)
    }

    /// Adds a callback run once, after the drain, when shutdown is requested.
    pub fn on_shutdown(&self, f: impl FnOnce() + Send + 'static) -> Result<()> {
        self.serving()?;
        self.shutdown.on_shutdown(Box::new(f))
    }

    /// Starts the graceful shutdown sequence; false if it had already started.
    pub fn shutdown(&self) -> bool {
        if self.serving().is_err() {
            return false;
        }
        self.shutdown.request(Origin::Application)
    }

    /// Blocks until the shutdown sequence is done (drain elapsed, callbacks
    /// run): true; or until `timeout` passes: false. `None` waits forever.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        if self.serving().is_err() {
            return false;
        }
        self.shutdown.wait(timeout)
    }

    /// Whether the shutdown sequence has started.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.phase() != Phase::Running
    }

    pub fn is_running(&self) -> bool {
        lock(&self.control).running.is_some()
    }

    /// A probe set by the application with `Probe::set`.
    pub fn probe_manual(&self, name: &str, checks: Checks, healthy: bool) -> Result<Probe> {
        self.register(ProbeState::manual(name, checks, healthy))
    }

    /// A probe that is healthy while less than `margin_ms` has passed since
    /// its last `Probe::kick` (or its creation).
    pub fn probe_kick(&self, name: &str, checks: Checks, margin_ms: u64) -> Result<Probe> {
        if margin_ms == 0 {
            return Err(Error::invalid("margin_ms must be greater than zero"));
        }
        self.register(ProbeState::new_kick(name, checks, margin_ms, now_ns()))
    }

    /// A probe whose health is `callback()`: `Ok(())` or `Err(reason)`. It runs
    /// off the serving thread, at once and then `interval_ms` after each run;
    /// a run longer than `timeout_ms` fails the probe.
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
        if interval_ms == 0 || timeout_ms == 0 {
            return Err(Error::invalid("interval_ms and timeout_ms must be greater than zero"));
        }
        let probe = self.register(ProbeState::callback(name, checks, timeout_ms))?;
        let func: ProbeFn = Box::new(callback);
        self.scheduler.add(probe.state.clone(), func, interval_ms)?;
        Ok(probe)
    }

    fn register(&self, state: ProbeState) -> Result<Probe> {
        let state = Arc::new(state);
        self.probes.add(state.clone())?;
        Ok(Probe { state, probes: Arc::downgrade(&self.probes), scheduler: Arc::downgrade(&self.scheduler) })
    }

    /// A counter (name ending in `_total`) with a fixed label set.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Metric> {
        Metric::new(&self.metrics, name, help, MetricKind::Counter, labels, None)
    }

    /// A gauge with a fixed label set.
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Metric> {
        Metric::new(&self.metrics, name, help, MetricKind::Gauge, labels, None)
    }

    /// A histogram with the given (finite, increasing) bucket bounds; +Inf is implied.
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64], labels: &[(&str, &str)]) -> Result<Metric> {
        Metric::new(&self.metrics, name, help, MetricKind::Histogram, labels, Some(buckets))
    }

    /// A native histogram (sparse exponential buckets, exposed in the
    /// protobuf format; the text formats show its count and sum) with a
    /// fixed label set. Each bucket is at most `bucket_factor` (finite, > 1)
    /// times as wide as the one below, client_golang's schema choice;
    /// `max_buckets` (0: no limit) caps the buckets by widening them.
    pub fn histogram_native(
        &self,
        name: &str,
        help: &str,
        bucket_factor: f64,
        max_buckets: u32,
        labels: &[(&str, &str)],
    ) -> Result<Metric> {
        validate_native(name, bucket_factor)?;
        let shape = Shape::Native { bucket_factor, max_buckets };
        Metric::register(&self.metrics, name, help, MetricKind::NativeHistogram, labels, &shape)
    }

    /// A family of counters whose series are made on first use of their
    /// label values: `hams.counter_vec("req_total", "Requests.", &["path", "code"])?
    /// .with(&["/", "200"])?.add(1.0)`. Its name must not be registered yet.
    pub fn counter_vec(&self, name: &str, help: &str, label_names: &[&str]) -> Result<MetricVec> {
        MetricVec::new(&self.metrics, name, help, MetricKind::Counter, label_names, Shape::Scalar)
    }

    /// A family of gauges with run-time label values (see `counter_vec`).
    pub fn gauge_vec(&self, name: &str, help: &str, label_names: &[&str]) -> Result<MetricVec> {
        MetricVec::new(&self.metrics, name, help, MetricKind::Gauge, label_names, Shape::Scalar)
    }

    /// A family of histograms with run-time label values, all with these
    /// bucket bounds (`&hams::DEFAULT_BUCKETS` for Prometheus' defaults).
    pub fn histogram_vec(&self, name: &str, help: &str, buckets: &[f64], label_names: &[&str]) -> Result<MetricVec> {
        let shape = shape_of(name, MetricKind::Histogram, Some(buckets), None)?;
        MetricVec::new(&self.metrics, name, help, MetricKind::Histogram, label_names, shape)
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
        let shape = shape_of(name, MetricKind::NativeHistogram, None, Some((bucket_factor, max_buckets)))?;
        MetricVec::new(&self.metrics, name, help, MetricKind::NativeHistogram, label_names, shape)
    }

    /// Installs (or removes) a function that appends exposition text to each
    /// scrape; it runs off the serving thread with the configured timeout,
    /// and output that is not valid is dropped and counted.
    pub fn set_metrics_callback(&self, f: Option<MetricsFn>) {
        self.collector.set(f);
    }

    /// The check as `GET <prefix>/<check>?verbose` would answer it:
    /// whether it passed, and the verbose text.
    pub fn report(&self, check: Check) -> (bool, String) {
        let mut opts = Options::new(Format::Text);
        opts.verbose = true;
        let mut body = Vec::new();
        let passed = render_check(&self.probes, check, &opts, now_ns(), &mut body);
        (passed, String::from_utf8_lossy(&body).into_owned())
    }
}

impl Drop for Hams {
    fn drop(&mut self) {
        if self.is_inherited() {
            // A forked child's copy: the threads, the listening socket, the
            // event loop and the watcher are the parent's. Joining or closing
            // them here would fail or disturb the parent: they are left alone.
            let mut c = lock(&self.control);
            std::mem::forget(c.running.take());
            std::mem::forget(c.notifier.take());
            drop(c);
            std::mem::forget(lock(&self.workers).take());
            return;
        }
        // Waits for a metrics callback in progress: it is not called after this.
        self.collector.set(None);
        let (running, notifier) = {
            let mut c = lock(&self.control);
            (c.running.take(), c.notifier.take())
        };
        drop(notifier);
        if let Some(running) = running {
            running.stop();
        }
        let _ = self.handle_signals(false);
        self.shutdown.cancel_and_join();
        lock(&self.declared).clear();
        self.scheduler.remove_all();
        lock(&self.workers).take();
    }
}

/// A registered probe; dropping it unregisters the probe (and, for a
/// callback probe, waits for a run in progress, then never calls it again).
///
/// ```
/// use hams::{Check, Checks, Hams};
/// let hams = Hams::new("my-service", "1.0.0")?;
/// // Healthy while kicked at least every 500 ms.
/// let main_loop = hams.probe_kick("loop", Checks::ALIVE, 500)?;
/// main_loop.kick()?;
/// assert!(main_loop.is_healthy());
/// // Healthy as long as the closure says so; run off the serving thread.
/// let _disk = hams.probe_callback("disk", Checks::READY, 1000, 200, || Ok(()))?;
/// drop(main_loop); // unregistered
/// assert!(!hams.report(Check::Alive).1.contains("loop"));
/// # Ok::<(), hams::Error>(())
/// ```
pub struct Probe {
    state: Arc<ProbeState>,
    probes: Weak<ProbeRegistry>,
    scheduler: Weak<ProbeScheduler>,
}

impl Probe {
    pub fn name(&self) -> &str {
        self.state.name()
    }

    pub fn checks(&self) -> Checks {
        self.state.checks()
    }

    /// Sets a manual probe's health; `reason` is shown when unhealthy.
    pub fn set(&self, healthy: bool, reason: Option<&str>) -> Result<()> {
        self.state.set(healthy, reason)
    }

    /// Kicks a kick probe: healthy for its margin from now.
    pub fn kick(&self) -> Result<()> {
        self.state.kick(now_ns())
    }

    pub fn is_healthy(&self) -> bool {
        self.state.is_healthy(now_ns())
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if let Some(probes) = self.probes.upgrade() {
            probes.remove(&self.state);
        }
        if let Some(scheduler) = self.scheduler.upgrade() {
            scheduler.remove(&self.state);
        }
    }
}

//! The safe Rust API: `Hams` (one health server) and `Probe` (an RAII guard
//! that unregisters its probe when dropped).

use crate::clock::now_ns;
use crate::config::{parse_address, Config};
use crate::error::{Error, Result};
use crate::health::checker::{CheckFn, Checker};
use crate::health::probe::ProbeState;
use crate::health::report::{self, Format, Options};
use crate::health::{Check, Checks};
use crate::server::{self, Limits, Running};
use crate::service::Service;
use crate::sync::lock;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

/// One health server with its probes.
pub struct Hams {
    svc: Arc<Service>,
    checker: Arc<Checker>,
    control: Mutex<Control>,
}

struct Control {
    address: SocketAddr,
    limits: Limits,
    running: Option<Running>,
}

impl Hams {
    /// A stopped server with the default address `0.0.0.0:8079`.
    pub fn new(service_name: &str, service_version: &str) -> Result<Hams> {
        Hams::with_config(Config::new(service_name, service_version))
    }

    pub fn with_config(config: Config) -> Result<Hams> {
        let address = config.validate()?;
        let svc = Service {
            name: config.service_name,
            version: config.service_version,
            prefix: config.prefix,
            registry: Default::default(),
        };
        Ok(Hams {
            svc: Arc::new(svc),
            checker: Arc::default(),
            control: Mutex::new(Control { address, limits: config.limits, running: None }),
        })
    }

    pub fn service_name(&self) -> &str {
        &self.svc.name
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

    /// Sets the connection limits and timeouts; only while stopped.
    pub fn set_limits(&self, limits: Limits) -> Result<()> {
        let mut config = Config::new(&self.svc.name, &self.svc.version);
        config.limits = limits.clone();
        config.validate()?;
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
        let mut c = lock(&self.control);
        if c.running.is_some() {
            return Err(Error::state("already started"));
        }
        c.running = Some(server::start(self.svc.clone(), c.address, c.limits.clone())?);
        Ok(())
    }

    /// The bound port while started.
    pub fn port(&self) -> Result<u16> {
        lock(&self.control).running.as_ref().map(Running::port).ok_or_else(|| Error::state("not started"))
    }

    /// Stops serving and joins the server thread; `start` may be called again.
    pub fn stop(&self) -> Result<()> {
        let running = lock(&self.control).running.take().ok_or_else(|| Error::state("not started"))?;
        running.stop();
        Ok(())
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

    /// A probe whose health is `check()`: `Ok(())` or `Err(reason)`. It runs
    /// off the serving thread, at once and then `interval_ms` after each run;
    /// a run longer than `timeout_ms` fails the probe.
    pub fn probe_callback<F>(&self, name: &str, checks: Checks, interval_ms: u64, timeout_ms: u64, check: F) -> Result<Probe>
    where
        F: FnMut() -> std::result::Result<(), String> + Send + 'static,
    {
        if interval_ms == 0 || timeout_ms == 0 {
            return Err(Error::invalid("interval_ms and timeout_ms must be greater than zero"));
        }
        let probe = self.register(ProbeState::callback(name, checks, timeout_ms))?;
        let func: CheckFn = Box::new(check);
        self.checker.add(probe.state.clone(), func, interval_ms)?;
        Ok(probe)
    }

    fn register(&self, state: ProbeState) -> Result<Probe> {
        let state = Arc::new(state);
        self.svc.registry.add(state.clone())?;
        Ok(Probe { state, svc: Arc::downgrade(&self.svc), checker: Arc::downgrade(&self.checker) })
    }

    /// The check as `GET <prefix>/<check>?verbose` would answer it:
    /// whether it passed, and the verbose text.
    pub fn report(&self, check: Check) -> (bool, String) {
        let mut opts = Options::new(Format::Text);
        opts.verbose = true;
        let mut body = Vec::new();
        let passed = report::render_check(&self.svc.registry, check, &opts, now_ns(), &mut body);
        (passed, String::from_utf8_lossy(&body).into_owned())
    }
}

impl Drop for Hams {
    fn drop(&mut self) {
        if let Some(running) = lock(&self.control).running.take() {
            running.stop();
        }
        self.checker.remove_all();
    }
}

/// A registered probe; dropping it unregisters the probe (and, for a
/// callback probe, waits for a run in progress, then never calls it again).
pub struct Probe {
    state: Arc<ProbeState>,
    svc: Weak<Service>,
    checker: Weak<Checker>,
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
        if let Some(svc) = self.svc.upgrade() {
            svc.registry.remove(&self.state);
        }
        if let Some(checker) = self.checker.upgrade() {
            checker.remove(&self.state);
        }
    }
}

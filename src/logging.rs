//! hams logs through the `log` facade. A Rust host keeps its own logger; a C
//! host gets hams' logger, which writes warnings and errors to stderr with a
//! `hams: ` prefix, or hands records to a callback of the application.

use crate::error::{Error, Result};
use crate::sync::{read, write};
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::cell::Cell;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Receives (level, target, message) of each record.
pub type LogCallback = Box<dyn Fn(Level, &str, &str) + Send + Sync>;

struct HamsLogger {
    /// Held only to copy or replace the callback, never while it runs: a
    /// `fork()` while another thread is inside the callback would otherwise
    /// leave the child a lock that nobody will release.
    sink: RwLock<Option<Arc<LogCallback>>>,
}

static LOGGER: HamsLogger = HamsLogger { sink: RwLock::new(None) };
/// Callbacks running now: pid << 32 | count. Tagged with the pid so that a
/// forked child, whose copy may count a run of a thread it does not have,
/// starts again from zero instead of waiting for it forever.
static RUNNING: AtomicU64 = AtomicU64::new(0);

fn running_add(delta: i64) {
    let pid = u64::from(crate::process::current_pid());
    let _ = RUNNING.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
        let count = if v >> 32 == pid { v & 0xffff_ffff } else { 0 };
        Some(pid << 32 | count.saturating_add_signed(delta))
    });
}

/// Waits until no callback of this process is running.
fn wait_for_runs() {
    let pid = u64::from(crate::process::current_pid());
    loop {
        let v = RUNNING.load(Ordering::Acquire);
        if v >> 32 != pid || v & 0xffff_ffff == 0 {
            return;
        }
        std::thread::yield_now();
    }
}
/// Whether `LOGGER` became the process's logger (false: another one was there).
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while a record is being delivered, so that a callback that logs
    /// (through hams) cannot recurse.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

impl Log for HamsLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) || DELIVERING.with(|d| d.replace(true)) {
            return;
        }
        let message = record.args().to_string();
        running_add(1);
        let sink = read(&self.sink).clone();
        match sink {
            Some(callback) => callback(record.level(), record.target(), &message),
            None => {
                let _ =
                    writeln!(std::io::stderr().lock(), "hams: {}: {}", record.level().as_str().to_lowercase(), message);
            }
        }
        running_add(-1);
        DELIVERING.with(|d| d.set(false));
    }

    fn flush(&self) {}
}

/// Installs hams' logger (stderr, warnings and errors) unless the process
/// already has a logger. Returns whether hams' logger is in charge.
pub fn install_default() -> bool {
    *INSTALLED.get_or_init(|| {
        let ok = log::set_logger(&LOGGER).is_ok();
        if ok {
            log::set_max_level(LevelFilter::Warn);
        }
        ok
    })
}

/// Routes records up to `max_level` to `callback`, or to stderr when `None`.
pub fn set_sink(callback: Option<LogCallback>, max_level: LevelFilter) -> Result<()> {
    if !install_default() {
        return Err(Error::state("another logger is installed in this process; hams logs through it"));
    }
    let old = std::mem::replace(&mut *write(&LOGGER.sink), callback.map(Arc::new));
    // When this returns the old callback runs no more: its `user` may go.
    wait_for_runs();
    drop(old);
    log::set_max_level(max_level);
    Ok(())
}

/// Levels as the C API numbers them: 0 off, 1 error .. 5 trace.
pub fn level_filter_from_int(level: i32) -> Option<LevelFilter> {
    Some(match level {
        0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        4 => LevelFilter::Debug,
        5 => LevelFilter::Trace,
        _ => return None,
    })
}

pub fn level_to_int(level: Level) -> i32 {
    level as i32
}

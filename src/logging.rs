//! hams logs through the `log` facade. A Rust host keeps its own logger; a C
//! host gets hams' logger, which writes warnings and errors to stderr with a
//! `hams: ` prefix, or hands records to a callback of the application.

use crate::error::{Error, Result};
use crate::sync::{read, write};
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::cell::Cell;
use std::io::Write;
use std::sync::{OnceLock, RwLock};

/// Receives (level, target, message) of each record.
pub type LogCallback = Box<dyn Fn(Level, &str, &str) + Send + Sync>;

struct HamsLogger {
    sink: RwLock<Option<LogCallback>>,
}

static LOGGER: HamsLogger = HamsLogger { sink: RwLock::new(None) };
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
        match &*read(&self.sink) {
            Some(callback) => callback(record.level(), record.target(), &message),
            None => {
                let _ =
                    writeln!(std::io::stderr().lock(), "hams: {}: {}", record.level().as_str().to_lowercase(), message);
            }
        }
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
    *write(&LOGGER.sink) = callback;
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

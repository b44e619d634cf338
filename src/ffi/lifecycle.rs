//! Configuration files, the shutdown sequence and signals.

use super::handles::{hams_t, handle, new_hams};
use super::{guard, null, str_arg, UserPtr};
use crate::config;
use crate::handle::Hams;
use std::ffi::{c_char, c_int, c_void};
use std::time::Duration;

/// Creates a stopped health server from a YAML configuration file, then
/// environment overrides (HAMS_ADDRESS and the like; see hams_config(5)).
/// Probes the file declares are created and found with hams_probe_get().
/// Returns NULL on error: HAMS_ERR_CONFIG names the file, line, key and problem.
#[no_mangle]
pub unsafe extern "C" fn hams_new_from_file(path: *const c_char) -> *mut hams_t {
    guard(|| {
        crate::logging::install_default();
        let path = str_arg(path, "path")?;
        Ok(new_hams(Hams::with_config(config::from_file(path)?)?))
    })
}

/// Like hams_new_from_file(), from YAML text in memory.
#[no_mangle]
pub unsafe extern "C" fn hams_new_from_yaml(text: *const c_char) -> *mut hams_t {
    guard(|| {
        crate::logging::install_default();
        let text = str_arg(text, "text")?;
        Ok(new_hams(Hams::with_config(config::from_yaml(text)?)?))
    })
}

/// A shutdown callback: called once, on a hams thread, after the drain.
pub type hams_shutdown_fn = Option<unsafe extern "C" fn(user: *mut c_void)>;

/// Adds `callback(user)` to run once when shutdown is requested, after the
/// drain time, on a hams thread. Callbacks run in the order added.
#[no_mangle]
pub unsafe extern "C" fn hams_on_shutdown(h: *mut hams_t, callback: hams_shutdown_fn, user: *mut c_void) -> c_int {
    guard(|| {
        let h = handle(h)?;
        let f = callback.ok_or_else(|| null("callback"))?;
        let user = UserPtr::new(user);
        // SAFETY: the callback's contract is in hams.h.
        h.core.on_shutdown(move || unsafe { f(user.get()) })
    })
}

/// Starts the graceful shutdown sequence: readiness fails at once, and after
/// the drain time the shutdown callbacks run. Calling it again is harmless.
#[no_mangle]
pub unsafe extern "C" fn hams_shutdown(h: *mut hams_t) -> c_int {
    guard(|| {
        let h = handle(h)?;
        h.core.serving()?;
        h.core.shutdown();
        Ok(())
    })
}

/// Blocks until the shutdown sequence is done (the drain has passed and the
/// callbacks have run): returns 1, the application should now stop. Returns
/// 0 when `timeout_ms` passed first; -1 waits forever. Negative HAMS_ERR_*
/// codes on error.
#[no_mangle]
pub unsafe extern "C" fn hams_wait(h: *mut hams_t, timeout_ms: i64) -> c_int {
    guard(|| {
        let h = handle(h)?;
        h.core.serving()?;
        let timeout = match timeout_ms {
            -1 => None,
            t if t >= 0 => Some(Duration::from_millis(t as u64)),
            t => return Err(crate::Error::invalid(format!("timeout_ms {t} is negative (only -1 means forever)"))),
        };
        Ok(c_int::from(h.core.wait(timeout)))
    })
}

/// 1 when `h` handles SIGTERM and SIGINT (see hams_handle_signals(); the
/// configuration can turn it on), 0 when not, a negative code on error.
#[no_mangle]
pub unsafe extern "C" fn hams_handles_signals(h: *const hams_t) -> c_int {
    guard(|| Ok(c_int::from(handle(h)?.core.handles_signals())))
}

/// Makes hams handle SIGTERM and SIGINT (`on` true) or restores the previous
/// handlers (false). Off by default. One hams_t per process may handle them;
/// previous handlers are chained to. Signals are acted on while started.
#[no_mangle]
pub unsafe extern "C" fn hams_handle_signals(h: *mut hams_t, on: bool) -> c_int {
    guard(|| handle(h)?.core.handle_signals(on))
}

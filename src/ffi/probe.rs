//! `hams_probe_t`: manual, kick and callback probes.

use super::handles::{adopt, find, free, hams_probe_t, hams_t, handle};
use super::{guard, null, str_arg, UserPtr};
use crate::error::{Error, Result};
use crate::handle::Probe;
use crate::health::Checks;
use std::ffi::{c_char, c_int, c_uint, c_void};

/// A check callback: returns true when healthy. It may write a NUL-terminated
/// reason of at most `reason_len` bytes (including the NUL) into `reason`.
pub type hams_check_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, reason: *mut c_char, reason_len: usize) -> bool>;

/// The size of the reason buffer handed to a check callback.
const REASON_BUF: usize = crate::health::MAX_REASON_LEN;

unsafe fn add(
    h: *mut hams_t,
    name: *const c_char,
    checks: c_uint,
    make: impl FnOnce(&crate::Hams, &str, Checks) -> Result<Probe>,
) -> Result<*mut hams_probe_t> {
    let owner = handle(h)?;
    let name = str_arg(name, "name")?;
    let checks = Checks::from_bits(checks)?;
    let probe = make(&owner.core, name, checks)?;
    adopt(h, probe)
}

/// Creates a probe that the application sets with hams_probe_set(),
/// initially `healthy`. `checks` is a non-zero OR of HAMS_ALIVE, HAMS_READY,
/// HAMS_STARTUP; `name` is 1-64 characters of [A-Za-z0-9_.-], unique in `h`.
/// Returns NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_new_manual(
    h: *mut hams_t,
    name: *const c_char,
    checks: c_uint,
    healthy: bool,
) -> *mut hams_probe_t {
    guard(|| add(h, name, checks, |core, name, checks| core.probe_manual(name, checks, healthy)))
}

/// Creates a probe that is healthy while less than `margin_ms` (> 0) has
/// passed since its last hams_probe_kick() or its creation, on a monotonic
/// clock. Returns NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_new_kick(
    h: *mut hams_t,
    name: *const c_char,
    checks: c_uint,
    margin_ms: u64,
) -> *mut hams_probe_t {
    guard(|| add(h, name, checks, |core, name, checks| core.probe_kick(name, checks, margin_ms)))
}

/// Creates a probe whose health is the result of `callback(user, reason,
/// reason_len)`, run on a hams thread (never the serving thread): at once,
/// then `interval_ms` after each run ends. A run still going after
/// `timeout_ms` fails the probe ("check timed out after N ms") without
/// delaying responses or other probes. Before the first result the probe
/// fails ("not checked yet"). Returns NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_new_callback(
    h: *mut hams_t,
    name: *const c_char,
    checks: c_uint,
    callback: hams_check_fn,
    user: *mut c_void,
    interval_ms: u64,
    timeout_ms: u64,
) -> *mut hams_probe_t {
    guard(|| {
        let callback = callback.ok_or_else(|| null("callback"))?;
        let user = UserPtr::new(user);
        add(h, name, checks, |core, name, checks| {
            core.probe_callback(name, checks, interval_ms, timeout_ms, move || {
                let mut reason = [0 as c_char; REASON_BUF];
                // SAFETY: the callback's contract is in hams.h.
                let healthy = unsafe { callback(user.get(), reason.as_mut_ptr(), REASON_BUF) };
                if healthy {
                    Ok(())
                } else {
                    Err(reason_text(&reason))
                }
            })
        })
    })
}

/// The text up to the first NUL (or the whole buffer), lossily as UTF-8.
fn reason_text(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Manual and callback probes: the probe's state turns only after
/// `failures` failed results in a row (to unhealthy) or `successes` good
/// ones (to healthy); defaults 1 and 1, each at least 1 (HAMS_ERR_INVALID
/// otherwise, and for kick probes). While failures stay below the
/// threshold the probe stays healthy; when it turns, its reason is the last
/// failure's.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_set_thresholds(p: *mut hams_probe_t, failures: u32, successes: u32) -> c_int {
    guard(|| handle(p)?.probe.set_thresholds(failures, successes))
}

/// Sets a manual probe's health. `reason` (may be NULL) is shown while it is
/// unhealthy; control characters are replaced and it is cut to 256 bytes.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_set(p: *mut hams_probe_t, healthy: bool, reason: *const c_char) -> c_int {
    guard(|| {
        let p = handle(p)?;
        let reason = if reason.is_null() { None } else { Some(str_arg(reason, "reason")?) };
        p.probe.set(healthy, reason)
    })
}

/// Kicks a kick probe: it is healthy for its margin from now.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_kick(p: *mut hams_probe_t) -> c_int {
    guard(|| handle(p)?.probe.kick())
}

/// The probe named `name` of `h`: one declared in its configuration (see
/// hams_new_from_file()) or created through `h`. The handle stays owned by
/// `h`; calling this twice gives the same handle. NULL when there is none.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_get(h: *mut hams_t, name: *const c_char) -> *mut hams_probe_t {
    guard(|| {
        let owner = handle(h)?;
        let name = str_arg(name, "name")?;
        find(owner, |p: &hams_probe_t| p.probe.name() == name)
            .ok_or_else(|| Error::invalid(format!("no probe named '{name}'")))
    })
}

/// Unregisters and frees a probe. For a callback probe it waits for a run in
/// progress (unless called from inside that run); the callback is never
/// called after this returns.
#[no_mangle]
pub unsafe extern "C" fn hams_probe_free(p: *mut hams_probe_t) -> c_int {
    guard(|| free(p))
}

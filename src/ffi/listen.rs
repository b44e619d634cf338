//! Status listeners and the state of a check (see hams_on_change(3)).

use super::handles::{hams_t, handle};
use super::{guard, null, UserPtr};
use crate::error::Error;
use crate::health::Check;
use std::ffi::{c_char, c_int, c_uint, c_void, CString};

/// A status listener: `name` is a check ("alive", "ready", "startup") or a
/// probe; `reason` is "" when healthy. Both strings are valid only during
/// the call.
pub type hams_change_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, name: *const c_char, healthy: bool, reason: *const c_char)>;

/// Calls `fn(user, name, healthy, reason)` for each check and each probe
/// whose state changes, in the order of the changes, on a hams thread
/// (never the serving thread); first once with the current state of each.
/// Changes caused by time alone (a kick probe's margin passing, a callback
/// timing out) are delivered within 100 ms. A listener that is slow gets
/// the changes made meanwhile as the latest state per name, and a warning
/// in the log; it never delays the HTTP endpoints or the shutdown sequence.
/// A listener may call other hams functions. If it frees `h`, hams_free()
/// returns without waiting for it and it is not called again. Listeners
/// stay until hams_free().
#[no_mangle]
pub unsafe extern "C" fn hams_on_change(h: *mut hams_t, callback: hams_change_fn, user: *mut c_void) -> c_int {
    guard(|| {
        let h = handle(h)?;
        let f = callback.ok_or_else(|| null("callback"))?;
        let user = UserPtr::new(user);
        h.core.on_change(move |name, healthy, reason| {
            // Names and reasons never hold NUL (validated, sanitised).
            let name = CString::new(name).unwrap_or_default();
            let reason = CString::new(reason).unwrap_or_default();
            // SAFETY: the callback's contract is in hams.h.
            unsafe { f(user.get(), name.as_ptr(), healthy, reason.as_ptr()) }
        })
    })
}

/// Whether `check` (one of HAMS_ALIVE, HAMS_READY, HAMS_STARTUP) passes
/// now: 1 passes, 0 fails, a negative HAMS_ERR_* code on error.
#[no_mangle]
pub unsafe extern "C" fn hams_check_state(h: *mut hams_t, check: c_uint) -> c_int {
    guard(|| {
        let h = handle(h)?;
        let check = Check::ALL.into_iter().find(|c| c.bit() == check).ok_or_else(|| {
            Error::invalid(format!("check {check} is not one of HAMS_ALIVE (1), HAMS_READY (2), HAMS_STARTUP (4)"))
        })?;
        Ok(c_int::from(h.core.check_state(check)))
    })
}

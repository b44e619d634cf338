//! `Probe`: one registered probe; dropping it frees it (`hams_probe_free`).
//! A callback probe's closure lives in the probe, called by libhams through
//! `run_check` on its own threads.

use crate::checks::Checks;
use crate::error::{c_string, check, Result};
use crate::life::Life;
use libc::{c_char, c_void, size_t};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// What a callback probe runs: `Ok(())` healthy, `Err(reason)` not.
pub(crate) type CheckFn = Box<dyn FnMut() -> std::result::Result<(), String> + Send>;

/// A callback probe's closure, at a fixed address for libhams' `user`.
pub(crate) struct CheckSlot(Mutex<CheckFn>);

impl CheckSlot {
    pub(crate) fn new(f: CheckFn) -> Box<CheckSlot> {
        Box::new(CheckSlot(Mutex::new(f)))
    }
}

/// libhams' `hams_check_fn` for a `CheckSlot`. A panic is caught here (it
/// must not unwind into C) and fails the probe.
pub(crate) unsafe extern "C" fn run_check(user: *mut c_void, reason: *mut c_char, reason_len: size_t) -> bool {
    // SAFETY: `user` is the CheckSlot the probe owns; libhams calls this
    // only until hams_probe_free (or hams_free) has returned.
    let slot = unsafe { &*(user as *const CheckSlot) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut f = slot.0.lock().unwrap_or_else(|e| e.into_inner());
        f()
    }));
    let text = match outcome {
        Ok(Ok(())) => return true,
        Ok(Err(text)) => text,
        Err(_) => "the check panicked".to_string(),
    };
    if !reason.is_null() && reason_len > 0 {
        // At most reason_len - 1 bytes, cut at a character boundary, then NUL.
        let mut n = text.len().min(reason_len - 1);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        let bytes = text.as_bytes()[..n].iter().map(|&b| if b == 0 { b' ' } else { b });
        for (i, b) in bytes.enumerate() {
            // SAFETY: i < n < reason_len, the buffer's length.
            unsafe { *reason.add(i) = b as c_char };
        }
        // SAFETY: n < reason_len.
        unsafe { *reason.add(n) = 0 };
    }
    false
}

/// A registered probe; dropping it unregisters the probe (and, for a
/// callback probe, waits for a run in progress, then never calls it again).
pub struct Probe {
    pub(crate) ptr: *mut hams_sys::hams_probe_t,
    pub(crate) life: Arc<Life>,
    pub(crate) name: String,
    pub(crate) checks: Checks,
    /// Freed after the probe: libhams no longer calls it then.
    pub(crate) _callback: Option<Box<CheckSlot>>,
}

// SAFETY: every libhams function is thread-safe; the handle is used only
// while `life` says the server exists.
unsafe impl Send for Probe {}
unsafe impl Sync for Probe {}

impl Probe {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn checks(&self) -> Checks {
        self.checks
    }

    /// Sets a manual probe's health; `reason` is shown when unhealthy.
    /// After the `Hams` is gone, nothing is served and this does nothing.
    pub fn set(&self, healthy: bool, reason: Option<&str>) -> Result<()> {
        // libhams shows control characters as spaces; a NUL, which C cannot
        // carry, likewise.
        let reason = reason.map(|r| c_string("reason", &r.replace('\0', " "))).transpose()?;
        let reason_ptr = reason.as_ref().map_or(std::ptr::null(), |r| r.as_ptr());
        // SAFETY: a live probe handle and a C string (or NULL) valid for the call.
        self.life.with(|| check(unsafe { hams_sys::hams_probe_set(self.ptr, healthy, reason_ptr) })).transpose()?;
        Ok(())
    }

    /// Makes a manual or callback probe tolerate blips: it turns unhealthy
    /// only after `failures` failed results in a row, healthy again after
    /// `successes` good ones (both at least 1; 1 and 1 by default).
    pub fn set_thresholds(&self, failures: u32, successes: u32) -> Result<()> {
        // SAFETY: a live probe handle.
        self.life
            .with(|| check(unsafe { hams_sys::hams_probe_set_thresholds(self.ptr, failures, successes) }))
            .transpose()?;
        Ok(())
    }

    /// Kicks a kick probe: healthy for its margin from now.
    pub fn kick(&self) -> Result<()> {
        // SAFETY: a live probe handle.
        self.life.with(|| check(unsafe { hams_sys::hams_probe_kick(self.ptr) })).transpose()?;
        Ok(())
    }

    /// The probe's `hams_probe_t *`, for C code (or another language) in
    /// this process; valid while this `Probe` and its `Hams` exist.
    pub fn as_ptr(&self) -> *mut hams_sys::hams_probe_t {
        self.ptr
    }
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").field("name", &self.name).field("checks", &self.checks).finish()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // SAFETY: a live probe handle, freed once; afterwards its callback
        // (dropped below) is never called again.
        self.life.with(|| unsafe { hams_sys::hams_probe_free(self.ptr) });
    }
}

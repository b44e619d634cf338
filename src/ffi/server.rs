//! `hams_t`: create, configure, start, stop, free.

use super::{guard, guard_ptr, handle, str_arg, Handle, HAMS_OK};
use crate::handle::Hams;
use std::ffi::{c_char, c_int};

/// One health server (opaque). Create with hams_new(), free with hams_free().
pub struct hams {
    magic: u64,
    pub(super) core: Hams,
    /// The probes created through this handle; hams_free frees them.
    pub(super) probes: super::Owned<super::probe::hams_probe>,
    /// Likewise the metrics.
    pub(super) metrics: super::Owned<super::metrics::hams_metric>,
}

/// The type applications name: `hams_t *h = hams_new(...)`.
pub type hams_t = hams;

impl Handle for hams {
    const MAGIC: u64 = 0x6861_6d73_5f68_616e; // "hams_han"
    const WHAT: &'static str = "hams";
    fn magic(&self) -> u64 {
        self.magic
    }
}

/// Creates a stopped health server for the service `service_name` at
/// `service_version` (both non-empty UTF-8 without control characters), with
/// the default address "0.0.0.0:8079". Returns NULL on error. Free it with
/// hams_free().
#[no_mangle]
pub unsafe extern "C" fn hams_new(service_name: *const c_char, service_version: *const c_char) -> *mut hams_t {
    guard_ptr(|| {
        crate::logging::install_default();
        let name = str_arg(service_name, "service_name")?;
        let version = str_arg(service_version, "service_version")?;
        Ok(wrap(Hams::new(name, version)?))
    })
}

/// Boxes `core` as a handle, with handles for its declared probes.
pub(super) fn wrap(core: Hams) -> *mut hams_t {
    let declared: Vec<String> = core.declared_probe_names();
    let h = Box::into_raw(Box::new(hams {
        magic: hams::MAGIC,
        core,
        probes: Default::default(),
        metrics: Default::default(),
    }));
    // SAFETY: `h` was just created and is not shared yet.
    let owner = unsafe { &*h };
    for name in declared {
        if let Some(probe) = owner.core.take_probe(&name) {
            super::probe::adopt(owner, h, probe);
        }
    }
    h
}

/// Sets the address to listen on, "IP:PORT" ("[::1]:8079" for IPv6); port 0
/// picks a free port (see hams_port()). Only while stopped.
#[no_mangle]
pub unsafe extern "C" fn hams_set_address(h: *mut hams_t, host_port: *const c_char) -> c_int {
    guard(|| {
        let h = handle(h)?;
        h.core.set_address(str_arg(host_port, "host_port")?)?;
        Ok(HAMS_OK)
    })
}

/// Binds the address and serves on a background thread. Binding happens
/// before this returns: a port in use is HAMS_ERR_IO.
#[no_mangle]
pub unsafe extern "C" fn hams_start(h: *mut hams_t) -> c_int {
    guard(|| {
        handle(h)?.core.start()?;
        Ok(HAMS_OK)
    })
}

/// The bound port (> 0) while started; HAMS_ERR_STATE otherwise.
#[no_mangle]
pub unsafe extern "C" fn hams_port(h: *const hams_t) -> c_int {
    guard(|| Ok(c_int::from(handle(h)?.core.port()?)))
}

/// Stops serving, closes the listener and connections, joins the server
/// thread. The server may be started again.
#[no_mangle]
pub unsafe extern "C" fn hams_stop(h: *mut hams_t) -> c_int {
    guard(|| {
        handle(h)?.core.stop()?;
        Ok(HAMS_OK)
    })
}

/// Stops the server if running and frees it with all its probes (their
/// handles become invalid). Waits for callback checks in progress. NULL is
/// a no-op.
#[no_mangle]
pub unsafe extern "C" fn hams_free(h: *mut hams_t) {
    if h.is_null() {
        return;
    }
    guard(|| {
        handle(h)?;
        (*h).probes.release_all();
        (*h).metrics.release_all();
        (*h).magic = 0;
        drop(Box::from_raw(h));
        Ok(HAMS_OK)
    });
}

//! `hams_t`: create, configure, start, stop, free.

use super::handles::{free, hams_t, handle, new_hams};
use super::{guard, str_arg};
use crate::handle::Hams;
use std::ffi::{c_char, c_int};

/// Creates a stopped health server for the service `service_name` at
/// `service_version` (both non-empty UTF-8 without control characters), with
/// the default address "0.0.0.0:8079". Returns NULL on error. Free it with
/// hams_free().
#[no_mangle]
pub unsafe extern "C" fn hams_new(service_name: *const c_char, service_version: *const c_char) -> *mut hams_t {
    guard(|| {
        crate::logging::install_default();
        let name = str_arg(service_name, "service_name")?;
        let version = str_arg(service_version, "service_version")?;
        Ok(new_hams(Hams::new(name, version)?))
    })
}

/// Sets the address to listen on, "IP:PORT" ("[::1]:8079" for IPv6); port 0
/// picks a free port (see hams_port()). Only while stopped.
#[no_mangle]
pub unsafe extern "C" fn hams_set_address(h: *mut hams_t, host_port: *const c_char) -> c_int {
    guard(|| handle(h)?.core.set_address(str_arg(host_port, "host_port")?))
}

/// Names the language runtime and binding that host hams, e.g. "CPython
/// 3.11.7", "hams-python", "0.2.0": `/hams/version` then carries them as
/// "runtime", "library" and "library_version", and `hams_build_info` as labels
/// of the same names. Each: non-empty UTF-8, no control characters, at most
/// 128 bytes (else HAMS_ERR_INVALID). Only while stopped (HAMS_ERR_STATE
/// once started). Bindings call it; a C program may.
#[no_mangle]
pub unsafe extern "C" fn hams_set_runtime(
    h: *mut hams_t,
    runtime: *const c_char,
    library: *const c_char,
    library_version: *const c_char,
) -> c_int {
    guard(|| {
        let h = handle(h)?;
        let runtime = str_arg(runtime, "runtime")?;
        let library = str_arg(library, "library")?;
        h.core.set_runtime(runtime, library, str_arg(library_version, "library_version")?)
    })
}

/// Binds the address and serves on a background thread. Binding happens
/// before this returns: a port in use is HAMS_ERR_IO.
#[no_mangle]
pub unsafe extern "C" fn hams_start(h: *mut hams_t) -> c_int {
    guard(|| handle(h)?.core.start())
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
    guard(|| handle(h)?.core.stop())
}

/// Stops the server if running and frees it with all its probes (their
/// handles become invalid). Waits for callback checks in progress. NULL is
/// a no-op.
#[no_mangle]
pub unsafe extern "C" fn hams_free(h: *mut hams_t) {
    if h.is_null() {
        return;
    }
    guard(|| free(h));
}

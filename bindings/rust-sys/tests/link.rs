//! The crate links the library pkg-config found, and calls into it.

use std::ffi::{CStr, CString};

#[test]
fn version_and_errors_come_from_the_library() {
    // SAFETY: hams_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(hams_sys::hams_version()) }.to_str().expect("UTF-8");
    assert!(version.starts_with("0."), "{version}");

    let bad = CString::new("").expect("no NUL");
    // SAFETY: valid C strings; an empty name is refused with NULL.
    let h = unsafe { hams_sys::hams_new(bad.as_ptr(), bad.as_ptr()) };
    assert!(h.is_null());
    // SAFETY: no arguments; the message is valid until the next failing call.
    assert_eq!(unsafe { hams_sys::hams_last_error_code() }, hams_sys::HAMS_ERR_INVALID);
    let message = unsafe { CStr::from_ptr(hams_sys::hams_last_error()) }.to_string_lossy().into_owned();
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn a_server_starts_on_a_free_port() {
    let (name, ver, addr) = (c"sys-test", c"1.0.0", c"127.0.0.1:0");
    // SAFETY: valid C strings and a handle used only until hams_free.
    unsafe {
        let h = hams_sys::hams_new(name.as_ptr(), ver.as_ptr());
        assert!(!h.is_null());
        assert_eq!(hams_sys::hams_set_address(h, addr.as_ptr()), hams_sys::HAMS_OK);
        let p = hams_sys::hams_probe_new_manual(h, c"db".as_ptr(), hams_sys::HAMS_READY, true);
        assert!(!p.is_null());
        assert_eq!(hams_sys::hams_start(h), hams_sys::HAMS_OK);
        assert!(hams_sys::hams_port(h) > 0);
        assert_eq!(hams_sys::hams_probe_get(h, c"db".as_ptr()), p);
        hams_sys::hams_free(h);
    }
}

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

#[test]
fn a_status_listener_is_told_the_current_states() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static UNHEALTHY_READY: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn changed(
        _user: *mut libc::c_void,
        name: *const libc::c_char,
        healthy: bool,
        _reason: *const libc::c_char,
    ) {
        // SAFETY: libhams passes a NUL-terminated name valid during the call.
        if !healthy && unsafe { CStr::from_ptr(name) }.to_bytes() == b"ready" {
            UNHEALTHY_READY.fetch_add(1, Ordering::SeqCst);
        }
    }
    // SAFETY: valid C strings and a handle used only until hams_free.
    unsafe {
        let h = hams_sys::hams_new(c"sys-listen".as_ptr(), c"1".as_ptr());
        assert!(!h.is_null());
        let p = hams_sys::hams_probe_new_manual(h, c"db".as_ptr(), hams_sys::HAMS_READY, false);
        assert_eq!(hams_sys::hams_probe_set_thresholds(p, 2, 1), hams_sys::HAMS_OK);
        assert_eq!(hams_sys::hams_on_change(h, Some(changed), std::ptr::null_mut()), hams_sys::HAMS_OK);
        assert_eq!(hams_sys::hams_check_state(h, hams_sys::HAMS_READY), 0);
        assert_eq!(hams_sys::hams_check_state(h, hams_sys::HAMS_ALIVE), 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while UNHEALTHY_READY.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(UNHEALTHY_READY.load(Ordering::SeqCst), 1, "the first call tells ready's state");
        hams_sys::hams_free(h);
    }
}

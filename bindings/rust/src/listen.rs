//! Status listeners: a closure called by libhams (`hams_on_change`) on its
//! listener thread for each change of a check or probe.
//!
//! The closure lives in an `Arc` whose raw pointer is libhams' `user`: the
//! `Hams` holds one reference until `hams_free` has returned, and each call
//! holds another, so that a listener dropping its own `Hams` (`hams_free`
//! then returns at once) does not free the closure it is running.

use libc::{c_char, c_void};
use std::borrow::Cow;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

pub(crate) type ChangeFn = Box<dyn FnMut(&str, bool, &str) + Send>;

pub(crate) struct Listener(Mutex<ChangeFn>);

/// `Arc::into_raw` of a `Listener`: one reference, given back by `release`.
pub(crate) struct ListenerRef(*const Listener);

impl ListenerRef {
    pub(crate) fn new(f: ChangeFn) -> ListenerRef {
        ListenerRef(Arc::into_raw(Arc::new(Listener(Mutex::new(f)))))
    }

    /// libhams' `user` pointer.
    pub(crate) fn user(&self) -> *mut c_void {
        self.0 as *mut c_void
    }

    /// Drops this reference.
    ///
    /// # Safety
    /// libhams no longer calls the listener outside a call in progress
    /// (the registration failed, or `hams_free` has returned).
    pub(crate) unsafe fn release(self) {
        // SAFETY: the reference `new` made, given back once.
        drop(unsafe { Arc::from_raw(self.0) });
    }
}

fn text(s: *const c_char) -> Cow<'static, str> {
    if s.is_null() {
        return Cow::Borrowed("");
    }
    // SAFETY: libhams passes NUL-terminated strings valid during the call;
    // the owned copy outlives it.
    Cow::Owned(unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

/// libhams' `hams_change_fn` for a `ListenerRef`. A panic is caught here:
/// it must not unwind into C.
pub(crate) unsafe extern "C" fn run_change(
    user: *mut c_void,
    name: *const c_char,
    healthy: bool,
    reason: *const c_char,
) {
    let ptr = user as *const Listener;
    // SAFETY: `user` is a live ListenerRef's pointer (the Hams keeps its
    // reference while libhams may start a call); this call takes its own.
    let listener = unsafe {
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    };
    let (name, reason) = (text(name), text(reason));
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let mut f = listener.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&name, healthy, &reason);
    }));
}

//! Arguments C passes that are not handles: strings and callback user pointers.

use super::error::null;
use crate::error::{Error, Result};
use std::ffi::{c_char, c_void, CStr};

/// Borrows a C string argument as UTF-8.
pub(super) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null(what));
    }
    CStr::from_ptr(p).to_str().map_err(|e| Error::invalid(format!("{what} is not valid UTF-8 ({e})")))
}

/// The `void *user` an application passes with a callback.
pub(super) struct UserPtr(*mut c_void);

// SAFETY: every function taking a callback documents that the callback and
// its `user` are called from hams' threads, so the application vouches for
// them being usable there; hams never dereferences the pointer itself.
unsafe impl Send for UserPtr {}
unsafe impl Sync for UserPtr {}

impl UserPtr {
    pub(super) fn new(user: *mut c_void) -> Self {
        UserPtr(user)
    }

    // A method (not `.0`) so that closures capture the whole `Send` wrapper.
    pub(super) fn get(&self) -> *mut c_void {
        self.0
    }
}

//! Rust label lists as C's NULL-terminated arrays of strings.

use crate::error::{c_string, Result};
use libc::c_char;
use std::ffi::CString;

/// `{"a", "b", NULL}`: the strings and the pointer array into them.
pub(crate) struct CStrings {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

// SAFETY: the pointers point into `strings`, owned and never changed.
unsafe impl Send for CStrings {}
unsafe impl Sync for CStrings {}

impl CStrings {
    pub(crate) fn new<'a>(what: &str, items: impl IntoIterator<Item = &'a str>) -> Result<CStrings> {
        let strings = items.into_iter().map(|s| c_string(what, s)).collect::<Result<Vec<_>>>()?;
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Ok(CStrings { strings, ptrs })
    }

    /// `[("queue", "mail")]` as `{"queue", "mail", NULL}`.
    pub(crate) fn pairs(labels: &[(&str, &str)]) -> Result<CStrings> {
        CStrings::new("label", labels.iter().flat_map(|(k, v)| [*k, *v]))
    }

    /// An exemplar's labels, likewise (an empty list is an exemplar without labels).
    pub(crate) fn exemplar(labels: &[(&str, &str)]) -> Result<CStrings> {
        CStrings::new("exemplar label", labels.iter().flat_map(|(k, v)| [*k, *v]))
    }

    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        debug_assert_eq!(self.ptrs.len(), self.strings.len() + 1);
        self.ptrs.as_ptr()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        // Every string came from a &str: valid UTF-8.
        self.strings.iter().map(|s| s.to_str().unwrap_or_default())
    }
}

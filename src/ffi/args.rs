//! Arguments C passes that are not handles: strings, arrays and callback
//! user pointers.

use super::error::null;
use crate::error::{Error, Result};
use std::ffi::{c_char, c_double, c_void, CStr};

/// Borrows a C string argument as UTF-8.
pub(super) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null(what));
    }
    CStr::from_ptr(p).to_str().map_err(|e| Error::invalid(format!("{what} is not valid UTF-8 ({e})")))
}

/// Reads a NULL-terminated array of alternating label names and values.
pub(super) unsafe fn labels_arg<'a>(labels: *const *const c_char) -> Result<Vec<(&'a str, &'a str)>> {
    if labels.is_null() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(4);
    let mut i = 0;
    loop {
        let k = *labels.add(i);
        if k.is_null() {
            return Ok(out);
        }
        let v = *labels.add(i + 1);
        if v.is_null() {
            return Err(Error::invalid(format!(
                "label {:?} has no value (labels must come in name, value pairs)",
                str_arg(k, "label name")?
            )));
        }
        out.push((str_arg(k, "label name")?, str_arg(v, "label value")?));
        i += 2;
        if i > 2 * 64 {
            return Err(Error::invalid("more than 64 labels (is the array NULL-terminated?)"));
        }
    }
}

/// The most labels a series made through the C API may have.
pub(super) const MAX_LABELS: usize = 64;

/// Reads a vec's NULL-terminated array of label names.
pub(super) unsafe fn label_names_arg<'a>(names: *const *const c_char) -> Result<Vec<&'a str>> {
    if names.is_null() {
        return Err(null("label_names"));
    }
    let mut out = Vec::new();
    loop {
        let k = *names.add(out.len());
        if k.is_null() {
            return Ok(out);
        }
        if out.len() == MAX_LABELS {
            return Err(Error::invalid(format!("more than {MAX_LABELS} label names (is the array NULL-terminated?)")));
        }
        out.push(str_arg(k, "label name")?);
    }
}

/// Reads the NULL-terminated label values for a vec with `n` label names
/// into `buf`, without allocating: exactly `n` values, then NULL. Never
/// reads past the `n + 1`th element.
pub(super) unsafe fn label_values_arg<'a, 'b>(
    values: *const *const c_char,
    n: usize,
    buf: &'b mut [&'a str; MAX_LABELS],
) -> Result<&'b [&'a str]> {
    if values.is_null() {
        return Err(null("label_values"));
    }
    if n > MAX_LABELS {
        return Err(Error::invalid(format!("more than {MAX_LABELS} labels")));
    }
    for (i, slot) in buf.iter_mut().take(n).enumerate() {
        let v = *values.add(i);
        if v.is_null() {
            return Err(Error::invalid(format!("{i} label values for {n} label names (one value per name)")));
        }
        *slot = str_arg(v, "label value")?;
    }
    if !(*values.add(n)).is_null() {
        return Err(Error::invalid(format!(
            "more label values than the {n} label names (is the array NULL-terminated?)"
        )));
    }
    Ok(&buf[..n])
}

/// Borrows the `n` histogram bucket bounds at `buckets`; NULL and 0 mean
/// Prometheus' default buckets.
pub(super) unsafe fn buckets_arg<'a>(buckets: *const c_double, n: usize) -> Result<&'a [f64]> {
    if buckets.is_null() && n == 0 {
        return Ok(&crate::metrics::DEFAULT_BUCKETS);
    }
    if buckets.is_null() {
        return Err(null("buckets"));
    }
    if n == 0 || n > 1024 {
        return Err(Error::invalid(format!("n is {n}; a histogram needs 1 to 1024 buckets")));
    }
    Ok(std::slice::from_raw_parts(buckets, n))
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

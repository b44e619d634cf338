//! `hams_set_logger`: hams' log records to the application.

use super::{guard, UserPtr};
use crate::error::Error;
use crate::logging::{self, level_filter_from_int, level_to_int, LogCallback};
use std::ffi::{c_char, c_int, c_void, CString};

/// Receives one log record: `level` 1 error .. 5 trace, `target` the module
/// (e.g. "hams::server"), `message` the text. Called from any hams thread.
pub type hams_log_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, level: c_int, target: *const c_char, message: *const c_char)>;

/// Routes hams' log records up to `max_level` (0 off, 1 error, 2 warn,
/// 3 info, 4 debug, 5 trace) to `callback(user, ...)`, process-wide. With
/// `callback` NULL, records go to stderr prefixed "hams: " (the default, at level 2).
#[no_mangle]
pub unsafe extern "C" fn hams_set_logger(callback: hams_log_fn, user: *mut c_void, max_level: c_int) -> c_int {
    guard(|| {
        let level = level_filter_from_int(max_level)
            .ok_or_else(|| Error::invalid(format!("max_level {max_level} is out of range 0..5")))?;
        let user = UserPtr::new(user);
        let sink: Option<LogCallback> = callback.map(|f| {
            Box::new(move |level: log::Level, target: &str, message: &str| {
                let target = CString::new(target.replace('\0', " ")).unwrap_or_default();
                let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the callback's contract is in hams.h.
                unsafe { f(user.get(), level_to_int(level), target.as_ptr(), message.as_ptr()) }
            }) as LogCallback
        });
        logging::set_sink(sink, level)
    })
}

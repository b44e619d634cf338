//! Which language runtime and binding host hams (e.g. "CPython 3.11.7",
//! "hams-python", "0.2.0"): set by a binding before start, shown in
//! `/hams/version` and as labels of `hams_build_info`.

use crate::config::validate_label;
use crate::error::Result;
use crate::sync::lock;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuntimeInfo {
    pub runtime: String,
    pub library: String,
    pub library_version: String,
}

impl RuntimeInfo {
    /// Each part is echoed in JSON and label values: non-empty, printable,
    /// at most 128 bytes, like the service's name and version.
    pub(crate) fn new(runtime: &str, library: &str, library_version: &str) -> Result<RuntimeInfo> {
        validate_label("runtime", runtime)?;
        validate_label("library", library)?;
        validate_label("library_version", library_version)?;
        Ok(RuntimeInfo { runtime: runtime.into(), library: library.into(), library_version: library_version.into() })
    }
}

/// Written by the handle while stopped, read by the server: the lock is only
/// ever held to copy or read a few short strings, never across application code.
#[derive(Clone, Default)]
pub(crate) struct SharedRuntime(Arc<Mutex<Option<RuntimeInfo>>>);

impl SharedRuntime {
    pub(crate) fn set(&self, info: RuntimeInfo) {
        *lock(&self.0) = Some(info);
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&RuntimeInfo>) -> R) -> R {
        f(lock(&self.0).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(RuntimeInfo::new("CPython 3.11.7", "hams-python", "0.2.0").is_ok());
        assert!(RuntimeInfo::new("", "hams-python", "0.2.0").is_err());
        assert!(RuntimeInfo::new("C++17", "hams\n", "1").is_err());
        assert!(RuntimeInfo::new("C++17", "hams-cpp", &"9".repeat(129)).is_err());
        assert!(RuntimeInfo::new(&"x".repeat(128), "hams-cpp", "1").is_ok());
    }

    #[test]
    fn shared_value() {
        let s = SharedRuntime::default();
        assert!(s.with(|r| r.is_none()));
        s.set(RuntimeInfo::new("C++17", "hams-cpp", "0.2.0").unwrap());
        assert_eq!(s.with(|r| r.map(|r| r.library.clone())), Some("hams-cpp".to_string()));
    }
}

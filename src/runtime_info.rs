//! Which language runtime and binding host hams (e.g. "CPython 3.11.7",
//! "hams-python", "0.2.0"): set by a binding before start, shown in
//! `/hams/version` and as labels of `hams_build_info`.

use crate::sync::lock;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuntimeInfo {
    pub runtime: String,
    pub library: String,
    pub library_version: String,
}

impl RuntimeInfo {
    /// Unchecked: `Hams::set_runtime` validates each part first.
    pub(crate) fn new(runtime: &str, library: &str, library_version: &str) -> RuntimeInfo {
        RuntimeInfo { runtime: runtime.into(), library: library.into(), library_version: library_version.into() }
    }

    /// As JSON fields of `/hams/version` and labels of `hams_build_info`.
    pub(crate) fn fields(&self) -> [(&'static str, &str); 3] {
        [("runtime", &self.runtime), ("library", &self.library), ("library_version", &self.library_version)]
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
    fn shared_value() {
        let s = SharedRuntime::default();
        assert!(s.with(|r| r.is_none()));
        s.set(RuntimeInfo::new("C++17", "hams-cpp", "0.2.0"));
        assert_eq!(s.with(|r| r.map(|r| r.fields()[1].1.to_string())), Some("hams-cpp".to_string()));
    }
}

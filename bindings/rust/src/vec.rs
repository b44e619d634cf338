//! `MetricVec`: a family whose series are made on first use of their label
//! values (`hams_vec_t`). Its series are `Metric`s that find their handle
//! again on each update, under the vec's read lock: `remove` and drop take
//! the write lock, so no update uses a handle libhams has freed.

use crate::error::{check, check_ptr, Result};
use crate::labels::CStrings;
use crate::life::Life;
use crate::metric::{Metric, MetricKind, Target};
use std::sync::{Arc, RwLock};

/// The vec's handle and whether it is still allocated.
pub(crate) struct VecHandle {
    ptr: *mut hams_sys::hams_vec_t,
    /// True once freed.
    freed: RwLock<bool>,
}

// SAFETY: the vec functions are thread-safe; the handle is used only under
// the lock, while not freed.
unsafe impl Send for VecHandle {}
unsafe impl Sync for VecHandle {}

impl VecHandle {
    /// Runs `f` with the live handle (shared); `None` once freed.
    pub(crate) fn with<T>(&self, f: impl FnOnce(*mut hams_sys::hams_vec_t) -> T) -> Option<T> {
        let freed = self.freed.read().unwrap_or_else(|e| e.into_inner());
        (!*freed).then(|| f(self.ptr))
    }

    /// Runs `f` with the live handle, no update in flight; `None` once freed.
    fn with_excl<T>(&self, free: bool, f: impl FnOnce(*mut hams_sys::hams_vec_t) -> T) -> Option<T> {
        let mut freed = self.freed.write().unwrap_or_else(|e| e.into_inner());
        if *freed {
            return None;
        }
        *freed = free;
        Some(f(self.ptr))
    }
}

/// A family with run-time label values; dropping it unregisters the family
/// with all its series.
///
/// ```
/// let hams = hams::Hams::new("svc", "1")?;
/// let requests = hams.counter_vec("http_requests_total", "Requests.", &["path", "code"])?;
/// requests.with(&["/", "200"])?.add(1.0)?;
/// let latency = hams.histogram_vec("http_seconds", "Latency.", &hams::DEFAULT_BUCKETS, &["path"])?;
/// let root = latency.with(&["/"])?; // keep it to update it often
/// root.observe(0.042)?;
/// requests.remove(&["/", "200"])?;
/// # Ok::<(), hams::Error>(())
/// ```
pub struct MetricVec {
    handle: Arc<VecHandle>,
    life: Arc<Life>,
    name: String,
    kind: MetricKind,
    label_names: CStrings,
}

impl MetricVec {
    pub(crate) fn new(
        ptr: *mut hams_sys::hams_vec_t,
        life: Arc<Life>,
        name: &str,
        kind: MetricKind,
        label_names: CStrings,
    ) -> MetricVec {
        let handle = Arc::new(VecHandle { ptr, freed: RwLock::new(false) });
        MetricVec { handle, life, name: name.to_string(), kind, label_names }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn handle(&self) -> &VecHandle {
        &self.handle
    }

    pub(crate) fn life(&self) -> &Life {
        &self.life
    }

    pub fn kind(&self) -> MetricKind {
        self.kind
    }

    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.label_names.iter()
    }

    /// The series for `values` (one per label name), made on first use.
    /// Every update through it finds the series again (no allocation once
    /// made); after `remove` of its values an update makes it anew.
    pub fn with(&self, values: &[&str]) -> Result<Metric> {
        let values = CStrings::new("label value", values.iter().copied())?;
        // Made now, so that wrong values are an error here.
        let made = self.life.with(|| {
            self.handle.with(|ptr| {
                // SAFETY: a live vec and a NULL-terminated array valid for the call.
                check_ptr(unsafe { hams_sys::hams_vec_with(ptr, values.as_ptr()) }).map(drop)
            })
        });
        made.flatten().transpose()?;
        let target = Target::Series { vec: self.handle.clone(), values, owner: None };
        Ok(Metric { target, life: self.life.clone(), name: self.name.clone(), kind: self.kind })
    }

    /// Consumes the vec into its series for `values`, which owns it.
    pub(crate) fn with_owner(self, values: &[&str]) -> Result<Metric> {
        let mut metric = self.with(values)?;
        if let Target::Series { owner, .. } = &mut metric.target {
            *owner = Some(self);
        }
        Ok(metric)
    }

    /// Removes the series for `values` from the exposition.
    pub fn remove(&self, values: &[&str]) -> Result<()> {
        let values = CStrings::new("label value", values.iter().copied())?;
        let removed = self.life.with(|| {
            self.handle.with_excl(false, |ptr| {
                // SAFETY: a live vec, no update in flight; a NULL-terminated array.
                check(unsafe { hams_sys::hams_vec_remove(ptr, values.as_ptr()) }).map(drop)
            })
        });
        removed.flatten().unwrap_or(Ok(()))
    }
}

impl std::fmt::Debug for MetricVec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricVec").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

impl Drop for MetricVec {
    fn drop(&mut self) {
        self.life.with(|| {
            // SAFETY: a live vec, freed once, no update in flight.
            self.handle.with_excl(true, |ptr| unsafe { hams_sys::hams_vec_free(ptr) })
        });
    }
}

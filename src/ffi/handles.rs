//! Every handle type of the C API and what they share: a magic number
//! checked on each use (so that a freed or foreign pointer is usually
//! refused instead of used), ownership (a `hams_t` owns the probes, metrics
//! and vecs made through it and frees what is left; a vec owns the metric
//! handles of its series), validation and freeing.
//!
//! A new handle type is its struct and typedef, written out so that
//! cbindgen declares them in hams.h, plus one `handle_type!` line; a child
//! type also gets its list in `hams` and a line in `free_children`.

use super::error::null;
use crate::error::{Error, Result};
use crate::handle::{Hams, Probe};
use crate::metrics::{Metric, MetricVec};
use crate::sync::lock;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

/// Implements `Handle` (and for a child, `Child`) from the struct's fields:
/// `magic`, and for a child `owner` and the field holding the safe value.
macro_rules! handle_type {
    ($t:ident, $what:literal, $magic:literal, untie: $untie:ident) => {
        impl Handle for $t {
            const MAGIC: u64 = $magic;
            const WHAT: &'static str = $what;
            fn magic(&self) -> u64 {
                self.magic
            }
            fn invalidate(&mut self) {
                self.magic = 0;
            }
            unsafe fn untie(p: *mut Self) -> Result<()> {
                $untie(p)
            }
        }
    };
    ($t:ident, $what:literal, $magic:literal, child in $list:ident, holding $field:ident: $inner:ty) => {
        handle_type!($t, $what, $magic, child in $list, holding $field: $inner, untie: leave_owner);
    };
    ($t:ident, $what:literal, $magic:literal, child in $list:ident, holding $field:ident: $inner:ty, untie: $untie:ident) => {
        handle_type!($t, $what, $magic, untie: $untie);
        impl Child for $t {
            type Inner = $inner;
            fn new(owner: *const hams, inner: $inner) -> Self {
                $t { magic: Self::MAGIC, owner, $field: inner }
            }
            fn owner(&self) -> *const hams {
                self.owner
            }
            fn siblings(owner: &hams) -> &Owned<Self> {
                &owner.$list
            }
        }
    };
}

/// One health server (opaque). Create with hams_new(), free with hams_free().
pub struct hams {
    magic: u64,
    pub(super) core: Hams,
    /// The probes created through this handle; hams_free frees them.
    probes: Owned<hams_probe>,
    /// Likewise the metrics (not the vecs' series: their vec owns them).
    metrics: Owned<hams_metric>,
    /// Likewise the vecs.
    vecs: Owned<hams_vec>,
}

/// The type applications name: `hams_t *h = hams_new(...)`.
pub type hams_t = hams;

/// One probe (opaque), owned by the hams_t it was created on.
pub struct hams_probe {
    magic: u64,
    owner: *const hams,
    pub(super) probe: Probe,
}

/// The type applications name: `hams_probe_t *p = hams_probe_new_manual(...)`.
pub type hams_probe_t = hams_probe;

/// One application metric (opaque), owned by the hams_t it was created on.
pub struct hams_metric {
    magic: u64,
    owner: *const hams,
    pub(super) metric: Metric,
}

/// The type applications name: `hams_metric_t *m = hams_counter_new(...)`.
pub type hams_metric_t = hams_metric;

/// A metric family with run-time label values (opaque), owned by the hams_t
/// it was created on; it owns the hams_metric_t of its series.
pub struct hams_vec {
    magic: u64,
    owner: *const hams,
    pub(super) vec: MetricVec,
}

/// The type applications name: `hams_vec_t *v = hams_counter_vec_new(...)`.
pub type hams_vec_t = hams_vec;

handle_type!(hams, "hams", 0x6861_6d73_5f68_616e, untie: free_children); // "hams_han"
handle_type!(hams_probe, "probe", 0x6861_6d73_5f70_7262, child in probes, holding probe: Probe); // "hams_prb"
handle_type!(hams_metric, "metric", 0x6861_6d73_5f6d_6574, child in metrics, holding metric: Metric, untie: leave_owner_unless_member); // "hams_met"
handle_type!(hams_vec, "vec", 0x6861_6d73_5f76_6563, child in vecs, holding vec: MetricVec); // "hams_vec"

/// What every handle type has; `handle_type!` implements it.
pub(super) trait Handle: Sized {
    const MAGIC: u64;
    /// The handle's name in error messages ("probe is NULL").
    const WHAT: &'static str;
    fn magic(&self) -> u64;
    fn invalidate(&mut self);
    /// Undoes what ties `p` to other handles before it is dropped: a child
    /// leaves its owner, an owner frees its children.
    unsafe fn untie(p: *mut Self) -> Result<()>;
}

/// A handle a `hams_t` owns.
pub(super) trait Child: Handle {
    /// What the handle holds.
    type Inner;
    fn new(owner: *const hams, inner: Self::Inner) -> Self;
    fn owner(&self) -> *const hams;
    /// The owner's list this kind of handle lives in.
    fn siblings(owner: &hams) -> &Owned<Self>;
}

/// Borrows the handle `p` points to, refusing NULL and what is not a live
/// handle of its type.
pub(super) unsafe fn handle<'a, T: Handle>(p: *const T) -> Result<&'a T> {
    if p.is_null() {
        return Err(null(T::WHAT));
    }
    let h = &*p;
    if h.magic() != T::MAGIC {
        return Err(Error::invalid(format!("{} is not a live {} handle (freed, or not one)", T::WHAT, T::WHAT)));
    }
    Ok(h)
}

/// Boxes `core` as a handle, with handles for its declared probes.
pub(super) fn new_hams(core: Hams) -> *mut hams {
    let declared: Vec<String> = core.declared_probe_names();
    let h = Box::into_raw(Box::new(hams {
        magic: hams::MAGIC,
        core,
        probes: Default::default(),
        metrics: Default::default(),
        vecs: Default::default(),
    }));
    // SAFETY: `h` was just created and is not shared yet.
    let owner = unsafe { &*h };
    for name in declared {
        if let Some(probe) = owner.core.take_probe(&name) {
            owner.probes.adopt(h, probe);
        }
    }
    h
}

/// Makes `inner` a handle owned by `owner`, which frees it unless it is
/// freed first.
pub(super) unsafe fn adopt<T: Child>(owner: *const hams, inner: T::Inner) -> Result<*mut T> {
    Ok(T::siblings(handle(owner)?).adopt(owner, inner))
}

/// The first handle of `owner`'s of type `T` that `pred` picks.
pub(super) fn find<T: Child>(owner: &hams, mut pred: impl FnMut(&T) -> bool) -> Option<*mut T> {
    // SAFETY: pointers in the list are live.
    lock(&T::siblings(owner).0).iter().copied().find(|&p| pred(unsafe { &*p }))
}

/// Frees a handle: checks it, unties it, invalidates it and drops it.
pub(super) unsafe fn free<T: Handle>(p: *mut T) -> Result<()> {
    handle(p)?;
    T::untie(p)?;
    destroy(p);
    Ok(())
}

unsafe fn destroy<T: Handle>(p: *mut T) {
    (*p).invalidate();
    drop(Box::from_raw(p));
}

/// A `hams_t` frees the children left when it is freed.
unsafe fn free_children(h: *mut hams) -> Result<()> {
    (*h).probes.release_all();
    (*h).metrics.release_all();
    (*h).vecs.release_all();
    Ok(())
}

/// A vec's series are freed by the vec, not one by one.
unsafe fn leave_owner_unless_member(p: *mut hams_metric) -> Result<()> {
    if handle(p)?.metric.is_vec_member() {
        return Err(Error::invalid(format!(
            "metric {} belongs to a vec: hams_vec_remove() drops it, hams_vec_free() frees them all",
            (*p).metric.name()
        )));
    }
    leave_owner(p)
}

/// The handle of `v`'s series for `values`: the one made before, or a new
/// one. Of threads racing to make it, one wins and all use its handle.
pub(super) fn member_handle(v: &hams_vec, values: &[&str]) -> Result<*mut hams_metric> {
    let make = |m: Metric| Box::into_raw(Box::new(hams_metric::new(v.owner, m))).cast::<()>();
    // SAFETY: a handle `make` made that lost the race was never shared.
    let discard = |p: *mut ()| drop(unsafe { Box::from_raw(p.cast::<hams_metric>()) });
    Ok(v.vec.handle_for(values, make, discard)?.cast())
}

/// Frees the handle of a series a vec no longer has (if one was made).
pub(super) fn free_member_handle(series_handle: &AtomicPtr<()>) {
    let p = series_handle.swap(std::ptr::null_mut(), Ordering::AcqRel).cast::<hams_metric>();
    if !p.is_null() {
        // SAFETY: member handles are made by `member_handle` and freed only here.
        unsafe { destroy(p) };
    }
}

impl Drop for hams_vec {
    fn drop(&mut self) {
        let mut series = Vec::new();
        self.vec.series_snapshot(&mut series);
        for s in &series {
            free_member_handle(&s.handle);
        }
    }
}

/// Takes a child off its owner's list, so that the owner does not free it
/// again; the caller drops it outside the lock (dropping may wait for a
/// running callback).
unsafe fn leave_owner<T: Child>(p: *mut T) -> Result<()> {
    let owner = handle(handle(p)?.owner())?;
    let mut list = lock(&T::siblings(owner).0);
    let Some(pos) = list.iter().position(|&q| q == p) else {
        return Err(Error::invalid(format!("{} does not belong to its hams_t (already freed?)", T::WHAT)));
    };
    list.swap_remove(pos);
    Ok(())
}

/// The handles of one kind a `hams_t` owns.
pub(super) struct Owned<T>(Mutex<Vec<*mut T>>);

// SAFETY: the pointers are only dereferenced by the thread that removes them
// from the list (under its lock) or by callers holding a live handle.
unsafe impl<T> Send for Owned<T> {}
unsafe impl<T> Sync for Owned<T> {}

impl<T> Default for Owned<T> {
    fn default() -> Self {
        Owned(Mutex::new(Vec::new()))
    }
}

impl<T: Child> Owned<T> {
    fn adopt(&self, owner: *const hams, inner: T::Inner) -> *mut T {
        let p = Box::into_raw(Box::new(T::new(owner, inner)));
        lock(&self.0).push(p);
        p
    }

    /// Frees every handle left (when the owner is freed).
    unsafe fn release_all(&self) {
        let all = std::mem::take(&mut *lock(&self.0));
        for p in all {
            destroy(p);
        }
    }
}

//! Workers mode for probes. A worker's probe publishes its state into cells
//! of the tree's shared memory (`Published`); the parent shows it as a probe
//! named `<name>@<pid>` (`Remote`), decided from those cells by the same
//! rules as a local probe (see `probe::kick_verdict`, `probe::overdue`).
//!
//! The reason is written under a sequence counter (odd while writing), so
//! the parent never shows half of one reason and half of another; what it
//! reads is checked like anything else from another process.

use super::verdict::{kick_verdict, overdue, Verdict};
use crate::shm::records::{probe_cell as cell, ProbeKind, REASON_BYTES};
use crate::shm::{Cells, Region};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A worker's side: the cells its probe writes.
pub(crate) struct Published(pub(crate) Cells);

impl Published {
    /// A manual or callback result (the reason already sanitised). Called
    /// under the probe's lock: one writer at a time.
    pub(crate) fn result(&self, healthy: bool, reason: &str) {
        let c = self.0.get();
        let mut n = reason.len().min(REASON_BYTES);
        while !reason.is_char_boundary(n) {
            n -= 1;
        }
        let bytes = &reason.as_bytes()[..n];
        c[cell::SEQ].fetch_add(1, Ordering::AcqRel);
        for (i, w) in c[cell::REASON..cell::REASON + cell::REASON_WORDS].iter().enumerate() {
            let mut word = [0u8; 8];
            let from = (i * 8).min(n);
            let to = (i * 8 + 8).min(n);
            word[..to - from].copy_from_slice(&bytes[from..to]);
            w.store(u64::from_ne_bytes(word), Ordering::Relaxed);
        }
        c[cell::REASON_LEN].store(n as u64, Ordering::Relaxed);
        c[cell::STATE].store(if healthy { cell::HEALTHY } else { 0 }, Ordering::Relaxed);
        c[cell::SEQ].fetch_add(1, Ordering::AcqRel);
    }

    /// The last kick, or the start of a callback run (0: none in flight).
    pub(crate) fn last_ns(&self, ns: u64) {
        self.0.get()[cell::LAST_NS].store(ns, Ordering::Release);
    }

    /// The probe was unregistered: the parent drops it.
    pub(crate) fn removed(&self) {
        if self.0.is_own() {
            self.0.get()[cell::STATE].fetch_or(cell::REMOVED, Ordering::Release);
        }
    }
}

/// The parent's side: a worker's probe, read from its cells.
pub(crate) struct Remote {
    cells: *const AtomicU64,
    kind: ProbeKind,
    limit_ns: u64,
    /// Keeps the cells mapped.
    _region: Arc<Region>,
}

// SAFETY: `cells` points at `cell::COUNT` atomics in a mapping that
// `_region` keeps alive.
unsafe impl Send for Remote {}
unsafe impl Sync for Remote {}

impl Remote {
    /// # Safety
    /// `cells` must point at `cell::COUNT` 8-aligned words inside `region`.
    pub(crate) unsafe fn new(region: Arc<Region>, cells: *const AtomicU64, kind: ProbeKind, limit_ns: u64) -> Remote {
        Remote { cells, kind, limit_ns, _region: region }
    }

    fn word(&self, i: usize) -> u64 {
        // SAFETY: i < cell::COUNT (all callers use the constants), see `new`.
        unsafe { (*self.cells.add(i)).load(Ordering::Acquire) }
    }

    /// Whether the worker unregistered it.
    pub(crate) fn is_removed(&self) -> bool {
        self.word(cell::STATE) & cell::REMOVED != 0
    }

    pub(crate) fn with_verdict<R>(&self, now_ns: u64, f: impl FnOnce(Verdict<'_>) -> R) -> R {
        let last = self.word(cell::LAST_NS);
        match self.kind {
            ProbeKind::Kick => return f(kick_verdict(now_ns, last, self.limit_ns)),
            ProbeKind::Callback => {
                if let Some(v) = overdue(now_ns, last, self.limit_ns) {
                    return f(v);
                }
            }
            ProbeKind::Manual => {}
        }
        let mut reason = [0u8; REASON_BYTES];
        let Some((healthy, n)) = self.read_result(&mut reason) else {
            return f(Verdict::Failed("the worker is writing its state"));
        };
        if healthy {
            return f(Verdict::Ok);
        }
        // Control characters would break the text formats: as sanitised locally.
        for b in &mut reason[..n] {
            if *b < 0x20 || *b == 0x7f {
                *b = b' ';
            }
        }
        let text = match std::str::from_utf8(&reason[..n]) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&reason[..e.valid_up_to()]).unwrap_or(""),
        };
        f(Verdict::Failed(text))
    }

    /// Reads (healthy, reason length) and the reason's bytes consistently.
    fn read_result(&self, out: &mut [u8; REASON_BYTES]) -> Option<(bool, usize)> {
        for _ in 0..8 {
            let seq = self.word(cell::SEQ);
            if seq % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let healthy = self.word(cell::STATE) & cell::HEALTHY != 0;
            let n = (self.word(cell::REASON_LEN) as usize).min(REASON_BYTES);
            for i in 0..cell::REASON_WORDS {
                out[i * 8..i * 8 + 8].copy_from_slice(&self.word(cell::REASON + i).to_ne_bytes());
            }
            if self.word(cell::SEQ) == seq {
                return Some((healthy, n));
            }
        }
        None
    }
}

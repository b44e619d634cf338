//! A process' side of the region: its slot, claimed on first use, and its
//! chunks, to which it appends records. One writer per `Hams`; a forked
//! child that inherited it notices the new pid and takes a slot of its own,
//! so that no two processes ever append to the same chunk.

use super::records::Encoded;
use super::region::{slot_key, Region, CHUNK_SIZE, SLOTS};
use crate::error::{Error, Result};
use crate::process::{current_pid, start_time};
use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

struct State {
    pid: u32,
    slot: Option<usize>,
    /// The chunk being filled.
    tail: Option<u32>,
}

pub(crate) struct Writer {
    region: Arc<Region>,
    state: Mutex<State>,
}

/// The cells of one record, in shared memory: valid while the region is
/// mapped (it holds the region) and updated only with atomics.
pub(crate) struct Cells {
    ptr: *const AtomicU64,
    len: usize,
    /// The process that wrote the record: only it may mark it removed.
    owner: u32,
    _region: Arc<Region>,
}

// SAFETY: the cells are atomics in a mapping kept alive by `_region`.
unsafe impl Send for Cells {}
unsafe impl Sync for Cells {}

impl Cells {
    pub(crate) fn get(&self) -> &[AtomicU64] {
        // SAFETY: `ptr` points at `len` 8-aligned words inside the mapping.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Tells the parent that something other than a value changed (a
    /// removal): its cached reading of the records is stale.
    pub(crate) fn touch(&self) {
        self._region.bump_epoch();
    }

    /// Whether this process wrote the record (not just inherited it).
    pub(crate) fn is_own(&self) -> bool {
        self.owner == current_pid()
    }
}

impl Writer {
    /// The writer of the parent, which takes slot 0 at once.
    pub(crate) fn parent(region: Arc<Region>) -> Result<Writer> {
        let pid = current_pid();
        let key = own_key(pid)?;
        let slot = region.slot(0).ok_or_else(|| Error::state("the workers' region has no slots"))?;
        slot.owner.store(key, Ordering::Release);
        Ok(Writer { region, state: Mutex::new(State { pid, slot: Some(0), tail: None }) })
    }

    /// The writer of a worker, which takes a slot when it first writes.
    pub(crate) fn worker(region: Arc<Region>) -> Writer {
        Writer { region, state: Mutex::new(State { pid: current_pid(), slot: None, tail: None }) }
    }

    pub(crate) fn region(&self) -> &Arc<Region> {
        &self.region
    }

    /// Takes this process' slot now (a worker that registers nothing still
    /// counts as attached).
    pub(crate) fn join(&self) -> Result<()> {
        let mut st = lock(&self.state);
        self.own_slot(&mut st).map(drop)
    }

    fn own_slot(&self, st: &mut State) -> Result<usize> {
        let pid = current_pid();
        if st.pid != pid {
            // A forked child: what the parent had is not ours.
            *st = State { pid, slot: None, tail: None };
        }
        if let Some(s) = st.slot {
            return Ok(s);
        }
        let key = own_key(pid)?;
        for i in 1..SLOTS {
            let Some(slot) = self.region.slot(i) else { break };
            if slot.owner.compare_exchange(0, key, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                slot.head.store(0, Ordering::Release);
                st.slot = Some(i);
                self.region.bump_epoch();
                return Ok(i);
            }
        }
        Err(Error::state(format!("the workers' region has no free slot: at most {} processes join a tree", SLOTS - 1)))
    }

    /// Appends a record to this process' chunks; returns its cells.
    pub(crate) fn append(&self, rec: &Encoded) -> Result<Cells> {
        let len = rec.bytes.len();
        if len > CHUNK_SIZE {
            return Err(Error::invalid(format!(
                "a record of {len} bytes does not fit a chunk of the workers' region ({CHUNK_SIZE} bytes)"
            )));
        }
        let mut st = lock(&self.state);
        let slot = self.own_slot(&mut st)?;
        let fits = |c: u32| {
            self.region.chunk_meta(c).is_some_and(|m| m.used.load(Ordering::Relaxed) as usize + len <= CHUNK_SIZE)
        };
        let chunk = match st.tail.filter(|&c| fits(c)) {
            Some(c) => c,
            None => {
                let c = self.new_chunk(slot, st.tail)?;
                st.tail = Some(c);
                c
            }
        };
        let (Some(meta), Some(base)) = (self.region.chunk_meta(chunk), self.region.chunk_ptr(chunk)) else {
            return Err(Error::state("the workers' region lost a chunk"));
        };
        let used = meta.used.load(Ordering::Relaxed) as usize;
        // SAFETY: [used, used + len) is inside this chunk (checked by `fits`),
        // past the published bytes, and only this process writes there.
        let cells = unsafe {
            let at = base.add(used);
            std::ptr::copy_nonoverlapping(rec.bytes.as_ptr(), at, len);
            at.add(rec.cells).cast::<AtomicU64>()
        };
        meta.used.store((used + len) as u32, Ordering::Release);
        self.region.bump_epoch();
        Ok(Cells { ptr: cells, len: rec.n_cells, owner: st.pid, _region: self.region.clone() })
    }

    fn new_chunk(&self, slot: usize, tail: Option<u32>) -> Result<u32> {
        let owner = slot as u32 + 1;
        for c in 0..self.region.chunk_count() {
            let Some(meta) = self.region.chunk_meta(c) else { break };
            if meta.owner.compare_exchange(0, owner, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                meta.used.store(0, Ordering::Release);
                meta.next.store(0, Ordering::Release);
                match tail.and_then(|t| self.region.chunk_meta(t)) {
                    Some(t) => t.next.store(c + 1, Ordering::Release),
                    None => {
                        if let Some(s) = self.region.slot(slot) {
                            s.head.store(c + 1, Ordering::Release);
                        }
                    }
                }
                return Ok(c);
            }
        }
        Err(Error::state(format!(
            "the workers' shared memory is full ({} KiB): raise workers.capacity_kib",
            self.region.capacity_kib()
        )))
    }
}

fn own_key(pid: u32) -> Result<u64> {
    let start = start_time(pid).ok_or_else(|| Error::state("cannot read this process' start time from /proc"))?;
    Ok(slot_key(pid, start))
}

//! The parent's side of the region: which processes are in the tree, their
//! records, and freeing what an exited process held. Everything read here
//! was written by processes the parent does not trust.

use super::records::{parse, Record};
use super::region::{slot_pid, slot_start, Region, CHUNK_SIZE, SLOTS};
use std::sync::atomic::{AtomicU64, Ordering};

/// A process that holds a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub slot: usize,
    pub pid: u32,
    pub start: u64,
}

/// The processes holding a slot now, the parent's (slot 0) first.
pub(crate) fn members(region: &Region, out: &mut Vec<Member>) {
    out.clear();
    for i in 0..SLOTS {
        let Some(s) = region.slot(i) else { break };
        let key = s.owner.load(Ordering::Acquire);
        if key != 0 {
            out.push(Member { slot: i, pid: slot_pid(key), start: slot_start(key) });
        }
    }
}

/// Reads a cell of a chunk's record.
pub(crate) struct ChunkCells {
    base: *const u8,
}

impl ChunkCells {
    /// The word at `off` (from `parse`'s offsets, which are in bounds).
    pub(crate) fn load(&self, off: usize) -> u64 {
        if off % 8 != 0 || off + 8 > CHUNK_SIZE {
            return 0;
        }
        // SAFETY: 8-aligned and inside the chunk (checked above).
        unsafe { (*self.base.add(off).cast::<AtomicU64>()).load(Ordering::Acquire) }
    }

    /// The address of the cell at `off`, to read it later.
    pub(crate) fn addr(&self, off: usize) -> Option<*const AtomicU64> {
        (off % 8 == 0 && off + 8 <= CHUNK_SIZE).then(|| {
            // SAFETY: inside the chunk (checked above).
            unsafe { self.base.add(off).cast::<AtomicU64>() }
        })
    }
}

/// Calls `f` with each record of the process in `slot`, with a reader of
/// its cells. `buf` is scratch space (a copy of each chunk). Stops at a
/// chunk that is not the slot's and after as many chunks as there are, so
/// that a corrupt chain cannot loop or wander.
pub(crate) fn records(region: &Region, slot: usize, buf: &mut Vec<u8>, mut f: impl FnMut(&Record<'_>, &ChunkCells)) {
    let Some(s) = region.slot(slot) else { return };
    let mut next = s.head.load(Ordering::Acquire);
    for _ in 0..region.chunk_count() {
        let Some(chunk) = next.checked_sub(1) else { return };
        let (Some(meta), Some(base)) = (region.chunk_meta(chunk), region.chunk_ptr(chunk)) else { return };
        if meta.owner.load(Ordering::Acquire) != slot as u32 + 1 {
            return;
        }
        let used = (meta.used.load(Ordering::Acquire) as usize).min(CHUNK_SIZE);
        buf.clear();
        buf.resize(used, 0);
        // SAFETY: [0, used) is inside the chunk; other processes may write it
        // at any time, so it is copied once and only the copy is parsed.
        unsafe { std::ptr::copy_nonoverlapping(base, buf.as_mut_ptr(), used) };
        let cells = ChunkCells { base };
        parse(buf, |r| f(&r, &cells));
        next = meta.next.load(Ordering::Acquire);
    }
}

/// Frees the slot of an exited process and its chunks.
pub(crate) fn free(region: &Region, slot: usize) {
    if slot == 0 {
        return;
    }
    let owner = slot as u32 + 1;
    for c in 0..region.chunk_count() {
        if let Some(meta) = region.chunk_meta(c) {
            if meta.owner.load(Ordering::Acquire) == owner {
                meta.used.store(0, Ordering::Release);
                meta.next.store(0, Ordering::Release);
                meta.owner.store(0, Ordering::Release);
            }
        }
    }
    if let Some(s) = region.slot(slot) {
        s.head.store(0, Ordering::Release);
        s.owner.store(0, Ordering::Release);
    }
    region.bump_epoch();
}

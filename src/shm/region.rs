//! The tree's shared memory: one memfd made by the parent (mode 0600, no
//! name in any filesystem, gone with the last process that maps it, so a
//! SIGKILLed parent leaves nothing behind), mapped by every process of the
//! tree. Forked children inherit the mapping; spawned ones open the parent's
//! descriptor through `/proc/<pid>/fd/<fd>`, named by `$HAMS_WORKERS`.
//!
//! Layout: header | slot table (one per process) | chunk table | chunks.
//! Every process writes only its own slot and its own chunks; the parent
//! frees the slot and chunks of a process that exited. Nothing in the
//! region is trusted by the parent: the layout is the parent's own copy,
//! and every read of a chunk is bounds-checked (see `records`).

use crate::error::{Error, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The environment variable that names the region to spawned children.
pub const ENV: &str = "HAMS_WORKERS";
const MAGIC: u64 = u64::from_le_bytes(*b"HAMSWRK1");
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;
/// Processes of a tree at once, the parent included.
pub(crate) const SLOTS: usize = 256;
/// Families whose aggregation the tree agreed on.
pub(crate) const FAMILIES: usize = 512;
const HEADER_SIZE: usize = 8192;
const SLOT_SIZE: usize = 16;
const CHUNK_META_SIZE: usize = 16;
/// The smallest and largest `workers.capacity_kib`.
pub const MIN_CAPACITY_KIB: u64 = 256;
pub const MAX_CAPACITY_KIB: u64 = 4 << 20;
pub const DEFAULT_CAPACITY_KIB: u64 = 16 << 10;

#[repr(C)]
struct Header {
    magic: u64,
    token: u64,
    chunks: u32,
    _pad: u32,
    /// Bumped whenever a process adds a record: the parent's cue to look.
    epoch: AtomicU64,
    families: [AtomicU64; FAMILIES],
}

const _: () = assert!(std::mem::size_of::<Header>() <= HEADER_SIZE);

/// One process of the tree: its identity (pid and start time, see
/// `slot_key`; 0 while free) and its first chunk (index + 1; 0: none).
#[repr(C)]
pub(crate) struct Slot {
    pub owner: AtomicU64,
    pub head: AtomicU32,
    _pad: u32,
}

/// A chunk's owner (slot + 1; 0 while free), the next chunk of that owner
/// (index + 1; 0: none) and how many of its bytes hold published records.
#[repr(C)]
pub(crate) struct ChunkMeta {
    pub owner: AtomicU32,
    pub next: AtomicU32,
    pub used: AtomicU32,
    _pad: u32,
}

/// The slot key of a process: pid (below 2^22, Linux' pid_max limit) and
/// start time, in one word so that one compare-and-swap claims a slot.
pub(crate) fn slot_key(pid: u32, start: u64) -> u64 {
    (start << 22) | u64::from(pid & 0x3f_ffff)
}

pub(crate) fn slot_pid(key: u64) -> u32 {
    (key & 0x3f_ffff) as u32
}

pub(crate) fn slot_start(key: u64) -> u64 {
    key >> 22
}

/// A mapping of the region, with its layout.
pub struct Region {
    base: *mut u8,
    len: usize,
    chunks: u32,
    token: u64,
    fd: OwnedFd,
}

// SAFETY: the mapping is shared memory accessed only through atomics and
// copies (see `records`); the pointer stays valid until drop.
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

fn os_err(what: &str) -> Error {
    Error::io(what, std::io::Error::last_os_error())
}

fn random_token() -> Result<u64> {
    let mut b = [0u8; 8];
    // SAFETY: getrandom writes at most b.len() bytes into b.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != 8 {
        return Err(os_err("cannot read random bytes for the workers' region"));
    }
    Ok(u64::from_ne_bytes(b) | 1)
}

fn layout(len: usize) -> (usize, u32) {
    let meta_at = HEADER_SIZE + SLOTS * SLOT_SIZE;
    // Each chunk costs its bytes and its table entry; chunks start on a page.
    let chunks = (len.saturating_sub(meta_at + 4096)) / (CHUNK_SIZE + CHUNK_META_SIZE);
    let chunks_at = (meta_at + chunks * CHUNK_META_SIZE).next_multiple_of(4096);
    (chunks_at, chunks as u32)
}

fn map(fd: &OwnedFd, len: usize) -> Result<*mut u8> {
    // SAFETY: a new shared mapping of a descriptor we own; checked below.
    let p = unsafe {
        libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0)
    };
    if p == libc::MAP_FAILED {
        return Err(os_err("cannot map the workers' region"));
    }
    Ok(p.cast())
}

impl Region {
    /// Makes a region of `capacity_kib` KiB (validated by the config).
    pub(crate) fn create(capacity_kib: u64) -> Result<Region> {
        let len = usize::try_from(capacity_kib.clamp(MIN_CAPACITY_KIB, MAX_CAPACITY_KIB) * 1024)
            .map_err(|_| Error::invalid("workers.capacity_kib is too large for this machine"))?;
        // SAFETY: a NUL-terminated name; the flags are valid.
        let raw = unsafe { libc::memfd_create(c"hams-workers".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(os_err("cannot create the workers' region (memfd_create)"));
        }
        // SAFETY: memfd_create returned a new descriptor that nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // memfds are made 0777 & ~umask; only this user's processes may open it.
        // SAFETY: fchmod/ftruncate on our own descriptor.
        if unsafe { libc::fchmod(raw, 0o600) } != 0 || unsafe { libc::ftruncate(raw, len as libc::off_t) } != 0 {
            return Err(os_err("cannot size the workers' region"));
        }
        let base = map(&fd, len)?;
        let (_, chunks) = layout(len);
        let region = Region { base, len, chunks, token: random_token()?, fd };
        let h = region.header();
        // SAFETY: the region is new and ours alone: plain writes are fine.
        unsafe {
            let hp = region.base.cast::<Header>();
            (*hp).token = region.token;
            (*hp).chunks = chunks;
            (*hp).magic = MAGIC;
        }
        h.epoch.store(1, Ordering::Release);
        Ok(region)
    }

    /// Opens the region named by `$HAMS_WORKERS` (`<pid>:<fd>:<token>`).
    pub(crate) fn attach_env() -> Result<Region> {
        let value = std::env::var(ENV).map_err(|_| {
            Error::state(format!(
                "${ENV} is not set: no ancestor process enabled workers mode (hams_set_workers) before this one started"
            ))
        })?;
        let bad = || Error::invalid(format!("${ENV} is {value:?}, not <pid>:<fd>:<token> as hams sets it"));
        let mut parts = value.split(':');
        let (Some(pid), Some(fd), Some(token), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let pid: u32 = pid.parse().map_err(|_| bad())?;
        let fd: u32 = fd.parse().map_err(|_| bad())?;
        let token = u64::from_str_radix(token, 16).map_err(|_| bad())?;
        let path = format!("/proc/{pid}/fd/{fd}");
        let file =
            std::fs::OpenOptions::new().read(true).write(true).open(&path).map_err(|e| {
                Error::io(format!("cannot open the workers' region of process {pid} (has it exited?)"), e)
            })?;
        let fd = OwnedFd::from(file);
        let len = file_len(&fd)?;
        let base = map(&fd, len)?;
        let (_, chunks) = layout(len);
        let region = Region { base, len, chunks, token, fd };
        let h = region.header();
        // SAFETY: the mapping is at least HEADER_SIZE long (checked by file_len).
        let (magic, their_token, their_chunks) = unsafe {
            let hp = region.base.cast::<Header>();
            (std::ptr::read_volatile(&(*hp).magic), std::ptr::read_volatile(&(*hp).token), (*hp).chunks)
        };
        if magic != MAGIC || their_token != token || their_chunks != chunks || h.epoch.load(Ordering::Acquire) == 0 {
            return Err(Error::state(format!(
                "${ENV} names a region that is not this tree's (process {pid} is not the hams parent any more)"
            )));
        }
        Ok(region)
    }

    /// The value of `$HAMS_WORKERS` for this region, made in this process.
    pub(crate) fn env_value(&self) -> String {
        format!("{}:{}:{:x}", crate::process::current_pid(), self.fd.as_raw_fd(), self.token)
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping holds a header at offset 0.
        unsafe { &*self.base.cast::<Header>() }
    }

    /// Changes whenever a record, a slot, a removal or an aggregation does:
    /// while it stays the same, only cell values can differ.
    pub(crate) fn epoch(&self) -> u64 {
        self.header().epoch.load(Ordering::Acquire)
    }

    pub(crate) fn bump_epoch(&self) {
        self.header().epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn family_table(&self) -> &[AtomicU64; FAMILIES] {
        &self.header().families
    }

    pub(crate) fn slot(&self, i: usize) -> Option<&Slot> {
        (i < SLOTS).then(|| {
            // SAFETY: the slot table is inside the mapping (see `layout`).
            unsafe { &*self.base.add(HEADER_SIZE + i * SLOT_SIZE).cast::<Slot>() }
        })
    }

    pub(crate) fn chunk_count(&self) -> u32 {
        self.chunks
    }

    pub(crate) fn chunk_meta(&self, i: u32) -> Option<&ChunkMeta> {
        (i < self.chunks).then(|| {
            let at = HEADER_SIZE + SLOTS * SLOT_SIZE + i as usize * CHUNK_META_SIZE;
            // SAFETY: the chunk table is inside the mapping (see `layout`).
            unsafe { &*self.base.add(at).cast::<ChunkMeta>() }
        })
    }

    /// The chunk's bytes, as a raw pointer: others write them at any time.
    pub(crate) fn chunk_ptr(&self, i: u32) -> Option<*mut u8> {
        let (chunks_at, _) = layout(self.len);
        (i < self.chunks).then(|| {
            // SAFETY: chunk i is inside the mapping (see `layout`).
            unsafe { self.base.add(chunks_at + i as usize * CHUNK_SIZE) }
        })
    }

    pub(crate) fn capacity_kib(&self) -> u64 {
        (self.len / 1024) as u64
    }
}

fn file_len(fd: &OwnedFd) -> Result<usize> {
    // SAFETY: fstat fills `st` for our own descriptor.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(os_err("cannot read the workers' region's size"));
    }
    let len = usize::try_from(st.st_size).unwrap_or(0);
    if len < (MIN_CAPACITY_KIB * 1024) as usize || len > (MAX_CAPACITY_KIB * 1024) as usize {
        return Err(Error::state(format!("${ENV} names a file of {len} bytes, not a hams workers' region")));
    }
    Ok(len)
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmaps our own mapping; nothing refers to it any more
        // (everything that points into it holds an Arc<Region>).
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

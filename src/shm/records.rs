//! What a process writes into its chunks: one record per metric series and
//! per probe, each with the atomic cells it updates afterwards.
//!
//! ```text
//! 0  u32 len (a multiple of 8)   4 u8 type   5 u8 kind   6 u16 count
//! 8  u32 cells (offset, a multiple of 8)     12 u32 number of cells
//! 16 u64 extra                               24 strings, bounds, cells
//! ```
//! Series: kind 0 counter, 1 gauge, 2 histogram; count = label pairs; extra =
//! number of bucket bounds; strings: name, help, then name and value of each
//! label; then the bounds (f64); cells: flags, then the value (counter,
//! gauge) or the bucket counts, +Inf's included, and the sum.
//! Probe: kind 0 manual, 1 kick, 2 callback; count = the checks' bits;
//! extra = margin or timeout (ns); strings: the name; cells: see `probe_cell`.
//!
//! `parse` reads records from bytes it does not trust: every length and
//! offset is checked, and a bad record ends the chunk's reading.

use crate::error::{Error, Result};

const SERIES: u8 = 1;
const PROBE: u8 = 2;
const HEAD: usize = 24;
/// Cells of a series: flags first.
pub(crate) const FLAGS: usize = 0;
pub(crate) const REMOVED: u64 = 1;
/// Cells of a probe.
pub(crate) mod probe_cell {
    /// Bit 0: healthy; bit 1: removed.
    pub(crate) const STATE: usize = 0;
    /// The last kick, or the start of the callback run in flight (0: none).
    pub(crate) const LAST_NS: usize = 1;
    /// Odd while the reason is being written.
    pub(crate) const SEQ: usize = 2;
    pub(crate) const REASON_LEN: usize = 3;
    pub(crate) const REASON: usize = 4;
    pub(crate) const REASON_WORDS: usize = 16;
    pub(crate) const COUNT: usize = REASON + REASON_WORDS;
    pub(crate) const HEALTHY: u64 = 1;
    pub(crate) const REMOVED: u64 = 2;
}
/// The most reason bytes a worker's probe shares.
pub(crate) const REASON_BYTES: usize = probe_cell::REASON_WORDS * 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeriesKind {
    Counter,
    Gauge,
    Histogram,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    Manual,
    Kick,
    Callback,
}

#[derive(Debug)]
pub(crate) struct SeriesRecord<'a> {
    pub kind: SeriesKind,
    pub name: &'a str,
    pub help: &'a str,
    pub labels: Vec<(&'a str, &'a str)>,
    pub bounds: Vec<f64>,
    /// Offset of the cells in the parsed bytes (their number follows from the kind).
    pub cells: usize,
}

#[derive(Debug)]
pub(crate) struct ProbeRecord<'a> {
    pub kind: ProbeKind,
    pub checks: u8,
    pub limit_ns: u64,
    pub name: &'a str,
    pub cells: usize,
}

#[derive(Debug)]
pub(crate) enum Record<'a> {
    Series(SeriesRecord<'a>),
    Probe(ProbeRecord<'a>),
}

/// A record being written: its bytes, with the cells zeroed or preset.
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub cells: usize,
    pub n_cells: usize,
}

fn put_str16(out: &mut Vec<u8>, s: &str, what: &str) -> Result<()> {
    let n = u16::try_from(s.len()).map_err(|_| Error::invalid(format!("{what} is longer than 65535 bytes")))?;
    out.extend_from_slice(&n.to_ne_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn pad8(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(8), 0);
}

fn finish(mut out: Vec<u8>, ty: u8, kind: u8, count: u16, extra: u64, cells: &[u64]) -> Result<Encoded> {
    pad8(&mut out);
    let at = out.len();
    for c in cells {
        out.extend_from_slice(&c.to_ne_bytes());
    }
    let len = u32::try_from(out.len()).map_err(|_| Error::invalid("record too large"))?;
    out[0..4].copy_from_slice(&len.to_ne_bytes());
    out[4] = ty;
    out[5] = kind;
    out[6..8].copy_from_slice(&count.to_ne_bytes());
    out[8..12].copy_from_slice(&(at as u32).to_ne_bytes());
    out[12..16].copy_from_slice(&(cells.len() as u32).to_ne_bytes());
    out[16..24].copy_from_slice(&extra.to_ne_bytes());
    Ok(Encoded { bytes: out, cells: at, n_cells: cells.len() })
}

/// A series' record: cells zeroed.
pub(crate) fn encode_series(
    kind: SeriesKind,
    name: &str,
    help: &str,
    labels: &[(String, String)],
    bounds: &[f64],
) -> Result<Encoded> {
    let mut out = vec![0u8; HEAD];
    put_str16(&mut out, name, "a metric name")?;
    put_str16(&mut out, help, "a metric's help")?;
    for (k, v) in labels {
        put_str16(&mut out, k, "a label name")?;
        put_str16(&mut out, v, "a label value")?;
    }
    pad8(&mut out);
    for b in bounds {
        out.extend_from_slice(&b.to_ne_bytes());
    }
    let n_cells = match kind {
        SeriesKind::Histogram => bounds.len() + 3,
        _ => 2,
    };
    let count = u16::try_from(labels.len()).map_err(|_| Error::invalid("too many labels"))?;
    let k = match kind {
        SeriesKind::Counter => 0,
        SeriesKind::Gauge => 1,
        SeriesKind::Histogram => 2,
    };
    finish(out, SERIES, k, count, bounds.len() as u64, &vec![0; n_cells])
}

/// A probe's record, with its first state.
pub(crate) fn encode_probe(kind: ProbeKind, checks: u8, limit_ns: u64, name: &str, state: u64) -> Result<Encoded> {
    let mut out = vec![0u8; HEAD];
    put_str16(&mut out, name, "a probe name")?;
    let mut cells = [0u64; probe_cell::COUNT];
    cells[probe_cell::STATE] = state;
    let k = match kind {
        ProbeKind::Manual => 0,
        ProbeKind::Kick => 1,
        ProbeKind::Callback => 2,
    };
    finish(out, PROBE, k, u16::from(checks), limit_ns, &cells)
}

/// A cursor over untrusted bytes: every read is checked.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let b = self.buf.get(self.at..end)?;
        self.at = end;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.bytes(2)?.try_into().ok()?))
    }
    fn str16(&mut self) -> Option<&'a str> {
        let n = self.u16()? as usize;
        std::str::from_utf8(self.bytes(n)?).ok()
    }
    fn align8(&mut self) {
        self.at = self.at.next_multiple_of(8);
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// One record at the start of `rec` (exactly its bytes), or None if it is
/// malformed.
fn parse_one(rec: &[u8], base: usize) -> Option<Record<'_>> {
    let (ty, kind, count) = (*rec.get(4)?, *rec.get(5)?, u16::from_ne_bytes(rec.get(6..8)?.try_into().ok()?));
    let cells = u32_at(rec, 8)? as usize;
    let n_cells = u32_at(rec, 12)? as usize;
    let extra = u64_at(rec, 16)?;
    if cells % 8 != 0 || cells < HEAD || cells.checked_add(n_cells.checked_mul(8)?)? != rec.len() {
        return None;
    }
    let mut c = Cursor { buf: rec.get(..cells)?, at: HEAD };
    match ty {
        SERIES => {
            let kind = match kind {
                0 => SeriesKind::Counter,
                1 => SeriesKind::Gauge,
                2 => SeriesKind::Histogram,
                _ => return None,
            };
            let name = c.str16()?;
            let help = c.str16()?;
            let mut labels = Vec::with_capacity(count.min(64) as usize);
            for _ in 0..count {
                labels.push((c.str16()?, c.str16()?));
            }
            c.align8();
            let n_bounds = usize::try_from(extra).ok()?;
            let want_cells = if kind == SeriesKind::Histogram { n_bounds.checked_add(3)? } else { 2 };
            if n_cells != want_cells || (kind != SeriesKind::Histogram && n_bounds != 0) {
                return None;
            }
            let mut bounds = Vec::with_capacity(n_bounds.min(1024));
            for _ in 0..n_bounds {
                bounds.push(f64::from_ne_bytes(c.bytes(8)?.try_into().ok()?));
            }
            Some(Record::Series(SeriesRecord { kind, name, help, labels, bounds, cells: base + cells }))
        }
        PROBE => {
            let kind = match kind {
                0 => ProbeKind::Manual,
                1 => ProbeKind::Kick,
                2 => ProbeKind::Callback,
                _ => return None,
            };
            let name = c.str16()?;
            if n_cells != probe_cell::COUNT {
                return None;
            }
            let checks = u8::try_from(count).ok()?;
            Some(Record::Probe(ProbeRecord { kind, checks, limit_ns: extra, name, cells: base + cells }))
        }
        _ => None,
    }
}

/// Calls `f` with each record in `buf` (one chunk's published bytes, copied
/// out of shared memory), until the end or the first malformed record.
/// Cell offsets are relative to `buf`.
pub(crate) fn parse(buf: &[u8], mut f: impl FnMut(Record<'_>)) {
    let mut at = 0;
    while at + HEAD <= buf.len() {
        let Some(len) = u32_at(buf, at).map(|l| l as usize) else { return };
        if len < HEAD || len % 8 != 0 || len > buf.len() - at {
            return;
        }
        match parse_one(&buf[at..at + len], at) {
            Some(r) => f(r),
            None => return,
        }
        at += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(l: &[(&str, &str)]) -> Vec<(String, String)> {
        l.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn records_round_trip() {
        let mut buf = Vec::new();
        let a = encode_series(SeriesKind::Counter, "req_total", "Requests.", &labels(&[("path", "/")]), &[]).unwrap();
        let b = encode_series(SeriesKind::Histogram, "lat", "L.", &[], &[0.1, 1.0]).unwrap();
        let p = encode_probe(ProbeKind::Kick, 3, 5_000_000, "loop", probe_cell::HEALTHY).unwrap();
        for e in [&a, &b, &p] {
            buf.extend_from_slice(&e.bytes);
        }
        let mut seen = Vec::new();
        parse(&buf, |r| seen.push(format!("{r:?}")));
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen[0].contains("\"req_total\"") && seen[0].contains("(\"path\", \"/\")"));
        assert!(seen[1].contains("bounds: [0.1, 1.0]"));
        assert!(seen[2].contains("Kick") && seen[2].contains("limit_ns: 5000000"));
        let at = a.bytes.len() + b.bytes.len() + p.cells;
        assert_eq!(u64_at(&buf, at), Some(probe_cell::HEALTHY));
    }

    #[test]
    fn bad_records_end_the_reading() {
        let a = encode_series(SeriesKind::Gauge, "g", "G.", &[], &[]).unwrap();
        let mut buf = a.bytes.clone();
        buf.extend_from_slice(&a.bytes);
        // Every single-byte corruption of the second record is read safely.
        for i in 0..a.bytes.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut b = buf.clone();
                b[a.bytes.len() + i] = v;
                let mut n = 0;
                parse(&b, |_| n += 1);
                assert!(n >= 1);
            }
        }
        let mut n = 0;
        parse(&buf[..buf.len() - 1], |_| n += 1);
        assert_eq!(n, 1, "a truncated record is not read");
    }
}

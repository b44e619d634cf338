//! The tree's agreement on each gauge family's aggregation: a table of
//! words in the header, (hash of the name, aggregation), claimed with one
//! compare-and-swap so that a process dying mid-claim leaves nothing half
//! written. The first process to declare a family's aggregation sets it;
//! one that declares another is refused.

use super::region::{Region, FAMILIES};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;

fn key(name: &str) -> u64 {
    // FNV-1a: the same in every process (std's hashers are keyed per process).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h & !0xff) | 0x100
}

/// Records that family `name` aggregates as `how` (1..=255), unless the
/// tree already agreed on another.
pub(crate) fn declare(region: &Region, name: &str, how: u8) -> Result<()> {
    let k = key(name);
    let table = region.family_table();
    let start = (k >> 8) as usize % FAMILIES;
    for i in 0..FAMILIES {
        let cell = &table[(start + i) % FAMILIES];
        match cell.compare_exchange(0, k | u64::from(how), Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                region.bump_epoch();
                return Ok(());
            }
            Err(cur) if cur & !0xff == k => {
                return if cur & 0xff == u64::from(how) {
                    Ok(())
                } else {
                    Err(Error::invalid(format!(
                        "gauge {name}: another process of the tree set another aggregation for this family"
                    )))
                };
            }
            Err(_) => {}
        }
    }
    Err(Error::state(format!("the workers' region has no room for more than {FAMILIES} aggregations")))
}

/// The aggregation the tree agreed on for `name` (0: none declared).
pub(crate) fn lookup(region: &Region, name: &str) -> u8 {
    let k = key(name);
    let table = region.family_table();
    let start = (k >> 8) as usize % FAMILIES;
    for i in 0..FAMILIES {
        let cur = table[(start + i) % FAMILIES].load(Ordering::Acquire);
        if cur == 0 {
            return 0;
        }
        if cur & !0xff == k {
            return (cur & 0xff) as u8;
        }
    }
    0
}

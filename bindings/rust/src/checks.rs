//! The checks (alive, ready, startup) and sets of them, as the `hams` crate
//! names them; the bits are the C API's `HAMS_ALIVE` and friends.

use crate::error::{Error, ErrorKind, Result};
use std::ops::BitOr;

/// The three checks an orchestrator asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Alive,
    Ready,
    Startup,
}

impl Check {
    pub const ALL: [Check; 3] = [Check::Alive, Check::Ready, Check::Startup];

    /// The name used in URLs and in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Check::Alive => "alive",
            Check::Ready => "ready",
            Check::Startup => "startup",
        }
    }

    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == name)
    }

    pub(crate) fn bit(self) -> u32 {
        match self {
            Check::Alive => hams_sys::HAMS_ALIVE,
            Check::Ready => hams_sys::HAMS_READY,
            Check::Startup => hams_sys::HAMS_STARTUP,
        }
    }
}

/// The set of checks a probe takes part in.
///
/// ```
/// use hams::{Check, Checks};
/// let both = Checks::READY | Checks::STARTUP;
/// assert!(both.contains(Check::Startup) && !both.contains(Check::Alive));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks(u32);

impl Checks {
    pub const ALIVE: Checks = Checks(hams_sys::HAMS_ALIVE);
    pub const READY: Checks = Checks(hams_sys::HAMS_READY);
    pub const STARTUP: Checks = Checks(hams_sys::HAMS_STARTUP);
    const KNOWN: u32 = hams_sys::HAMS_ALIVE | hams_sys::HAMS_READY | hams_sys::HAMS_STARTUP;

    /// A non-empty set with no unknown bits.
    pub fn from_bits(bits: u32) -> Result<Checks> {
        if bits == 0 || bits & !Checks::KNOWN != 0 {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("checks 0x{bits:x}: known are ALIVE=1, READY=2, STARTUP=4"),
            ));
        }
        Ok(Checks(bits))
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn contains(self, check: Check) -> bool {
        self.0 & check.bit() != 0
    }

    /// The checks' names, for the configuration.
    pub(crate) fn names(self) -> Vec<&'static str> {
        Check::ALL.into_iter().filter(|c| self.contains(*c)).map(Check::name).collect()
    }
}

impl BitOr for Checks {
    type Output = Checks;
    fn bitor(self, rhs: Checks) -> Checks {
        Checks(self.0 | rhs.0)
    }
}

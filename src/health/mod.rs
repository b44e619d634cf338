//! The checks (alive, ready, startup), the probes they are made of, the one
//! decision of what a check answers, and its rendering.

pub(crate) mod decide;
pub(crate) mod exclude;
pub(crate) mod probe;
pub(crate) mod probe_registry;
pub(crate) mod render;
pub(crate) mod scheduler;
pub(crate) mod shared;
pub(crate) mod verdict;

use crate::error::{Error, Result};
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

    /// The name used in URLs and in `alive check passed`.
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

    fn bit(self) -> u32 {
        match self {
            Check::Alive => 1,
            Check::Ready => 2,
            Check::Startup => 4,
        }
    }
}

/// The set of checks a probe takes part in (`HAMS_ALIVE | HAMS_READY | HAMS_STARTUP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks(u32);

impl Checks {
    pub const ALIVE: Checks = Checks(1);
    pub const READY: Checks = Checks(2);
    pub const STARTUP: Checks = Checks(4);
    const KNOWN: u32 = 7;

    /// A non-empty set with no unknown bits, or an error saying what is wrong.
    pub fn from_bits(bits: u32) -> Result<Checks> {
        if bits == 0 {
            return Err(Error::invalid("checks must name at least one of ALIVE, READY, STARTUP"));
        }
        if bits & !Checks::KNOWN != 0 {
            return Err(Error::invalid(format!(
                "checks has unknown bits 0x{:x} (known: ALIVE=1, READY=2, STARTUP=4)",
                bits & !Checks::KNOWN
            )));
        }
        Ok(Checks(bits))
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn contains(self, check: Check) -> bool {
        self.0 & check.bit() != 0
    }
}

impl BitOr for Checks {
    type Output = Checks;
    fn bitor(self, rhs: Checks) -> Checks {
        Checks(self.0 | rhs.0)
    }
}

/// The longest probe name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Reasons are cut to this many bytes (at a character boundary).
pub const MAX_REASON_LEN: usize = 256;

/// Probe names appear in URLs and in line-oriented output, so they are kept
/// to a character set that needs no escaping anywhere.
pub(crate) fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("probe name is empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid(format!("probe name is {} bytes long (at most {MAX_NAME_LEN})", name.len())));
    }
    if let Some(c) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(Error::invalid(format!(
            "probe name {:?} has the character {:?}; allowed are A-Z a-z 0-9 _ . -",
            name, c
        )));
    }
    Ok(())
}

pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// Appends `reason` to `out` with control characters (CR, LF, tabs, ...)
/// replaced by spaces and cut to `MAX_REASON_LEN` bytes, so that nothing an
/// application or a check writes can break a response's framing.
pub(crate) fn sanitize_reason_into(reason: &str, out: &mut String) {
    out.clear();
    for c in reason.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_REASON_LEN {
            break;
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_from_bits() {
        assert_eq!(Checks::from_bits(3).unwrap(), Checks::ALIVE | Checks::READY);
        assert!(Checks::from_bits(0).is_err());
        assert!(Checks::from_bits(8).unwrap_err().message().contains("0x8"));
        let c = Checks::READY | Checks::STARTUP;
        assert!(c.contains(Check::Ready) && c.contains(Check::Startup) && !c.contains(Check::Alive));
    }

    #[test]
    fn names() {
        for ok in ["db", "a.b-c_D9", &"x".repeat(MAX_NAME_LEN)] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "a b", "a/b", "ü", "a\n", &"x".repeat(MAX_NAME_LEN + 1)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reasons_are_sanitized_and_cut() {
        let mut s = String::new();
        sanitize_reason_into("a\r\nb\tc\u{7f}", &mut s);
        assert_eq!(s, "a  b c ");
        sanitize_reason_into(&"é".repeat(200), &mut s);
        assert!(s.len() <= MAX_REASON_LEN && s.len() % 2 == 0);
        assert!(s.chars().all(|c| c == 'é'));
    }
}

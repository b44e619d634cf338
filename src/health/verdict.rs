//! What a probe says right now, and the two rules of time that local and
//! workers' probes share: a kick's margin and a callback's timeout.

/// What a probe says right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict<'a> {
    Ok,
    Failed(&'a str),
    NotKicked { idle_ms: u64, margin_ms: u64 },
    TimedOut { timeout_ms: u64 },
}

impl Verdict<'_> {
    pub(crate) fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok)
    }

    /// Writes the reason of a failing verdict (nothing for `Ok`).
    pub(crate) fn write_reason(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let _ = match *self {
            Verdict::Ok => Ok(()),
            Verdict::Failed(reason) => out.write_all(reason.as_bytes()),
            Verdict::NotKicked { idle_ms, margin_ms } => {
                write!(out, "not kicked for {idle_ms} ms (margin {margin_ms} ms)")
            }
            Verdict::TimedOut { timeout_ms } => write!(out, "check timed out after {timeout_ms} ms"),
        };
    }
}

/// A kick probe's verdict: healthy while less than `margin_ns` passed since the last kick.
pub(crate) fn kick_verdict(now_ns: u64, last_kick_ns: u64, margin_ns: u64) -> Verdict<'static> {
    let idle = now_ns.saturating_sub(last_kick_ns);
    if idle < margin_ns {
        Verdict::Ok
    } else {
        Verdict::NotKicked { idle_ms: idle / 1_000_000, margin_ms: margin_ns / 1_000_000 }
    }
}

/// A callback probe whose run in flight (started at `started_ns`, 0: none)
/// passed its timeout fails, whatever its last result said.
pub(crate) fn overdue(now_ns: u64, started_ns: u64, timeout_ns: u64) -> Option<Verdict<'static>> {
    (started_ns != 0 && now_ns.saturating_sub(started_ns) > timeout_ns)
        .then_some(Verdict::TimedOut { timeout_ms: timeout_ns / 1_000_000 })
}

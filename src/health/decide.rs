//! The one place that decides whether a check passes. Everything that answers
//! for a check (the endpoints, the metrics, sd_notify) goes through `decide`;
//! renderers only draw the entries it visits.
//!
//! A check is made of its probes and, for readiness, two built-in states:
//! `shutdown` (fails once the shutdown sequence started) and `startup` (fails
//! until the startup check passed). A built-in state is visited like a probe,
//! and only while it holds the check down.

use super::exclude::Excludes;
use super::probe::Verdict;
use super::probe_registry::ProbeRegistry;
use super::Check;

/// The built-in state that fails readiness once shutdown has started.
pub(crate) const SHUTDOWN: &str = "shutdown";
const SHUTDOWN_REASON: &str = "shutting down";
/// The built-in state that holds readiness down until startup passed.
pub(crate) const STARTUP_GATE: &str = "startup";
const STARTUP_GATE_REASON: &str = "startup check has not passed yet";

/// The built-in state that holds readiness down while fewer workers than
/// `workers.min_ready` are attached (workers mode).
pub(crate) const WORKERS: &str = "workers";
const WORKERS_REASON: &str = "fewer workers attached than workers.min_ready";

/// Where an entry comes from: metrics report probes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Builtin,
    Probe,
}

/// One part of a check's decision, in the order the check is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub name: &'a str,
    /// `Ok` when excluded: an excluded probe is not read and counts as passing.
    pub verdict: Verdict<'a>,
    pub excluded: bool,
    pub source: Source,
}

impl<'a> Entry<'a> {
    fn builtin(name: &'a str, reason: &'a str) -> Entry<'a> {
        Entry { name, verdict: Verdict::Failed(reason), excluded: false, source: Source::Builtin }
    }
}

/// Decides `check` at `now_ns` without the names in `excludes`: calls `visit`
/// for each built-in state that fails it, then for each of its probes in
/// registration order, and returns whether it passes.
///
/// Startup latches: only a full, unfiltered pass latches it, and once latched
/// the startup check passes whatever its probes say.
pub(crate) fn decide(
    reg: &ProbeRegistry,
    check: Check,
    excludes: &mut Excludes,
    now_ns: u64,
    visit: impl FnMut(Entry<'_>),
) -> bool {
    decide_with(reg, check, excludes, now_ns, Latch::Yes, visit)
}

/// Whether a full pass of startup may latch it: answering for the
/// endpoints, metrics and sd_notify does; watching for the status
/// listeners does not (a listener added before the startup probes would
/// otherwise latch a startup check that has no probes yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Latch {
    Yes,
    No,
}

/// A visitor that looks at nothing (a fn item: one instance of `decide_with`).
fn ignore(_: Entry<'_>) {}

/// `decide`, saying whether a pass may latch startup.
pub(crate) fn decide_with(
    reg: &ProbeRegistry,
    check: Check,
    excludes: &mut Excludes,
    now_ns: u64,
    latch: Latch,
    mut visit: impl FnMut(Entry<'_>),
) -> bool {
    let mut passed = true;
    if check == Check::Ready {
        if reg.is_shutting_down() && !excludes.hit(SHUTDOWN) {
            passed = false;
            visit(Entry::builtin(SHUTDOWN, SHUTDOWN_REASON));
        }
        if reg.workers().is_some_and(|(n, min)| n < min) && !excludes.hit(WORKERS) {
            passed = false;
            visit(Entry::builtin(WORKERS, WORKERS_REASON));
        }
        // Before the probe lock is taken: deciding startup takes it too.
        if !excludes.hit(STARTUP_GATE)
            && !reg.startup_latched()
            && !decide_with(reg, Check::Startup, &mut Excludes::none(), now_ns, latch, ignore)
        {
            passed = false;
            visit(Entry::builtin(STARTUP_GATE, STARTUP_GATE_REASON));
        }
    }
    reg.with_probes(|probes| {
        for p in probes.iter().filter(|p| p.checks().contains(check)) {
            if excludes.hit(p.name()) {
                visit(Entry { name: p.name(), verdict: Verdict::Ok, excluded: true, source: Source::Probe });
                continue;
            }
            p.with_verdict(now_ns, |verdict| {
                passed &= verdict.is_ok();
                visit(Entry { name: p.name(), verdict, excluded: false, source: Source::Probe });
            });
        }
    });
    if check == Check::Startup {
        if passed && excludes.is_empty() && latch == Latch::Yes {
            reg.latch_startup();
        }
        passed |= reg.startup_latched();
    }
    passed
}

/// Whether `check` passes as its endpoint answers it without excludes.
pub(crate) fn passes(reg: &ProbeRegistry, check: Check, now_ns: u64) -> bool {
    decide(reg, check, &mut Excludes::none(), now_ns, |_| {})
}

/// Decides the single probe `name` of `check`, visiting it; `None` when
/// `check` has no such probe (built-in states are not probes).
pub(crate) fn decide_probe(
    reg: &ProbeRegistry,
    check: Check,
    name: &str,
    now_ns: u64,
    visit: impl FnOnce(Entry<'_>),
) -> Option<bool> {
    let probe = reg.find(name).filter(|p| p.checks().contains(check))?;
    Some(probe.with_verdict(now_ns, |verdict| {
        visit(Entry { name: probe.name(), verdict, excluded: false, source: Source::Probe });
        verdict.is_ok()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::probe::ProbeState;
    use crate::health::Checks;
    use std::sync::Arc;

    /// The decision and what it visited, as `(name, ok, excluded, source)`.
    fn run(reg: &ProbeRegistry, check: Check, excludes: &[&str]) -> (bool, Vec<(String, bool, bool, Source)>) {
        let mut seen = Vec::new();
        let mut ex = Excludes::new(excludes);
        let passed = decide(reg, check, &mut ex, 1, |e| {
            seen.push((e.name.to_string(), e.verdict.is_ok(), e.excluded, e.source))
        });
        (passed, seen)
    }

    fn probe(reg: &ProbeRegistry, name: &str, checks: Checks, healthy: bool) -> Arc<ProbeState> {
        let p = Arc::new(ProbeState::manual(name, checks, healthy));
        reg.add(p.clone()).unwrap();
        p
    }

    #[test]
    fn probes_in_order_and_only_of_the_check() {
        let r = ProbeRegistry::default();
        probe(&r, "ping", Checks::ALIVE | Checks::READY, true);
        let db = probe(&r, "db", Checks::READY, true);
        let (passed, seen) = run(&r, Check::Ready, &[]);
        assert!(passed);
        let names: Vec<_> = seen.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["ping", "db"]);
        assert!(seen.iter().all(|s| s.1 && !s.2 && s.3 == Source::Probe));
        db.set(false, Some("down")).unwrap();
        assert!(!run(&r, Check::Ready, &[]).0);
        assert_eq!(run(&r, Check::Alive, &[]), (true, vec![("ping".into(), true, false, Source::Probe)]));
        assert!(passes(&ProbeRegistry::default(), Check::Alive, 1), "no probes: passes");
    }

    #[test]
    fn excluded_probe_counts_as_passing() {
        let r = ProbeRegistry::default();
        probe(&r, "db", Checks::READY, false);
        assert_eq!(run(&r, Check::Ready, &["db"]), (true, vec![("db".into(), true, true, Source::Probe)]));
        let names = ["db", "nope"];
        let mut ex = Excludes::new(&names);
        decide(&r, Check::Ready, &mut ex, 1, |_| {});
        assert_eq!(ex.unmatched().collect::<Vec<_>>(), ["nope"]);
    }

    #[test]
    fn shutdown_state_fails_readiness_only_and_comes_first() {
        let r = ProbeRegistry::default();
        probe(&r, "db", Checks::ALIVE | Checks::READY, true);
        r.set_shutting_down();
        let (passed, seen) = run(&r, Check::Ready, &[]);
        assert!(!passed);
        assert_eq!(seen[0], ("shutdown".into(), false, false, Source::Builtin));
        assert_eq!(seen.len(), 2);
        assert!(run(&r, Check::Alive, &[]).0);
        assert!(run(&r, Check::Startup, &[]).0);
        assert!(!passes(&r, Check::Ready, 1));
    }

    #[test]
    fn startup_gate_holds_readiness_until_startup_passed() {
        let r = ProbeRegistry::default();
        let warm = probe(&r, "warm", Checks::STARTUP, false);
        let (passed, seen) = run(&r, Check::Ready, &[]);
        assert!(!passed);
        assert_eq!(seen, [("startup".into(), false, false, Source::Builtin)]);
        let mut reason = Vec::new();
        decide(&r, Check::Ready, &mut Excludes::none(), 1, |e| e.verdict.write_reason(&mut reason));
        assert_eq!(reason, b"startup check has not passed yet");
        warm.set(true, None).unwrap();
        assert_eq!(run(&r, Check::Ready, &[]), (true, vec![]));
        assert!(r.startup_latched(), "deciding readiness latched startup");
    }

    #[test]
    fn builtin_states_can_be_excluded() {
        let r = ProbeRegistry::default();
        probe(&r, "warm", Checks::STARTUP, false);
        r.set_shutting_down();
        assert!(!run(&r, Check::Ready, &["shutdown"]).0);
        assert!(!run(&r, Check::Ready, &["startup"]).0);
        assert_eq!(run(&r, Check::Ready, &["shutdown", "startup"]), (true, vec![]));
        let names = ["shutdown", "startup"];
        let mut ex = Excludes::new(&names);
        decide(&r, Check::Ready, &mut ex, 1, |_| {});
        assert_eq!(ex.unmatched().count(), 0, "an excluded built-in state matched");
        // Not shutting down: there is no `shutdown` to exclude; `startup` always is.
        let fresh = ProbeRegistry::default();
        let mut ex = Excludes::new(&names);
        decide(&fresh, Check::Ready, &mut ex, 1, |_| {});
        assert_eq!(ex.unmatched().collect::<Vec<_>>(), ["shutdown"]);
    }

    /// Moved here from the registry's tests (it held the latch before).
    #[test]
    fn startup_latches() {
        let r = ProbeRegistry::default();
        let s = probe(&r, "warm", Checks::STARTUP, false);
        assert!(!passes(&r, Check::Startup, 1));
        s.set(true, None).unwrap();
        assert!(passes(&r, Check::Startup, 1));
        s.set(false, None).unwrap();
        let (passed, seen) = run(&r, Check::Startup, &[]);
        assert!(passed, "stays passed once passed");
        assert_eq!(seen, [("warm".into(), false, false, Source::Probe)], "the probe itself still fails");
    }

    #[test]
    fn only_a_full_unfiltered_pass_latches() {
        let r = ProbeRegistry::default();
        let warm = probe(&r, "warm", Checks::STARTUP, false);
        probe(&r, "other", Checks::STARTUP, true);
        assert!(run(&r, Check::Startup, &["warm"]).0, "passes with the failing probe excluded");
        assert!(!r.startup_latched(), "but a filtered pass does not latch");
        warm.set(true, None).unwrap();
        assert!(run(&r, Check::Startup, &["nope"]).0);
        assert!(!r.startup_latched(), "any exclude, even one matching nothing, filters");
        warm.set(false, None).unwrap();
        assert!(run(&r, Check::Ready, &["startup"]).0);
        assert!(!r.startup_latched(), "excluding the gate leaves startup undecided");
        assert!(!passes(&r, Check::Startup, 1));
        warm.set(true, None).unwrap();
        assert!(passes(&r, Check::Startup, 1) && r.startup_latched());
    }

    #[test]
    fn single_probe() {
        let r = ProbeRegistry::default();
        let db = probe(&r, "db", Checks::READY, true);
        let mut seen = None;
        assert_eq!(decide_probe(&r, Check::Ready, "db", 1, |e| seen = Some(e.name.to_string())), Some(true));
        assert_eq!(seen.as_deref(), Some("db"));
        assert_eq!(decide_probe(&r, Check::Alive, "db", 1, |_| {}), None);
        assert_eq!(decide_probe(&r, Check::Ready, "shutdown", 1, |_| {}), None);
        db.set(false, None).unwrap();
        assert_eq!(decide_probe(&r, Check::Ready, "db", 1, |_| {}), Some(false));
    }
}

//! Exemplars: the latest (labels, value, time) of a counter or of each
//! bucket of a histogram, shown in the OpenMetrics and protobuf formats so
//! that a graph can jump to one trace of what it counts.

use crate::error::{Error, Result};
use crate::sync::lock;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// OpenMetrics: the names and values of an exemplar's labels, together, are
/// at most this many UTF-8 characters.
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// One exemplar. A slot's is rewritten in place by the next one, so that
/// after the first, recording one allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Exemplar {
    /// The names and values, one after the other.
    text: String,
    /// Where each label's name and value end in `text`.
    ends: Vec<(usize, usize)>,
    pub value: f64,
    /// Wall-clock time of the observation: seconds and nanoseconds since the epoch.
    pub seconds: i64,
    pub nanos: u32,
}

/// Checks exemplar labels as OpenMetrics requires; `what` names the metric in errors.
pub(crate) fn check(what: &str, labels: &[(&str, &str)]) -> Result<()> {
    let mut chars = 0;
    for (i, (name, v)) in labels.iter().enumerate() {
        if !super::is_label_name(name) {
            return Err(Error::invalid(format!("{what}: exemplar label name {name:?} is not valid")));
        }
        if labels[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(format!("{what}: exemplar label {name:?} is given twice")));
        }
        chars += name.len() + v.len();
    }
    if chars > MAX_EXEMPLAR_CHARS {
        // Bytes over the limit: count the characters (never more than bytes).
        chars = labels.iter().map(|(n, v)| n.chars().count() + v.chars().count()).sum();
    }
    if chars > MAX_EXEMPLAR_CHARS {
        return Err(Error::invalid(format!(
            "{what}: exemplar labels are {chars} characters; OpenMetrics allows at most {MAX_EXEMPLAR_CHARS}"
        )));
    }
    Ok(())
}

impl Exemplar {
    fn set(&mut self, labels: &[(&str, &str)], value: f64) {
        self.text.clear();
        self.ends.clear();
        for (name, v) in labels {
            self.text.push_str(name);
            let name_end = self.text.len();
            self.text.push_str(v);
            self.ends.push((name_end, self.text.len()));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.value = value;
        self.seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        self.nanos = now.subsec_nanos();
    }

    pub(crate) fn label_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let pair = (&self.text[start..name_end], &self.text[name_end..end]);
            start = end;
            pair
        })
    }
}

/// A series' latest exemplars, one slot per counter or histogram bucket;
/// the slots are made by the first exemplar, so a series that never gets
/// one costs only this empty cell.
#[derive(Default)]
pub(crate) struct Exemplars(OnceLock<Box<[Slot]>>);

/// One counter's or bucket's latest exemplar.
type Slot = Mutex<Option<Exemplar>>;

impl Exemplars {
    /// Keeps `labels` (checked by `check`), `value` and the time in slot `i`
    /// of `slots` (the same count for a series' life).
    pub(crate) fn record(&self, slots: usize, i: usize, labels: &[(&str, &str)], value: f64) {
        let all = self.0.get_or_init(|| (0..slots).map(|_| Mutex::new(None)).collect());
        if let Some(slot) = all.get(i) {
            lock(slot).get_or_insert_with(Exemplar::default).set(labels, value);
        }
    }

    /// Calls `f` with the latest exemplar of slot `i`, if there is one
    /// (writers of that slot wait meanwhile: keep `f` short).
    pub(crate) fn with<R>(&self, i: usize, f: impl FnOnce(&Exemplar) -> R) -> Option<R> {
        let slot = self.0.get()?.get(i)?;
        let guard = lock(slot);
        guard.as_ref().map(f)
    }

    pub(crate) fn has(&self, i: usize) -> bool {
        self.with(i, |_| ()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_labels_as_openmetrics_says() {
        assert!(check("m", &[("trace_id", "abc"), ("span_id", "12")]).is_ok());
        assert!(check("m", &[]).is_ok(), "an empty label set is allowed");
        let v128 = "é".repeat(128 - 1);
        assert!(check("m", &[("a", &v128)]).is_ok(), "128 characters, counted as characters");
        let v129 = "x".repeat(128);
        let err = check("m", &[("a", &v129)]).unwrap_err().to_string();
        assert!(err.contains("129 characters"), "{err}");
        assert!(check("m", &[("1a", "x")]).unwrap_err().to_string().contains("not valid"));
        assert!(check("m", &[("a", "x"), ("a", "y")]).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn keeps_the_latest_per_slot() {
        let x = Exemplars::default();
        assert!(!x.has(0));
        x.record(2, 1, &[("t", "1"), ("span", "a")], 1.0);
        x.record(2, 1, &[("t", "2")], 2.0);
        x.record(2, 7, &[("t", "3")], 3.0); // out of range: dropped
        assert!(!x.has(0));
        let (value, labels) =
            x.with(1, |e| (e.value, e.label_pairs().map(|(a, b)| format!("{a}={b}")).collect::<Vec<_>>())).unwrap();
        assert_eq!((value, labels), (2.0, vec!["t=2".to_string()]));
        assert!(x.with(1, |e| e.seconds).unwrap() > 1_700_000_000);
    }
}

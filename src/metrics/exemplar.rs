//! Exemplars: the latest (labels, value, time) of a counter or of each
//! bucket of a histogram, shown in the OpenMetrics and protobuf formats so
//! that a graph can jump to one trace of what it counts.

use crate::error::{Error, Result};
use crate::sync::lock;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// OpenMetrics: the names and values of an exemplar's labels, together, are
/// at most this many UTF-8 characters.
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// One exemplar, immutable once made (replaced whole by the next one).
#[derive(Debug)]
pub(crate) struct Exemplar {
    pub labels: Box<[(Box<str>, Box<str>)]>,
    pub value: f64,
    /// Wall-clock time of the observation: seconds and nanoseconds since the epoch.
    pub seconds: i64,
    pub nanos: u32,
}

impl Exemplar {
    /// Checks the labels as OpenMetrics requires; `what` names the metric in errors.
    pub(crate) fn new(what: &str, labels: &[(&str, &str)], value: f64) -> Result<Exemplar> {
        let mut chars = 0;
        for (i, (name, v)) in labels.iter().enumerate() {
            if !super::is_label_name(name) {
                return Err(Error::invalid(format!("{what}: exemplar label name {name:?} is not valid")));
            }
            if labels[..i].iter().any(|(n, _)| n == name) {
                return Err(Error::invalid(format!("{what}: exemplar label {name:?} is given twice")));
            }
            chars += name.chars().count() + v.chars().count();
        }
        if chars > MAX_EXEMPLAR_CHARS {
            return Err(Error::invalid(format!(
                "{what}: exemplar labels are {chars} characters; OpenMetrics allows at most {MAX_EXEMPLAR_CHARS}"
            )));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Ok(Exemplar {
            labels: labels.iter().map(|(n, v)| (Box::from(*n), Box::from(*v))).collect(),
            value,
            seconds: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
            nanos: now.subsec_nanos(),
        })
    }

    pub(crate) fn label_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(n, v)| (&**n, &**v))
    }
}

/// A series' latest exemplars, one slot per counter or histogram bucket;
/// the slots are made by the first exemplar, so a series that never gets
/// one costs only this empty cell.
#[derive(Default)]
pub(crate) struct Exemplars(OnceLock<Box<[Slot]>>);

/// One counter's or bucket's latest exemplar.
type Slot = Mutex<Option<Arc<Exemplar>>>;

impl Exemplars {
    /// Keeps `e` in slot `i` of `slots` (the same count for a series' life).
    pub(crate) fn record(&self, slots: usize, i: usize, e: Exemplar) {
        let all = self.0.get_or_init(|| (0..slots).map(|_| Mutex::new(None)).collect());
        if let Some(slot) = all.get(i) {
            *lock(slot) = Some(Arc::new(e));
        }
    }

    /// The latest exemplar of slot `i`, if any.
    pub(crate) fn get(&self, i: usize) -> Option<Arc<Exemplar>> {
        self.0.get()?.get(i).and_then(|slot| lock(slot).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_labels_as_openmetrics_says() {
        let e = Exemplar::new("m", &[("trace_id", "abc"), ("span_id", "12")], 0.5).unwrap();
        assert_eq!(e.label_pairs().collect::<Vec<_>>(), [("trace_id", "abc"), ("span_id", "12")]);
        assert!(e.seconds > 1_700_000_000);
        assert!(Exemplar::new("m", &[], 1.0).is_ok(), "an empty label set is allowed");
        let v128 = "é".repeat(128 - 1);
        assert!(Exemplar::new("m", &[("a", &v128)], 1.0).is_ok(), "128 characters, counted as characters");
        let v129 = "x".repeat(128);
        let err = Exemplar::new("m", &[("a", &v129)], 1.0).unwrap_err().to_string();
        assert!(err.contains("129 characters"), "{err}");
        assert!(Exemplar::new("m", &[("1a", "x")], 1.0).unwrap_err().to_string().contains("not valid"));
        assert!(Exemplar::new("m", &[("a", "x"), ("a", "y")], 1.0).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn keeps_the_latest_per_slot() {
        let x = Exemplars::default();
        assert!(x.get(0).is_none());
        x.record(2, 1, Exemplar::new("m", &[("t", "1")], 1.0).unwrap());
        x.record(2, 1, Exemplar::new("m", &[("t", "2")], 2.0).unwrap());
        x.record(2, 7, Exemplar::new("m", &[("t", "3")], 3.0).unwrap()); // out of range: dropped
        assert!(x.get(0).is_none());
        assert_eq!(x.get(1).map(|e| e.value), Some(2.0));
    }
}

//! Status listeners, check states and probe thresholds over the system libhams.

use hams::{Check, Checks, ErrorKind, Hams};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Event = (String, bool, String);

fn listen(h: &Hams) -> Receiver<Event> {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    h.on_change(move |name, healthy, reason| {
        let _ = tx.lock().unwrap().send((name.to_string(), healthy, reason.to_string()));
    })
    .expect("on_change");
    rx
}

#[track_caller]
fn next(rx: &Receiver<Event>) -> Event {
    rx.recv_timeout(Duration::from_secs(2)).expect("a change within 2 s")
}

#[test]
fn the_first_call_then_changes_in_order() {
    let h = Hams::new("sys-listen", "1").expect("new");
    let db = h.probe_manual("db", Checks::READY, true).expect("db");
    let _cache = h.probe_manual("cache", Checks::ALIVE, false).expect("cache");
    let rx = listen(&h);
    let first: Vec<(String, bool)> = (0..5).map(|_| next(&rx)).map(|e| (e.0, e.1)).collect();
    let want = [("db", true), ("cache", false), ("alive", false), ("ready", true), ("startup", true)];
    assert_eq!(first, want.map(|(n, b)| (n.to_string(), b)));
    db.set(false, Some("connection refused")).expect("set");
    assert_eq!(next(&rx), ("db".into(), false, "connection refused".into()));
    assert_eq!(next(&rx), ("ready".into(), false, "probe db: connection refused".into()));
    assert!(!h.check_state(Check::Ready) && h.check_state(Check::Startup) && !h.check_state(Check::Alive));
    db.set(true, None).expect("set");
    assert_eq!(next(&rx), ("db".into(), true, String::new()));
    assert_eq!(next(&rx), ("ready".into(), true, String::new()));
    assert!(h.shutdown());
    assert_eq!(next(&rx), ("shutdown".into(), false, "shutting down".into()), "the built-in shutdown first");
    let (name, healthy, reason) = next(&rx);
    assert_eq!((name.as_str(), healthy), ("ready", false));
    assert!(reason.starts_with("shutdown: shutting down"), "{reason}");
}

#[test]
fn thresholds_tolerate_blips() {
    let h = Hams::new("sys-thresholds", "1").expect("new");
    let db = h.probe_manual("db", Checks::READY, true).expect("db");
    db.set_thresholds(3, 2).expect("thresholds");
    db.set(false, Some("a")).expect("set");
    db.set(false, Some("b")).expect("set");
    assert!(h.check_state(Check::Ready), "two failures are tolerated");
    db.set(false, Some("c")).expect("set");
    assert!(!h.check_state(Check::Ready));
    db.set(true, None).expect("set");
    assert!(!h.check_state(Check::Ready), "one success is not enough");
    db.set(true, None).expect("set");
    assert!(h.check_state(Check::Ready));
    assert_eq!(db.set_thresholds(0, 1).expect_err("0").kind(), ErrorKind::Invalid);
    let kick = h.probe_kick("loop", Checks::ALIVE, 1000).expect("kick");
    assert_eq!(kick.set_thresholds(2, 2).expect_err("kick probe").kind(), ErrorKind::Invalid);
}

#[test]
fn a_listener_may_call_hams_and_drop_it() {
    let holder: Arc<Mutex<Option<Hams>>> = Arc::new(Mutex::new(Some(Hams::new("sys-drop", "1").expect("new"))));
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let guard = holder.lock().unwrap();
    let h = guard.as_ref().expect("hams");
    let bye = h.probe_manual("bye", Checks::READY, true).expect("bye");
    let keep = holder.clone();
    h.on_change(move |name, healthy, _| {
        let ready = keep.lock().unwrap().as_ref().map(|h| h.check_state(Check::Ready));
        if name == "bye" && !healthy {
            // Drops the Hams, hence this listener's slot: the call goes on.
            let dropped = keep.lock().unwrap().take();
            drop(dropped);
        }
        let _ = tx.lock().unwrap().send((name.to_string(), healthy, ready));
    })
    .expect("on_change");
    drop(guard);
    while next_of(&rx).0 != "startup" {}
    bye.set(false, Some("go")).expect("set");
    let e = next_of(&rx);
    assert_eq!((e.0.as_str(), e.1, e.2), ("bye", false, Some(false)), "check_state inside the listener");
    assert!(holder.lock().unwrap().is_none());
    bye.set(true, None).expect("a no-op once the server is gone");
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "not called after the drop");
}

#[track_caller]
fn next_of<T>(rx: &Receiver<T>) -> T {
    rx.recv_timeout(Duration::from_secs(2)).expect("a change within 2 s")
}

//! Status listeners and probe thresholds, through the Rust API with real
//! time: order, the first call, changes caused by time, coalescing behind a
//! slow listener, a listener that calls hams, and HTTP answering at once
//! while a listener blocks.

mod common;

use common::*;
use hams::{Check, Checks, Hams};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Event = (String, bool, String, Instant);

fn listen(h: &Hams) -> Receiver<Event> {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    h.on_change(move |name, healthy, reason| {
        let _ = tx.lock().unwrap().send((name.to_string(), healthy, reason.to_string(), Instant::now()));
    })
    .unwrap();
    rx
}

/// The next event, or a panic after `within`.
#[track_caller]
fn next(rx: &Receiver<Event>, within: Duration) -> Event {
    match rx.recv_timeout(within) {
        Ok(e) => e,
        Err(_) => panic!("no change within {within:?}"),
    }
}

fn quiet(rx: &Receiver<Event>, for_: Duration) {
    if let Ok(e) = rx.recv_timeout(for_) {
        panic!("unexpected change {e:?}");
    }
}

#[test]
fn first_the_current_states_then_each_change_in_order() {
    let h = Hams::new("listen", "1").unwrap();
    let db = h.probe_manual("db", Checks::READY, true).unwrap();
    let _cache = h.probe_manual("cache", Checks::ALIVE, false).unwrap();
    let rx = listen(&h);
    let first: Vec<(String, bool)> = (0..5).map(|_| next(&rx, Duration::from_secs(2))).map(|e| (e.0, e.1)).collect();
    let want = [("db", true), ("cache", false), ("alive", false), ("ready", true), ("startup", true)];
    assert_eq!(first, want.map(|(n, b)| (n.to_string(), b)));
    quiet(&rx, Duration::from_millis(200));
    db.set(false, Some("connection refused")).unwrap();
    let a = next(&rx, Duration::from_millis(100));
    let b = next(&rx, Duration::from_millis(100));
    assert_eq!((a.0.as_str(), a.1, a.2.as_str()), ("db", false, "connection refused"));
    assert_eq!((b.0.as_str(), b.1, b.2.as_str()), ("ready", false, "probe db: connection refused"));
    db.set(false, Some("still refused")).unwrap();
    quiet(&rx, Duration::from_millis(200)); // a new reason alone is not a change
    assert!(!h.check_state(Check::Ready) && h.check_state(Check::Startup));
    db.set(true, None).unwrap();
    let (c, d) = (next(&rx, Duration::from_millis(100)), next(&rx, Duration::from_millis(100)));
    assert_eq!([(c.0.as_str(), c.1), (d.0.as_str(), d.1)], [("db", true), ("ready", true)]);
    assert!(h.shutdown());
    let s = next(&rx, Duration::from_millis(100));
    assert_eq!((s.0.as_str(), s.1, s.2.as_str()), ("shutdown", false, "shutting down"), "the drain began");
    let s = next(&rx, Duration::from_millis(100));
    assert_eq!((s.0.as_str(), s.1), ("ready", false));
    assert!(s.2.starts_with("shutdown: shutting down"), "{}", s.2);
}

#[test]
fn a_listener_added_before_the_probes_does_not_latch_startup() {
    let h = Hams::new("early", "1").unwrap();
    let rx = listen(&h);
    let first: Vec<(String, bool)> = (0..3).map(|_| next(&rx, Duration::from_secs(2))).map(|e| (e.0, e.1)).collect();
    assert_eq!(first, [("alive", true), ("ready", true), ("startup", true)].map(|(n, b)| (n.to_string(), b)));
    let warmup = h.probe_manual("warmup", Checks::STARTUP | Checks::READY, false).unwrap();
    assert!(!h.check_state(Check::Startup), "startup waits for its probe: watching did not latch it");
    let names: Vec<(String, bool)> =
        (0..3).map(|_| next(&rx, Duration::from_millis(100))).map(|e| (e.0, e.1)).collect();
    assert_eq!(names, [("warmup", false), ("ready", false), ("startup", false)].map(|(n, b)| (n.to_string(), b)));
    warmup.set(true, None).unwrap();
    assert!(h.check_state(Check::Startup) && h.check_state(Check::Ready));
}

#[test]
fn changes_caused_by_time_arrive_within_100_ms() {
    let h = Hams::new("time", "1").unwrap();
    let kick = h.probe_kick("loop", Checks::ALIVE, 300).unwrap();
    let runs = Arc::new(Mutex::new(0));
    let r = runs.clone();
    let hung_at = Arc::new(Mutex::new(None));
    let hung = hung_at.clone();
    // The first run passes; the second, 300 ms later, hangs past its 200 ms timeout.
    let _slow = h
        .probe_callback("slow", Checks::READY, 300, 200, move || {
            *r.lock().unwrap() += 1;
            if *r.lock().unwrap() > 1 {
                *hung.lock().unwrap() = Some(Instant::now());
                std::thread::sleep(Duration::from_secs(2));
            }
            Ok(())
        })
        .unwrap();
    let rx = listen(&h);
    let kicked = Instant::now();
    kick.kick().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let (mut loop_failed, mut slow_failed) = (None, None);
    while Instant::now() < deadline && (loop_failed.is_none() || slow_failed.is_none()) {
        let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) else { continue };
        match (e.0.as_str(), e.1) {
            ("loop", false) => loop_failed = Some(e.3),
            ("slow", false) if e.2.contains("timed out") => slow_failed = Some(e.3),
            _ => {}
        }
    }
    let late = loop_failed.expect("the kick margin passed").duration_since(kicked);
    assert!(late >= Duration::from_millis(300) && late < Duration::from_millis(400), "told after {late:?}");
    let hung = hung_at.lock().unwrap().expect("the second run started");
    // `hung` is taken inside the run, a moment after hams started it.
    let late = slow_failed.expect("the run timed out").duration_since(hung);
    assert!(late >= Duration::from_millis(190) && late < Duration::from_millis(300), "told after {late:?}");
    kick.kick().unwrap();
    let t = Instant::now();
    loop {
        let e = next(&rx, Duration::from_millis(100));
        if e.0 == "loop" {
            assert!(e.1 && t.elapsed() < Duration::from_millis(100), "a kick revives it at once");
            break;
        }
    }
}

#[test]
fn a_blocked_listener_delays_nothing_and_gets_the_latest_state() {
    let (h, port) = started("blocked");
    let p = h.probe_manual("flappy", Checks::READY, true).unwrap();
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (g, l) = (gate.clone(), log.clone());
    h.on_change(move |name, healthy, _| {
        if name == "flappy" && !healthy {
            drop(g.lock().unwrap());
        }
        l.lock().unwrap().push((name.to_string(), healthy));
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    p.set(false, Some("one")).unwrap(); // the listener blocks on this one
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let r = get(port, "/hams/ready");
    assert!(t.elapsed() < Duration::from_millis(100) && r.status == 503, "HTTP answers at once");
    h.shutdown();
    assert!(h.is_shutting_down(), "the shutdown sequence starts with a listener blocked");
    for healthy in [true, false, true] {
        p.set(healthy, None).unwrap();
    }
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let log = log.lock().unwrap();
    let flappy: Vec<bool> = log.iter().filter(|e| e.0 == "flappy").map(|e| e.1).collect();
    assert_eq!(flappy, [true, false, true], "three flips while blocked arrive as the latest state: {log:?}");
}

#[test]
fn a_listener_may_call_hams_and_free_it() {
    let h = Arc::new(Mutex::new(Some(Hams::new("calls", "1").unwrap())));
    let probe = h.lock().unwrap().as_ref().unwrap().probe_manual("p", Checks::READY, true).unwrap();
    let (tx, rx) = channel();
    let h2 = h.clone();
    h.lock()
        .unwrap()
        .as_ref()
        .unwrap()
        .on_change(move |name, healthy, _| {
            if name == "p" && !healthy {
                // Calls hams, then frees the Hams from its own listener.
                let hams = h2.lock().unwrap().take().unwrap();
                let _ = tx.send(hams.check_state(Check::Ready));
                drop(hams);
            }
        })
        .unwrap();
    probe.set(false, None).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(2)), Ok(false));
    assert!(h.lock().unwrap().is_none());
}

#[test]
fn thresholds_hold_the_state_until_enough_results_in_a_row() {
    let h = Hams::new("thresholds", "1").unwrap();
    let results = Arc::new(Mutex::new(vec![Ok(()), Err("e1"), Err("e2"), Ok(()), Err("e3"), Err("e4"), Err("e5")]));
    let r = results.clone();
    let cb = h
        .probe_callback("db", Checks::READY, 50, 1000, move || {
            let mut r = r.lock().unwrap();
            if r.is_empty() {
                Ok(())
            } else {
                r.remove(0).map_err(String::from)
            }
        })
        .unwrap();
    cb.set_thresholds(3, 1).unwrap();
    let rx = listen(&h);
    let mut db = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline
        && db.len() < 4
        && !db.ends_with(&[(false, "e5".to_string()), (true, String::new())])
    {
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) {
            if e.0 == "db" {
                db.push((e.1, e.2));
            }
        }
    }
    // Its first run may have passed before the listener was added.
    if db.first() == Some(&(false, "not checked yet".to_string())) {
        db.remove(0);
    }
    let want = [(true, ""), (false, "e5"), (true, "")];
    assert_eq!(db[..3], want.map(|(b, r)| (b, r.to_string())), "one or two failures stay healthy; three turn it");

    let m = h.probe_manual("m", Checks::READY, true).unwrap();
    m.set_thresholds(2, 2).unwrap();
    m.set(false, Some("x")).unwrap();
    assert!(m.is_healthy());
    m.set(false, Some("y")).unwrap();
    assert!(!m.is_healthy() && h.report(Check::Ready).1.contains("[-]m failed: y"));
    m.set(true, None).unwrap();
    assert!(!m.is_healthy());
    m.set(true, None).unwrap();
    assert!(m.is_healthy());
    assert!(m.set_thresholds(0, 1).is_err());
    let k = h.probe_kick("k", Checks::ALIVE, 1000).unwrap();
    assert!(k.set_thresholds(2, 2).unwrap_err().message().contains("not kick probes"));
}

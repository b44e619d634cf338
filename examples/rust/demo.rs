//! The hams demo service in Rust, following the contract in tests/tck/README.md:
//! `cargo run --release --example demo -- --address 127.0.0.1:0 --warmup-ms 500`.

use hams::{Checks, Config, Hams};
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() -> Result<(), hams::Error> {
    let args: Vec<String> = std::env::args().collect();
    let ms = |name: &str, default: u64| arg(&args, name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let warmup = Duration::from_millis(ms("--warmup-ms", 2000));

    let mut config = Config::new("hams-demo", hams::VERSION);
    config.address = arg(&args, "--address").unwrap_or_else(|| hams::DEFAULT_ADDRESS.into());
    config.shutdown.drain = Duration::from_millis(ms("--drain-ms", 5000));
    config.shutdown.handle_signals = true;
    let h = Hams::with_config(config)?;

    let warm = h.probe_manual("warmup", Checks::READY | Checks::STARTUP, false)?;
    let lp = h.probe_kick("loop", Checks::ALIVE, 1000)?;
    let disk_fails = Arc::new(AtomicBool::new(false));
    let fails = disk_fails.clone();
    let _disk = h.probe_callback("disk", Checks::READY, 200, 1000, move || {
        if fails.load(Ordering::Relaxed) {
            Err("disk full (tck)".into())
        } else {
            Ok(())
        }
    })?;
    let loops = h.counter("demo_loops_total", "Main-loop iterations of the demo.", &[])?;
    h.on_shutdown(|| println!("hams demo: shutdown callback ran"))?;
    // One line per change of a check or probe (println! flushes stdout's line).
    h.on_change(|name, healthy, _reason| {
        println!("hams demo: change {name} {}", if healthy { "healthy" } else { "unhealthy" });
    })?;
    // The kit's vector counter and default-bucket histogram, known values.
    let requests = h.counter_vec("tck_requests_total", "Requests by path and code (tck).", &["path", "code"])?;
    requests.with(&["/a", "200"])?.add(1.0)?;
    requests.with(&["/a", "200"])?.add(1.0)?;
    requests.with(&["/b", "500"])?.add_exemplar(1.0, &[("trace_id", "b7ad6b7169203331")])?;
    let latency = h.histogram("tck_latency_seconds", "Latency (tck), default buckets.", &hams::DEFAULT_BUCKETS, &[])?;
    latency.observe_exemplar(0.3, &[("trace_id", "0af7651916cd43dd8448eb211c80319c")])?;
    // Built in (crate hams) or over the system library (crate hams-system):
    // the demo names the crate it was built with.
    h.set_runtime("Rust", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))?;
    h.start()?;
    println!("hams demo: serving on http://127.0.0.1:{}/hams/ready", h.port()?);

    // stdin commands arrive on their own thread; the main loop applies them.
    let kicking = Arc::new(AtomicBool::new(true));
    let (k, f) = (kicking.clone(), disk_fails.clone());
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            match line.trim() {
                "stop-kicking" => k.store(false, Ordering::Relaxed),
                "start-kicking" => k.store(true, Ordering::Relaxed),
                "fail-disk" => f.store(true, Ordering::Relaxed),
                "heal-disk" => f.store(false, Ordering::Relaxed),
                "invalid-call" => {
                    let _ = tx.send(());
                }
                _ => {}
            }
        }
    });

    let started = Instant::now();
    while !h.wait(Some(Duration::from_millis(100))) {
        if kicking.load(Ordering::Relaxed) {
            lp.kick()?;
        }
        if started.elapsed() >= warmup {
            warm.set(true, None)?;
        }
        loops.add(1.0)?;
        if rx.try_recv().is_ok() {
            if let Err(e) = h.probe_manual("bad name", Checks::READY, true) {
                println!("hams demo: error: {e}");
            }
        }
    }
    println!("hams demo: stopped");
    Ok(())
}

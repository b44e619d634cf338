//! hams embed-rust: one process, two languages, one `hams_t`, one libhams.
//!
//! A Rust program on the system library (`hams-system` over `hams-sys`,
//! linked against `libhams.so.0`) that embeds CPython with pyo3. It creates
//! the health server, registers its own probe `rust-side` and a counter, and
//! starts serving; then it runs a Python plugin (by default
//! `examples/embed/plugin.py`, the one the C host runs), handing it the same
//! `hams_t *` as an int. The plugin wraps it with
//! `hams.Hams.from_handle(handle, owned=False)` from `bindings/python`,
//! whose ctypes loads `libhams.so.0`: the library this process already
//! mapped, so one libhams serves both sides.
//!
//!     embed-rust-host [PLUGIN.py [ADDRESS]]     (ADDRESS default 127.0.0.1:0)
//!
//! It prints `embed-rust: port=<port>` and the files libhams is mapped from
//! (`/proc/self/maps`: one), serves until stdin closes, frees the server and
//! prints `embed-rust: stopped`.

use hams::{Checks, Hams};
use pyo3::prelude::*;
use std::collections::BTreeSet;
use std::io::Read;
use std::process::ExitCode;

/// The files named `libhams*` mapped into this process.
fn libhams_mappings() -> BTreeSet<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|path| path.rsplit('/').next().is_some_and(|f| f.starts_with("libhams")))
        .map(String::from)
        .collect()
}

/// Runs the plugin file and calls its `register(handle)`; returns what that
/// returns (the plugin's state, kept until the server is freed).
fn run_plugin(path: &str, handle: usize) -> PyResult<Py<PyAny>> {
    Python::attach(|py| {
        let globals = py.import("runpy")?.call_method1("run_path", (path,))?;
        let register = globals.get_item("register")?;
        Ok(register.call1((handle,))?.unbind())
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let here = env!("CARGO_MANIFEST_DIR");
    let default_plugin = format!("{here}/../embed/plugin.py");
    let plugin = args.get(1).map_or(default_plugin.as_str(), String::as_str);
    let address = args.get(2).map_or("127.0.0.1:0", String::as_str);

    // The Rust side.
    let result = (|| -> hams::Result<(Hams, hams::Probe, hams::Metric)> {
        let h = Hams::new("hams-embed-rust", &hams::library_version())?;
        h.set_address(address)?;
        let side = h.probe_manual("rust-side", Checks::READY, true)?;
        let loads = h.counter("embed_rust_hosts_total", "Rust hosts started", &[])?;
        loads.add(1.0)?;
        h.start()?;
        Ok((h, side, loads))
    })();
    let (h, side, loads) = match result {
        Ok(parts) => parts,
        Err(e) => {
            eprintln!("embed-rust: hams: {e}");
            return ExitCode::FAILURE;
        }
    };

    // The Python side, on the same hams_t. pyo3 releases the GIL when
    // `attach` returns, so hams' threads can run the plugin's check.
    let state = match run_plugin(plugin, h.as_ptr() as usize) {
        Ok(state) => state,
        Err(e) => {
            Python::attach(|py| e.print(py));
            eprintln!("embed-rust: the plugin {plugin} failed");
            return ExitCode::FAILURE;
        }
    };

    match h.port() {
        Ok(port) => println!("embed-rust: port={port}"),
        Err(e) => {
            eprintln!("embed-rust: hams: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mapped: Vec<String> = libhams_mappings().into_iter().collect();
    println!("embed-rust: libhams mapped from: {}", mapped.join(", "));

    // Serve until stdin closes.
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}

    // Free the server (the plugin's probes with it) while Python can still
    // run their callbacks, then let go of the plugin's objects.
    drop((side, loads));
    drop(h);
    Python::attach(|_| drop(state));
    println!("embed-rust: stopped");
    ExitCode::SUCCESS
}

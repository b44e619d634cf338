//! Runs the host with the C host's plugin and checks, over HTTP, that the
//! one server shows the Rust probe and the Python probes, and, from the
//! process's /proc/<pid>/maps, that one libhams file is mapped.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let status = text.get(9..12).and_then(|c| c.parse().ok()).expect("status line");
    (status, text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string())
}

/// Kills the host if the test fails half-way.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn next_line(lines: &Receiver<String>, seen: &mut Vec<String>, prefix: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = lines.recv_timeout(left).ok()?;
        seen.push(line.clone());
        if line.starts_with(prefix) {
            return Some(line);
        }
    }
    None
}

#[test]
fn rust_and_python_share_one_server_and_one_libhams() {
    let here = env!("CARGO_MANIFEST_DIR");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embed-rust-host"));
    cmd.arg(format!("{here}/../embed/plugin.py"))
        .env("PYTHONPATH", format!("{here}/../../bindings/python"))
        // The Python package must find the library the host mapped, by itself.
        .env_remove("HAMS_LIBRARY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut host = Host(cmd.spawn().expect("spawn the host"));
    let pid = host.0.id();
    let (tx, lines) = channel();
    let stdout = host.0.stdout.take().expect("stdout");
    std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
    let mut seen = Vec::new();

    let port_line = next_line(&lines, &mut seen, "embed-rust: port=");
    let Some(port) = port_line.and_then(|l| l["embed-rust: port=".len()..].parse::<u16>().ok()) else {
        let mut err = String::new();
        let _ = host.0.stderr.take().map(|mut e| e.read_to_string(&mut err));
        panic!("no port line; stdout {seen:?}, stderr {err}");
    };
    assert!(seen.iter().any(|l| l.starts_with("embed: python plugin registered")), "{seen:?}");

    // The plugin's check runs on a hams thread: wait for its first result.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ready = get(port, "/hams/ready?verbose");
    while !ready.1.contains("[+]py-check ok") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        ready = get(port, "/hams/ready?verbose");
    }
    let (status, body) = ready;
    for probe in ["[+]rust-side ok", "[+]py-side ok", "[+]py-check ok"] {
        assert!(body.contains(probe), "no {probe} in /hams/ready?verbose:\n{body}");
    }
    assert_eq!(status, 200, "{body}");
    let metrics = get(port, "/hams/metrics").1;
    assert!(metrics.contains("embed_rust_hosts_total 1"), "{metrics}");
    assert!(metrics.contains("embed_plugin_loads_total 1"), "{metrics}");
    assert!(get(port, "/hams/version").1.contains("\"service\":\"hams-embed-rust\""));

    // One libhams in the process: the maps name one file, libhams.so.0 (or
    // the file it links to), and the host saw the same in /proc/self/maps.
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let paths: BTreeSet<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.rsplit('/').next().is_some_and(|f| f.starts_with("libhams")))
        .collect();
    assert_eq!(paths.len(), 1, "libhams mapped from {paths:?}");
    let path = paths.first().copied().unwrap_or_default();
    assert!(path.contains("libhams.so.0"), "{path}");
    let told = next_line(&lines, &mut seen, "embed-rust: libhams mapped from: ").unwrap_or_default();
    assert_eq!(told, format!("embed-rust: libhams mapped from: {path}"), "{seen:?}");

    // Closing stdin stops the host.
    drop(host.0.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while host.0.try_wait().expect("try_wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = host.0.try_wait().expect("try_wait");
    assert!(status.is_some_and(|s| s.success()), "exit {status:?}");
    assert!(next_line(&lines, &mut seen, "embed-rust: stopped").is_some(), "{seen:?}");
    let mut err = String::new();
    let _ = host.0.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert!(!err.contains("Traceback") && !err.contains("Fatal Python error"), "{err}");
}

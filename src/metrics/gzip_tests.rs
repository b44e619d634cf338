use super::*;
use miniz_oxide::inflate::decompress_to_vec;
use std::io::Write;
use std::process::{Command, Stdio};

/// Something like a large exposition.
fn exposition(series: usize) -> Vec<u8> {
    let mut out = b"# HELP requests_total Requests served.\n# TYPE requests_total counter\n".to_vec();
    for i in 0..series {
        writeln!(out, "requests_total{{code=\"{}\",path=\"/api/v1/item/{i}\"}} {}", 200 + i % 5, i * 7919 % 100_003)
            .unwrap();
    }
    out
}

/// Bytes that do not compress (xorshift).
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Checks the member's header and trailer and inflates its body.
fn gunzip(member: &[u8]) -> Vec<u8> {
    assert_eq!(&member[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
    let n = member.len();
    let body = decompress_to_vec(&member[10..n - 8]).unwrap();
    assert_eq!(u32::from_le_bytes(member[n - 8..n - 4].try_into().unwrap()), crc32(&body));
    assert_eq!(u32::from_le_bytes(member[n - 4..].try_into().unwrap()), body.len() as u32);
    body
}

fn encode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    assert!(Gzip::new().encode(input, &mut out));
    out
}

#[test]
fn crc32_check_values() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414f_a339);
}

#[test]
fn round_trips_through_inflate() {
    for input in [Vec::new(), b"x".to_vec(), exposition(10), exposition(5000), noise(200_000)] {
        assert_eq!(gunzip(&encode(&input)), input, "{} bytes", input.len());
    }
}

#[test]
fn large_expositions_shrink() {
    let input = exposition(5000);
    let packed = encode(&input);
    assert!(input.len() > 200_000);
    assert!(packed.len() * 4 < input.len(), "{} -> {}", input.len(), packed.len());
}

#[test]
fn appends_and_reuses_the_compressor() {
    let mut gzip = Gzip::new();
    let (a, b) = (exposition(300), noise(70_000));
    let mut out = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    assert!(gzip.encode(&a, &mut out));
    let first = out.len();
    assert!(gzip.encode(&b, &mut out));
    assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n\r\n"));
    assert_eq!(gunzip(&out[19..first]), a);
    assert_eq!(gunzip(&out[first..]), b);
    // A reset compressor writes the same bytes again, into the same buffer.
    let mut again = Vec::with_capacity(out.len());
    let pointer = again.as_ptr();
    assert!(gzip.encode(&a, &mut again));
    assert_eq!(again, out[19..first]);
    assert_eq!(again.as_ptr(), pointer);
}

fn run(program: &str, args: &[&str], input: &[u8]) -> Option<std::process::Output> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    Some(output)
}

/// Other gzip readers accept the member: gzip -t, and Python's gzip module.
#[test]
fn gzip_and_python_read_it() {
    let input = exposition(2000);
    let member = encode(&input);
    let Some(tested) = run("gzip", &["-t"], &member) else {
        eprintln!("skipped: no gzip command");
        return;
    };
    assert!(tested.status.success(), "gzip -t: {}", String::from_utf8_lossy(&tested.stderr));
    let unpacked = run("gzip", &["-dc"], &member).unwrap();
    assert_eq!(unpacked.stdout, input);
    let script = "import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))";
    let Some(python) = run("python3", &["-c", script], &member) else {
        eprintln!("skipped: no python3");
        return;
    };
    assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
    assert_eq!(python.stdout, input);
}

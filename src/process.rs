//! This process and others of its tree: who we are after a fork, and
//! whether a process that joined the tree is still the one that joined.
//!
//! A process is named by its pid and its start time (clock ticks after boot,
//! `/proc/<pid>/stat` field 22): a pid that the kernel reused names another
//! process, with another start time.

/// The calling process' pid (not cached: it changes across `fork`).
pub(crate) fn current_pid() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    unsafe { libc::getpid() as u32 }
}

/// What `/proc/<pid>/stat` says of a process: (state letter, start time).
fn stat(pid: u32) -> Option<(u8, u64)> {
    let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Field 3 (state) and field 22 (start time) of a stat line; the command
/// name (field 2) may hold spaces and parentheses, so fields are counted
/// after its last ')'.
fn parse_stat(text: &[u8]) -> Option<(u8, u64)> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(text.get(close + 1..)?).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    // Fields 4..=21 come before the start time.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// The start time of `pid` (None if there is no such process).
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    stat(pid).map(|(_, start)| start)
}

/// Whether the process that was `pid` started at `start` still runs: not
/// gone, not a zombie (it can update nothing any more), not a reused pid.
pub(crate) fn is_alive(pid: u32, start: u64) -> bool {
    matches!(stat(pid), Some((state, s)) if s == start && state != b'Z' && state != b'X')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names() {
        let line = b"42 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 123456 19 20";
        assert_eq!(parse_stat(line), Some((b'S', 123456)));
        assert_eq!(parse_stat(b"42 (x) Z 1"), None);
        assert_eq!(parse_stat(b"garbage"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_made_up_start_is_not() {
        let me = current_pid();
        let start = start_time(me).unwrap();
        assert!(is_alive(me, start));
        assert!(!is_alive(me, start + 1), "same pid, another start: another process");
        assert!(!is_alive(u32::MAX - 1, 1));
    }
}

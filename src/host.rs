//! The memory a process may use: the least of the host's physical memory, its control group's limit and the
//! process's address-space limit (Linux; elsewhere unknown). Allocations whose size a caller chose (an
//! `iota` of any length, a device array) are checked against it, and against a device's memory, before
//! anything is allocated: past it, the allocation would fail, abort the process or wake the kernel's OOM
//! killer, so it is refused with an error naming the size.

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The memory this process may use, in bytes, when it can be told (read once).
pub(crate) fn memory() -> Option<u64> {
    static MEMORY: OnceLock<Option<u64>> = OnceLock::new();
    *MEMORY.get_or_init(read_memory)
}

#[cfg(target_os = "linux")]
fn read_memory() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let mut limits = Vec::new();
    limits.extend(read("/proc/meminfo").and_then(|t| mem_total(&t)));
    limits.extend(read("/proc/self/limits").and_then(|t| address_space_limit(&t)));
    // cgroup v2: the process's group and its ancestors; v1: the memory controller's limit.
    if let Some(group) =
        read("/proc/self/cgroup").and_then(|t| t.lines().find_map(|l| l.strip_prefix("0::").map(String::from)))
    {
        let mut dir = std::path::PathBuf::from("/sys/fs/cgroup").join(group.trim().trim_start_matches('/'));
        loop {
            limits.extend(read(&dir.join("memory.max").to_string_lossy()).and_then(|t| t.trim().parse::<u64>().ok()));
            if !dir.pop() || !dir.starts_with("/sys/fs/cgroup") {
                break;
            }
        }
    }
    limits.extend(read("/sys/fs/cgroup/memory/memory.limit_in_bytes").and_then(|t| t.trim().parse::<u64>().ok()));
    limits.into_iter().filter(|&b| b > 0).min()
}

#[cfg(not(target_os = "linux"))]
fn read_memory() -> Option<u64> {
    None
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft "Max address space" of `/proc/self/limits`, in bytes (`None` when unlimited).
fn address_space_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    line.trim_start_matches("Max address space").split_whitespace().next()?.parse().ok()
}

/// Bytes as a reader takes them in: "64.0 GiB (68719476736 bytes)".
pub(crate) fn bytes_shown(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {} ({bytes} bytes)", UNITS[unit])
}

/// Refuses `elements` values of `elem_bytes` bytes each for `what` when they pass `limit` bytes, the memory
/// of `place` (e.g. "this host"); the error names the size, the count and the memory.
pub(crate) fn check_fits(what: &str, elements: u64, elem_bytes: u64, limit: Option<u64>, place: &str) -> Result<()> {
    let Some(limit) = limit else { return Ok(()) };
    let bytes = u128::from(elements) * u128::from(elem_bytes);
    if bytes <= u128::from(limit) {
        return Ok(());
    }
    let value = u64::try_from(bytes).unwrap_or(u64::MAX);
    Err(Error::LimitExceeded {
        what: format!(
            "the bytes of {what} ({elements} values of {elem_bytes} bytes: {}; {place} has {})",
            bytes_shown(value),
            bytes_shown(limit)
        ),
        value,
        limit,
    })
}

/// [`check_fits`] against the host's memory ([`memory`]).
pub(crate) fn check_host(what: &str, elements: u64, elem_bytes: u64) -> Result<()> {
    check_fits(what, elements, elem_bytes, memory(), "this host")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_limits() {
        assert_eq!(mem_total("MemTotal:       24576000 kB\nMemFree: 1 kB\n"), Some(24_576_000 * 1024));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max address space         12000000000          unlimited            bytes\n";
        assert_eq!(address_space_limit(limits), Some(12_000_000_000));
        assert_eq!(address_space_limit(&limits.replace("12000000000", "unlimited")), None);
        #[cfg(target_os = "linux")]
        assert!(memory().is_some_and(|m| m > 1 << 20));
    }

    #[test]
    fn refuses_past_the_limit_naming_the_size() {
        assert!(check_fits("iota's output", 4, 8, Some(32), "the device").is_ok());
        assert!(check_fits("iota's output", u64::MAX, 8, None, "the device").is_ok());
        let e = check_fits("iota's output", 1 << 33, 8, Some(24 << 30), "the device").unwrap_err().to_string();
        assert!(e.contains("64.0 GiB (68719476736 bytes)") && e.contains("the device has 24.0 GiB"), "{e}");
        let e = check_fits("x", u64::MAX, 16, Some(1), "this host").unwrap_err().to_string();
        assert!(e.contains(&u64::MAX.to_string()), "{e}");
    }
}

//! The `window` example as a user runs it: a time window run over a sparse history stops with an error
//! naming the window count and the options that lift it, streamed and in memory, and `--skip-empty` /
//! `--max-windows` do what they say, and `--by tokens --max-tokens N --encoding E` budgets tokens.
//!
//! The example is built by `cargo test` (or `cargo build --release --examples`); when it is not there this
//! test fails, unless `STREAMLINER_SKIP_EXAMPLES=1`, and then it says that it skipped.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampSecondArray};
use streamliner::io::write_table;

/// The `window` example next to this test's binary (`target/<profile>/examples/window`).
fn example() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(format!("window{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        return Some(path);
    }
    if std::env::var("STREAMLINER_SKIP_EXAMPLES").is_ok_and(|v| v == "1") {
        eprintln!("STREAMLINER_SKIP_EXAMPLES=1: skipping the window example test ({} is not built)", path.display());
        return None;
    }
    panic!("the window example is not built at {}: run `cargo build --release --examples`", path.display());
}

/// An Arrow IPC file of `ts` (seconds) and `text`.
fn history(name: &str, ts: Vec<i64>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let n = ts.len();
    let batch = RecordBatch::try_from_iter([
        ("ts", Arc::new(TimestampSecondArray::from(ts).with_timezone("UTC")) as ArrayRef),
        ("text", Arc::new(StringArray::from(vec!["x"; n])) as ArrayRef),
    ])
    .unwrap();
    write_table(&batch, &path).unwrap();
    path
}

fn run(bin: &PathBuf, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin).args(args).env("STREAMLINER_BACKEND", "cpu").output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

#[test]
fn sparse_time_windows_stop_with_a_clear_error() {
    let Some(bin) = example() else { return };
    // Three rows spanning 4 * 10^9 hours, one-hour windows.
    let far = 4_000_000_000i64 * 3600;
    let path = history("sparse.arrow", vec![0, 1, far]);
    let file = path.to_str().unwrap();
    for mode in [&[][..], &["--in-memory"][..]] {
        let mut args = vec![file, "--by", "hours", "--step", "1", "--overlap", "0"];
        args.extend_from_slice(mode);
        let (code, _, err) = run(&bin, &args);
        assert_eq!(code, 1, "{mode:?}: {err}");
        assert!(err.contains("4000000001") && err.contains("max_windows"), "{mode:?}: {err}");
        assert!(err.contains("--skip-empty") && err.contains("--max-windows"), "{mode:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        // Without the empty windows: the two that hold rows.
        args.push("--skip-empty");
        let (code, out, err) = run(&bin, &args);
        assert_eq!(code, 0, "{mode:?}: {err}");
        assert_eq!(out.lines().count(), 3, "a header and two windows: {out}");
    }
}

#[test]
fn max_windows_is_a_flag() {
    let Some(bin) = example() else { return };
    let path = history("hourly.arrow", (0..10).map(|h| h * 3600).collect());
    let file = path.to_str().unwrap();
    for mode in [&[][..], &["--in-memory"][..]] {
        let mut args = vec![file, "--by", "hours", "--step", "1", "--max-windows", "10"];
        args.extend_from_slice(mode);
        let (code, out, err) = run(&bin, &args);
        assert_eq!((code, out.lines().count()), (0, 11), "{err}");
        args[6] = "9";
        let (code, _, err) = run(&bin, &args);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("is 10, beyond the limit of 9"), "{err}");
    }
}

#[test]
fn token_budgets_are_flags() {
    let Some(bin) = example() else { return };
    // Ten messages of "x": one token each in both encodings.
    let path = history("tokens.arrow", (0..10).collect());
    let file = path.to_str().unwrap();
    for mode in [&[][..], &["--in-memory"][..]] {
        for encoding in ["o200k_base", "cl100k_base"] {
            let mut args = vec![file, "--by", "tokens", "--max-tokens", "4", "--encoding", encoding, "--overlap", "0"];
            args.extend_from_slice(mode);
            let (code, out, err) = run(&bin, &args);
            assert_eq!(code, 0, "{mode:?}: {err}");
            let units: Vec<&str> = out.lines().skip(1).map(|l| l.rsplit(',').next().unwrap_or("")).collect();
            assert_eq!(units, ["4", "4", "2"], "{out}");
        }
        let (code, _, err) = run(&bin, &[file, "--by", "tokens"]);
        assert!(code == 1 && err.contains("--max-tokens"), "{err}");
        let (code, _, err) = run(&bin, &[file, "--by", "tokens", "--max-tokens", "4", "--encoding", "p50k"]);
        assert!(code == 1 && err.contains("p50k"), "{err}");
    }
}

//! Histories for the window tests: the contract's reference shapes and random ones, and the specs
//! that the random tests run.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
use streamliner::strings::LengthUnit;
use streamliner::window::{Semantics, WindowSpec};

use super::Rng;

pub const MINUTE: i64 = 60_000_000;
pub const HOUR: i64 = 60 * MINUTE;
/// 2023-01-01T12:00:00Z in microseconds.
pub const NOON: i64 = 1_672_574_400_000_000;

pub fn history(ts: &[i64], texts: &[Option<&str>]) -> RecordBatch {
    let ts = TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC");
    let text = StringArray::from(texts.to_vec());
    let id = arrow_array::UInt64Array::from_iter_values(0..texts.len() as u64);
    RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _), ("id", Arc::new(id) as _)])
        .unwrap()
}

pub fn both() -> [Semantics; 2] {
    [Semantics::Strict, Semantics::Egregora]
}

/// A random history: bursty timestamps with ties, empty and null texts, 1- to 4-byte characters, some
/// messages longer than the budgets used.
pub fn random_history(rng: &mut Rng, n: usize) -> RecordBatch {
    const PIECES: [&str; 6] = ["a", "é", "€", "😀", " ", "xyz"];
    let mut t = NOON;
    let ts: Vec<i64> = (0..n)
        .map(|_| {
            t += match rng.below(4) {
                0 => 0,
                1 => rng.below(60) as i64 * 1_000_000,
                2 => rng.below(3 * 3600) as i64 * 1_000_000,
                _ => 1,
            };
            t
        })
        .collect();
    let texts: Vec<Option<String>> = (0..n)
        .map(|_| match rng.below(10) {
            0 => None,
            1 => Some(String::new()),
            2 => Some("😀".repeat(rng.below(60) as usize)),
            _ => Some((0..rng.below(12)).map(|_| PIECES[rng.below(6) as usize]).collect()),
        })
        .collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
    history(&ts, &refs)
}

pub fn specs() -> Vec<WindowSpec> {
    let mut v = Vec::new();
    for s in both() {
        for r in [0.0, 0.2, 0.5] {
            v.push(WindowSpec::messages(7).overlap(r).semantics(s));
            v.push(WindowSpec::hours(1).overlap(r).semantics(s));
            v.push(WindowSpec::hours(5).overlap(r).max_window_time(Duration::from_secs(5400)).semantics(s));
            for m in [1, 2, 17, 64, 500] {
                v.push(WindowSpec::bytes(m).overlap(r).semantics(s));
            }
        }
    }
    for m in [1, 20, 90] {
        v.push(WindowSpec::bytes(m).overlap(0.3).length_unit(LengthUnit::CodePoints));
        v.push(WindowSpec::bytes(m).overlap(0.3).max_window_time(Duration::from_secs(600)));
        v.push(WindowSpec::bytes(m).max_window_time(Duration::from_secs(1)));
    }
    v
}

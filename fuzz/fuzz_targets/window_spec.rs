//! Window specs and histories decoded from bytes, on the CPU engine: never panics or hangs; strict windows
//! cover every row once in order with no window inside its predecessor; streaming over batch splits gives the
//! in-memory windows; `split_window` on the first window with an arbitrary part count returns.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
use libfuzzer_sys::fuzz_target;
use streamliner::window::{Semantics, StepUnit, Weight, WindowSpec};
use streamliner::{Backend, Engine, Error};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |a, _| (a << 8) | u64::from(self.u8()))
    }
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(Backend::Cpu).expect("the CPU engine always builds"))
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let knobs = b.u8();
    let step_unit = [StepUnit::Messages, StepUnit::Hours, StepUnit::Days, StepUnit::Bytes][usize::from(knobs % 4)];
    let small = |v: u64, k: u8| if k & 0x80 == 0 { v % 300 } else { v };
    let step_size = small(b.u64(), knobs);
    let max_bytes_per_window = small(b.u64(), knobs << 1);
    let overlap_ratio = f64::from(b.u8()) / 200.0 - 0.1;
    let mwt = b.u64();
    let spec = WindowSpec {
        step_unit,
        step_size,
        max_bytes_per_window,
        overlap_ratio,
        max_window_time: (knobs & 8 != 0).then(|| Duration::from_secs(mwt % 100_000)),
        weight: (knobs & 16 != 0).then_some(Weight::CodePoints),
        semantics: if knobs & 32 != 0 { Semantics::Egregora } else { Semantics::Strict },
        skip_empty_windows: knobs & 64 != 0,
        max_windows: 20_000,
        ..WindowSpec::default()
    };
    let split = usize::from(b.u8() % 17) + 1;
    let mut t = (b.u64() as i64).saturating_mul(i64::from(b.u8() & 1));
    let (mut ts, mut texts) = (Vec::new(), Vec::new());
    while !b.0.is_empty() && ts.len() < 400 {
        let gap = match b.u8() % 4 {
            0 => 0,
            1 => i64::from(b.u8()),
            2 => i64::from(b.u8()) * 60_000_000,
            _ => (b.u64() >> 20) as i64,
        };
        t = t.saturating_add(gap);
        ts.push(t);
        let len = usize::from(b.u8() % 24);
        let take = len.min(b.0.len());
        texts.push((len != 23).then(|| String::from_utf8_lossy(&b.0[..take]).into_owned()));
        b.0 = &b.0[take..];
    }
    let n = ts.len();
    let history = RecordBatch::try_from_iter([
        ("ts", Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")) as _),
        ("text", Arc::new(StringArray::from(texts)) as _),
    ])
    .expect("two columns of one length");
    let Ok(w) = engine().window(&history, &spec) else { return };
    let ws = w.windows();
    if spec.semantics == Semantics::Strict
        && matches!(spec.step_unit, StepUnit::Messages | StepUnit::Bytes)
        && !spec.skip_empty_windows
        && (ws.len() as u64) < spec.max_windows
        && n > 0
    {
        assert_eq!(ws.first().map(|x| x.start_row), Some(0));
        assert_eq!(ws.last().map(|x| x.end_row), Some(n as u64));
        for p in ws.windows(2) {
            assert!(p[1].start_row <= p[0].end_row && p[1].start_row > p[0].start_row && p[1].end_row > p[0].end_row);
        }
    }
    let batches: Vec<Result<RecordBatch, Error>> =
        (0..n).step_by(split).map(|at| Ok(history.slice(at, split.min(n - at)))).collect();
    let streamed: Vec<_> = engine()
        .window_stream(batches, &spec)
        .expect("the spec was accepted in memory")
        .map(|r| r.expect("streaming a sorted history").window)
        .collect();
    assert_eq!(streamed.as_slice(), ws);
    if let Some(first) = ws.first() {
        let _ = w.split_window(first, mwt | 2);
    }
});

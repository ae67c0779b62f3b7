//! Windows by tokens: the budget holds for every rendered prompt counted whole, every row is in a window,
//! `units` is the prompt's count, the windows are the same on every backend, and a `Weight::Tokens` spec
//! streamed gives the in-memory windows.

mod common;

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use common::Rng;
use streamliner::Engine;
use streamliner::llm::{PromptTemplate, token_windows};
use streamliner::tokens::{Encoding, count_tokens};
use streamliner::window::{Semantics, WindowSpec};

/// Pieces that tokenize differently alone and joined: newlines, spaces, digits, markup, CJK, emoji.
const PIECES: [&str; 14] =
    ["hello", " world", "\n", "\n\n", "  ", "123", "4", "<b>", "&amp;", "é", "日本語", "😀", "'s", "xxxxxxxxxxxxxxxx"];

fn history(rng: &mut Rng, n: usize) -> RecordBatch {
    let text: Vec<String> = (0..n)
        .map(|_| {
            let long = rng.below(20) == 0;
            let k = rng.below(if long { 200 } else { 12 });
            (0..k).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect()
        })
        .collect();
    let ts: Vec<i64> = (0..n as i64).map(|i| i * 60_000_000).collect();
    let ts = TimestampMicrosecondArray::from(ts).with_timezone("UTC");
    let ids = StringArray::from((0..n).map(|i| format!("m{i}")).collect::<Vec<_>>());
    RecordBatch::try_from_iter([
        ("msg_id", Arc::new(ids) as ArrayRef),
        ("ts", Arc::new(ts) as ArrayRef),
        ("text", Arc::new(StringArray::from(text)) as ArrayRef),
    ])
    .unwrap()
}

/// Checks the windows of `spec` over `batches`; returns them as (start, end, units).
fn checked(engine: &Engine, batches: &[RecordBatch], spec: &WindowSpec, enc: Encoding) -> Vec<(u64, u64, u64)> {
    let budget = spec.max_bytes_per_window;
    let out = token_windows(engine, batches, spec, &PromptTemplate::egregora()).unwrap();
    let rendered = out.rendered();
    let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut covered = vec![false; n];
    let mut got = Vec::new();
    for (i, w) in out.windows().windows().iter().enumerate() {
        assert_eq!(w.index, i as u64);
        let prompt = rendered.prompt(w.start_row..w.end_row).unwrap().to_string();
        let whole = count_tokens(&prompt, enc).unwrap();
        assert_eq!(whole, w.units, "window {i}");
        assert!(whole <= budget || w.size() == 1, "window {i}: {whole} tokens over {budget} in {} rows", w.size());
        covered[w.start_row as usize..w.end_row as usize].iter_mut().for_each(|c| *c = true);
        got.push((w.start_row, w.end_row, w.units));
    }
    assert!(covered.iter().all(|&c| c), "every row is in a window");
    let table = out.windows().table();
    assert_eq!(table.num_rows(), got.len());
    got
}

fn budgets_hold_for_whole_prompts(engine: &Engine) {
    let mut rng = Rng::new(18);
    for n in [0usize, 1, 2, 7, 61, 300] {
        for (budget, overlap, semantics, enc) in [
            (60, 0.0, Semantics::Strict, Encoding::O200kBase),
            (200, 0.2, Semantics::Strict, Encoding::Cl100kBase),
            (500, 0.5, Semantics::Strict, Encoding::O200kBase),
            (150, 0.2, Semantics::Egregora, Encoding::O200kBase),
        ] {
            let batch = history(&mut rng, n);
            let spec = WindowSpec::tokens(budget, enc).overlap(overlap).semantics(semantics);
            let whole = checked(engine, std::slice::from_ref(&batch), &spec, enc);
            // The same rows in several batches give the same windows.
            if n > 3 {
                let parts = [batch.slice(0, n / 3), batch.slice(n / 3, n - n / 3)];
                assert_eq!(checked(engine, &parts, &spec, enc), whole);
            }
            // And so does the CPU engine.
            assert_eq!(checked(common::cpu(), std::slice::from_ref(&batch), &spec, enc), whole);
        }
    }
}

fn token_weight_streams_as_in_memory(engine: &Engine) {
    let mut rng = Rng::new(7);
    let batch = history(&mut rng, 500);
    for semantics in [Semantics::Strict, Semantics::Egregora] {
        let spec = WindowSpec::tokens(120, Encoding::O200kBase).overlap(0.2).semantics(semantics);
        let memory = engine.window(&batch, &spec).unwrap();
        let pieces: Vec<Result<RecordBatch, streamliner::Error>> =
            (0..5).map(|k| Ok(batch.slice(k * 100, 100))).collect();
        let streamed: Vec<_> = engine.window_stream(pieces, &spec).unwrap().map(|w| w.unwrap().window).collect();
        assert_eq!(streamed, memory.windows(), "{semantics:?}");
        // Each window's units are its rows' token counts added up.
        let counts = streamliner::tokens::token_counts(engine, batch.column(2).as_ref(), Encoding::O200kBase).unwrap();
        for w in memory.windows().iter().filter(|w| semantics == Semantics::Strict && w.size() > 0) {
            let sum: u64 = (w.start_row..w.end_row).map(|r| u64::from(counts.value(r as usize))).sum();
            assert_eq!(w.units, sum);
        }
    }
}

fn bad_specs(engine: &Engine) {
    let batch = history(&mut Rng::new(1), 10);
    let t = PromptTemplate::egregora();
    let err = token_windows(engine, std::slice::from_ref(&batch), &WindowSpec::bytes(100), &t).unwrap_err();
    assert!(err.to_string().contains("WindowSpec::tokens"), "{err}");
    let err = token_windows(engine, std::slice::from_ref(&batch), &WindowSpec::tokens(3, Encoding::O200kBase), &t)
        .unwrap_err();
    assert!(err.to_string().contains("header and footer"), "{err}");
    let spec = WindowSpec::tokens(100, Encoding::O200kBase).partition_by("text");
    assert!(token_windows(engine, &[batch], &spec, &t).is_err());
}

on_every_backend!(budgets_hold_for_whole_prompts, token_weight_streams_as_in_memory, bad_specs);

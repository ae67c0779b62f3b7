//! Prompts and their SHA-256: the pipeline's conversation XML as Jinja2 renders it and hashlib hashes
//! it (tests/fixtures/prompts.json, from make_llm_fixtures.py), quirks included, on every backend; and
//! GPU digests against the CPU's on generated histories of awkward sizes.

mod common;

use std::sync::Arc;

use arrow_array::types::*;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, LargeStringArray, PrimitiveArray, RecordBatch, StringArray, UInt64Array,
};
use common::Rng;
use serde_json::Value;
use streamliner::Engine;
use streamliner::llm::{ConversationColumns, PromptTemplate, window_ranges};

fn floats<T: ArrowPrimitiveType>(values: &[Value], conv: impl Fn(f64) -> T::Native) -> ArrayRef {
    let v: Vec<Option<T::Native>> =
        values.iter().map(|x| x.as_str().map(|s| conv(s.parse::<f64>().expect("a float")))).collect();
    Arc::new(v.into_iter().collect::<PrimitiveArray<T>>())
}

/// A column from its JSON description (see make_llm_fixtures.py).
fn column(c: &Value) -> ArrayRef {
    let values = c["values"].as_array().unwrap();
    let ints = || values.iter().map(Value::as_i64).collect::<Vec<_>>();
    let strs = || values.iter().map(Value::as_str).collect::<Vec<_>>();
    match c["type"].as_str().unwrap() {
        "utf8" => Arc::new(StringArray::from(strs())),
        "large_utf8" => Arc::new(LargeStringArray::from(strs())),
        "int64" => Arc::new(PrimitiveArray::<Int64Type>::from(ints())),
        "int32" => Arc::new(PrimitiveArray::<Int32Type>::from(
            ints().into_iter().map(|v| v.map(|x| x as i32)).collect::<Vec<_>>(),
        )),
        "float64" => floats::<Float64Type>(values, |x| x),
        "float32" => floats::<Float32Type>(values, |x| x as f32),
        "bool" => Arc::new(BooleanArray::from(values.iter().map(Value::as_bool).collect::<Vec<_>>())),
        "date32" => Arc::new(Date32Array::from(ints().into_iter().map(|v| v.map(|x| x as i32)).collect::<Vec<_>>())),
        "timestamp" => {
            let tz: Option<Arc<str>> = c["tz"].as_str().map(Into::into);
            let v = ints();
            match c["unit"].as_str().unwrap() {
                "s" => Arc::new(PrimitiveArray::<TimestampSecondType>::from(v).with_timezone_opt(tz)),
                "ms" => Arc::new(PrimitiveArray::<TimestampMillisecondType>::from(v).with_timezone_opt(tz)),
                "us" => Arc::new(PrimitiveArray::<TimestampMicrosecondType>::from(v).with_timezone_opt(tz)),
                _ => Arc::new(PrimitiveArray::<TimestampNanosecondType>::from(v).with_timezone_opt(tz)),
            }
        }
        other => panic!("column type {other}"),
    }
}

fn table(t: &Value) -> RecordBatch {
    let cols: Vec<(String, ArrayRef)> =
        t["columns"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap().to_string(), column(c))).collect();
    RecordBatch::try_from_iter(cols).unwrap()
}

fn template(case: &Value) -> PromptTemplate {
    if let Some(t) = case.get("template") {
        let s = |k: &str| t[k].as_str().unwrap();
        return PromptTemplate::new(s("message")).unwrap().header(s("header")).footer(s("footer")).empty(s("empty"));
    }
    match case.get("columns").filter(|c| c.is_object()) {
        Some(c) => PromptTemplate::conversation_xml(&ConversationColumns {
            id: c["id"].as_str().map(Into::into),
            author: c["author"].as_str().map(Into::into),
            ts: c["ts"].as_str().map(Into::into),
            text: c["text"].as_str().map(Into::into),
        }),
        None => PromptTemplate::egregora(),
    }
}

fn python_fixtures(engine: &Engine) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prompts.json")).unwrap();
    let cases: Value = serde_json::from_str(&text).unwrap();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let messages = table(&case["table"]);
        let windows: Vec<(u64, u64)> = case["windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w[0].as_u64().unwrap(), w[1].as_u64().unwrap()))
            .collect();
        let rendered = template(case).render(&messages).unwrap();
        let prompts = rendered.prompts(&windows).unwrap();
        let digests = rendered.hex_digests(engine, &windows).unwrap();
        for (i, &(s, e)) in windows.iter().enumerate() {
            let want = case["prompts"][i].as_str().unwrap();
            assert_eq!(prompts.value(i), want, "{name}: window {s}..{e}");
            assert_eq!(rendered.prompt(s..e).unwrap().to_string(), want, "{name}: window {s}..{e}");
            assert_eq!(digests.value(i), case["sha256"][i].as_str().unwrap(), "{name}: window {s}..{e}");
        }
    }
}

/// A history of `n` messages: ids, times, text with HTML-special characters and multi-byte ones.
fn history(rng: &mut Rng, n: usize) -> RecordBatch {
    const PIECES: [&str; 10] = ["hi", " ", "&amp;", "<", "\"", "'", "é", "😀", "\n", "名前"];
    let text: Vec<String> =
        (0..n).map(|_| (0..rng.below(40)).map(|_| PIECES[rng.below(10) as usize]).collect()).collect();
    let ts: Vec<i64> = (0..n as i64).map(|i| 1_704_096_000_000_000 + i * 1_000_250).collect();
    RecordBatch::try_from_iter([
        ("msg_id", Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("{i}_{i}")))) as ArrayRef),
        ("ts", Arc::new(PrimitiveArray::<TimestampMicrosecondType>::from(ts).with_timezone("UTC")) as _),
        ("text", Arc::new(StringArray::from(text)) as _),
    ])
    .unwrap()
}

/// Count windows of `size` rows stepping by `step`, plus an empty window and the whole history.
fn count_windows(n: u64, size: u64, step: u64) -> Vec<(u64, u64)> {
    let mut w: Vec<(u64, u64)> = (0..n).step_by(step as usize).map(|s| (s, (s + size).min(n))).collect();
    w.extend([(0, 0), (0, n)]);
    w
}

fn digests_match_cpu(engine: &Engine) {
    let mut rng = Rng::new(100);
    for n in common::awkward_sizes().into_iter().filter(|&n| n <= 20_000) {
        let rendered = PromptTemplate::egregora().render(&history(&mut rng, n)).unwrap();
        assert_eq!(rendered.len(), n);
        for (size, step) in [(100, 80), (1, 1), (7, 3)] {
            let windows = count_windows(n as u64, size, step);
            let got = rendered.digests(engine, &windows).unwrap();
            let cpu = rendered.digests(common::cpu(), &windows).unwrap();
            assert_eq!(got, cpu, "{n} messages, windows of {size} by {step}");
        }
    }
}

/// Prompts are the messages' text between the frame, whatever the window: checked against each
/// message rendered alone.
fn prompts_are_ranges(engine: &Engine) {
    let mut rng = Rng::new(7);
    let messages = history(&mut rng, 5000);
    let rendered = PromptTemplate::egregora().render(&messages).unwrap();
    let windows = count_windows(5000, 100, 80);
    let prompts = rendered.prompts(&windows).unwrap();
    for (i, &(s, e)) in windows.iter().enumerate() {
        let want = if s == e {
            "<chat></chat>".to_string()
        } else {
            let body: String = (s..e).map(|r| rendered.message(r as usize)).collect();
            format!("<chat>\n{body}\n</chat>")
        };
        assert_eq!(prompts.value(i), want);
    }
    // One message rendered from a one-row slice is that row's text in the whole rendering.
    let one = PromptTemplate::egregora().render(&messages.slice(1234, 1)).unwrap();
    assert_eq!(one.message(0), rendered.message(1234));
    let digests = rendered.digests(engine, &windows).unwrap();
    assert_eq!(digests[3], sha2_of(prompts.value(3)));
}

fn sha2_of(s: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).into()
}

fn bad_input(engine: &Engine) {
    let mut rng = Rng::new(1);
    let messages = history(&mut rng, 10);
    let rendered = PromptTemplate::egregora().render(&messages).unwrap();
    assert!(rendered.prompt(3..11).is_err());
    let e = rendered.digests(engine, &[(0, 2), (5, 4)]).unwrap_err();
    assert!(e.to_string().contains("window 1"), "{e}");
    let e = PromptTemplate::new("{nope}").unwrap().render(&messages).unwrap_err();
    assert!(e.to_string().contains("nope") && e.to_string().contains("msg_id"), "{e}");
    let cols = ConversationColumns { author: Some("who".into()), ..Default::default() };
    assert!(PromptTemplate::conversation_xml(&cols).render(&messages).is_err());
    // A window table's ranges.
    let wt = RecordBatch::try_from_iter([
        ("start_row", Arc::new(UInt64Array::from(vec![0, 5])) as ArrayRef),
        ("end_row", Arc::new(UInt64Array::from(vec![5, 10])) as _),
    ])
    .unwrap();
    assert_eq!(window_ranges(&wt).unwrap(), vec![(0, 5), (5, 10)]);
    assert!(window_ranges(&messages).is_err());
    // An empty table renders no message; its one window is empty.
    let empty = PromptTemplate::egregora().render(&messages.slice(0, 0)).unwrap();
    assert_eq!(empty.prompts(&[(0, 0)]).unwrap().value(0), "<chat></chat>");
}

on_every_backend!(python_fixtures, digests_match_cpu, prompts_are_ranges, bad_input);

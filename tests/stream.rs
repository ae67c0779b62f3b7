//! Streaming windows, chunked in-memory input and partitions: each equals the in-memory windows of the
//! whole history (or of each partition alone), on every backend, for every window kind and semantics.

mod common;

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
use common::Rng;
use common::histories::*;
use streamliner::window::{StreamWindow, Window, WindowSpec};
use streamliner::{Engine, Error};

/// `h` cut into consecutive batches of random sizes in `1..=max`.
fn split(h: &RecordBatch, rng: &mut Rng, max: usize) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < h.num_rows() {
        let len = (1 + rng.below(max as u64) as usize).min(h.num_rows() - at);
        out.push(h.slice(at, len));
        at += len;
    }
    out
}

fn stream_windows(engine: &Engine, batches: &[RecordBatch], spec: &WindowSpec) -> Vec<StreamWindow> {
    let input = batches.iter().cloned().map(Ok::<_, Error>);
    engine.window_stream(input, spec).unwrap().with_rows().collect::<Result<Vec<_>, _>>().unwrap()
}

/// Every spec of the random window tests, days, and time windows without empty ones.
fn all_specs() -> Vec<WindowSpec> {
    let mut v = specs();
    for s in both() {
        v.push(WindowSpec::days(1).overlap(0.2).semantics(s));
        v.push(WindowSpec::hours(1).overlap(0.5).semantics(s).skip_empty_windows(true));
        v.push(WindowSpec::messages(1).overlap(0.0).semantics(s));
    }
    v
}

fn stream_equals_in_memory(engine: &Engine) {
    let mut rng = Rng::new(70);
    for n in [0, 1, 2, 3, 10, 100, 700] {
        let h = random_history(&mut rng, n);
        // One row a batch (small histories), random sizes, one batch.
        let mut splits = vec![split(&h, &mut rng, 1 + n / 3), vec![h.clone()]];
        if n <= 100 {
            splits.push(split(&h, &mut rng, 1));
        }
        for spec in all_specs() {
            let want = common::cpu().window(&h, &spec).unwrap();
            for batches in &splits {
                let got = stream_windows(engine, batches, &spec);
                let ws: Vec<Window> = got.iter().map(|w| w.window).collect();
                assert!(ws == want.windows(), "n {n}, {} batches, {spec:?}", batches.len());
                for w in got.iter().step_by(7) {
                    assert_eq!(w.rows().unwrap(), want.rows(&w.window).unwrap(), "{spec:?} {:?}", w.window);
                }
                // The chunked in-memory call gives the same windows and rows.
                let chunked = engine.window_batches(batches, &spec).unwrap();
                assert!(chunked.windows() == want.windows(), "chunked: n {n}, {spec:?}");
                assert_eq!(chunked.table(), want.table());
            }
        }
    }
}

fn tables_equal_the_window_table(engine: &Engine) {
    let mut rng = Rng::new(71);
    let h = random_history(&mut rng, 500);
    let batches = split(&h, &mut rng, 60);
    for spec in [WindowSpec::bytes(64).overlap(0.2), WindowSpec::hours(1), WindowSpec::messages(9)] {
        let want = engine.window(&h, &spec).unwrap();
        let input = batches.iter().cloned().map(Ok::<_, Error>);
        let tables: Vec<RecordBatch> =
            engine.window_stream(input, &spec).unwrap().tables(5).collect::<Result<_, _>>().unwrap();
        assert!(tables.iter().all(|t| t.num_rows() <= 5 && t.num_rows() > 0));
        let all = arrow_select::concat::concat_batches(&want.table().schema(), &tables).unwrap();
        assert_eq!(&all, want.table(), "{spec:?}");
    }
}

/// A history of `chats` interleaved chats (column `chat`), each in timestamp order.
fn chats(rng: &mut Rng, n: usize, chats: u64) -> RecordBatch {
    let h = random_history(rng, n);
    let keys: Vec<String> = (0..n).map(|_| format!("chat-{}", rng.below(chats))).collect();
    let mut cols: Vec<(&str, ArrayRef)> = vec![("chat", Arc::new(StringArray::from(keys)))];
    let schema = h.schema();
    for (f, c) in schema.fields().iter().zip(h.columns()) {
        cols.push((f.name().as_str(), c.clone()));
    }
    RecordBatch::try_from_iter(cols).unwrap()
}

fn partitions_equal_each_chat_alone(engine: &Engine) {
    let mut rng = Rng::new(72);
    let h = chats(&mut rng, 600, 4);
    let batches = split(&h, &mut rng, 50);
    let key = h.column_by_name("chat").unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
    for spec in [
        WindowSpec::bytes(40).overlap(0.3),
        WindowSpec::bytes(25).overlap(0.2).semantics(streamliner::window::Semantics::Egregora),
        WindowSpec::hours(2).overlap(0.2),
        WindowSpec::messages(11).overlap(0.2),
    ] {
        let spec = spec.partition_by("chat");
        let in_memory = engine.window(&h, &spec).unwrap();
        let chunked = engine.window_batches(&batches, &spec).unwrap();
        assert_eq!(chunked.windows(), in_memory.windows());
        assert_eq!(chunked.table(), in_memory.table());
        let streamed = stream_windows(engine, &batches, &spec);
        let ws: Vec<Window> = streamed.iter().map(|w| w.window).collect();
        let mut sorted = ws.clone();
        sorted.sort_by_key(|w| (w.partition, w.index));
        assert_eq!(sorted, in_memory.windows());
        for p in 0..in_memory.partitions() {
            let name = in_memory.partition_key(p).unwrap().as_any().downcast_ref::<StringArray>().unwrap().value(0);
            let mask = arrow_array::BooleanArray::from_iter(key.iter().map(|k| Some(k == Some(name))));
            let alone = arrow_select::filter::filter_record_batch(&h, &mask).unwrap();
            let want = engine.window(&alone, &WindowSpec { partition_by: None, ..spec.clone() }).unwrap();
            let got: Vec<Window> = in_memory
                .windows()
                .iter()
                .filter(|w| w.partition == p as u64)
                .map(|w| Window { partition: 0, ..*w })
                .collect();
            assert_eq!(got, want.windows(), "partition {name}, {spec:?}");
            // Rows are the partition's, and map back to the input rows.
            let w = in_memory.windows().iter().find(|w| w.partition == p as u64 && w.size() > 0).unwrap();
            let rows = in_memory.rows(w).unwrap();
            assert_eq!(rows, want.rows(&Window { partition: 0, ..*w }).unwrap());
            let input = in_memory.partition_input_row(p as u64, w.start_row);
            assert_eq!(key.value(input as usize), name);
            // Streamed windows carry the key.
            let s = streamed.iter().find(|s| s.window.partition == p as u64).unwrap();
            let k = s.key.as_ref().unwrap().as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
            assert_eq!(k, name);
        }
        let table_keys = in_memory.table().column_by_name("chat").unwrap();
        assert_eq!(table_keys.len(), in_memory.len());
    }
}

fn out_of_order_streams_name_the_row(engine: &Engine) {
    let h = history(&[NOON, NOON + 5, NOON + 3, NOON + 9], &[Some("a"), Some("b"), Some("c"), Some("d")]);
    let batches = [h.slice(0, 2), h.slice(2, 2)];
    let input = batches.iter().cloned().map(Ok::<_, Error>);
    let err = engine.window_stream(input, &WindowSpec::messages(2)).unwrap().find_map(Result::err);
    match err {
        Some(Error::OutOfOrder { row, ts, previous, .. }) => assert_eq!((row, ts, previous), (2, NOON + 3, NOON + 5)),
        other => panic!("expected OutOfOrder at row 2, got {other:?}"),
    }
    // The in-memory calls sort instead.
    let w = engine.window_batches(&batches, &WindowSpec::messages(2).overlap(0.0)).unwrap();
    assert_eq!(w.input_rows().unwrap().values().as_ref(), &[0, 2, 1, 3]);
    // A null timestamp names its row, counted over the stream.
    let sorted = history(&[NOON, NOON + 1, NOON + 2, NOON + 3], &[Some("a"), Some("b"), Some("c"), Some("d")]);
    let ts = TimestampMicrosecondArray::from(vec![Some(NOON + 4), None]).with_timezone("UTC");
    let b = RecordBatch::try_from_iter([
        ("ts", Arc::new(ts) as ArrayRef),
        ("text", Arc::new(StringArray::from(vec!["a", "b"])) as _),
    ])
    .unwrap();
    let input = [Ok::<_, Error>(sorted.clone()), Ok(b)];
    match engine.window_stream(input, &WindowSpec::messages(2)).unwrap().find_map(Result::err) {
        Some(Error::NullValue { row, .. }) => assert_eq!(row, 5),
        other => panic!("expected NullValue at row 5, got {other:?}"),
    }
    // An input error comes through, and ends the stream.
    let input = [Ok(sorted.clone()), Err(Error::Io { path: "x".into(), message: "broken".into() }), Ok(sorted)];
    let items: Vec<_> = engine.window_stream(input, &WindowSpec::messages(100)).unwrap().collect();
    assert!(matches!(items.as_slice(), [Err(Error::Io { .. })]), "{items:?}");
}

fn sparse_time_windows_are_bounded(engine: &Engine) {
    // Three rows spanning 4e9 hours, one-hour windows.
    let far = 4_000_000_000i64 * 3600; // in seconds
    let ts = arrow_array::TimestampSecondArray::from(vec![0, 1, far]);
    let text = StringArray::from(vec!["a", "b", "c"]);
    let h = RecordBatch::try_from_iter([("ts", Arc::new(ts) as ArrayRef), ("text", Arc::new(text) as _)]).unwrap();
    let spec = WindowSpec::hours(1).overlap(0.0);
    match engine.window(&h, &spec) {
        Err(Error::LimitExceeded { value, limit, .. }) => {
            assert_eq!((value, limit), (4_000_000_001, streamliner::window::DEFAULT_MAX_WINDOWS))
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    let skip = spec.clone().skip_empty_windows(true);
    let w = engine.window(&h, &skip).unwrap();
    assert_eq!(w.windows().iter().map(|w| (w.index, w.size())).collect::<Vec<_>>(), [(0, 2), (1, 1)]);
    assert_eq!(w.windows()[1].start_time, far);
    // Streamed, the same limit holds, whether the far row comes in the first batch or a later one, and
    // whether or not the input says where it ends: the error, not 4 * 10^9 empty windows.
    let limit_error = |items: Vec<Result<StreamWindow, Error>>| -> (Vec<u64>, Error) {
        let mut sizes = Vec::new();
        for item in items {
            match item {
                Ok(w) => sizes.push(w.window.size()),
                Err(e) => return (sizes, e),
            }
        }
        panic!("expected an error after {sizes:?}");
    };
    let unsized_input = |batches: Vec<RecordBatch>| batches.into_iter().map(Ok::<_, Error>).filter(|_| true);
    for batches in [vec![h.clone()], vec![h.slice(0, 2), h.slice(2, 1)]] {
        let all: Vec<_> =
            engine.window_stream(batches.clone().into_iter().map(Ok::<_, Error>), &spec).unwrap().collect();
        let (before, e) = limit_error(all);
        assert!(before.len() <= 1, "{before:?}");
        let bare: Vec<_> = engine.window_stream(unsized_input(batches.clone()), &spec).unwrap().collect();
        assert_eq!(limit_error(bare).1.to_string(), e.to_string());
        match e {
            Error::LimitExceeded { value, limit, ref what } => {
                assert_eq!((value, limit), (4_000_000_001, streamliner::window::DEFAULT_MAX_WINDOWS));
                assert!(what.contains("max_windows") && what.contains("skip_empty_windows"), "{what}");
            }
            other => panic!("expected LimitExceeded, got {other:?}"),
        }
        assert!(matches!(
            engine.window_batches(&batches, &spec),
            Err(Error::LimitExceeded { value: 4_000_000_001, .. })
        ));
    }
    let ws: Vec<Window> =
        engine.window_stream([Ok::<_, Error>(h.clone())], &skip).unwrap().map(|w| w.unwrap().window).collect();
    assert_eq!(ws, w.windows());
    // At the limit, and one past it.
    let ten = history(&(0..10).map(|i| NOON + i * HOUR).collect::<Vec<_>>(), &[Some("x"); 10]);
    let limited = |max| WindowSpec { max_windows: max, ..WindowSpec::hours(1) };
    assert_eq!(engine.window(&ten, &limited(10)).unwrap().len(), 10);
    assert!(matches!(engine.window(&ten, &limited(9)), Err(Error::LimitExceeded { value: 10, limit: 9, .. })));
    let chunks = [ten.slice(0, 5), ten.slice(5, 5)];
    assert!(matches!(engine.window_batches(&chunks, &limited(9)), Err(Error::LimitExceeded { .. })));
    let streamed: Result<Vec<_>, _> =
        engine.window_stream(chunks.clone().map(Ok::<_, Error>), &limited(9)).unwrap().collect();
    assert!(matches!(streamed, Err(Error::LimitExceeded { value: 10, limit: 9, .. })));
    let streamed: Result<Vec<_>, _> = engine.window_stream(chunks.map(Ok::<_, Error>), &limited(10)).unwrap().collect();
    assert_eq!(streamed.unwrap().len(), 10);
}

fn chunked_rows_are_zero_copy(engine: &Engine) {
    let texts: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let h = history(&(0..40).map(|i| NOON + i * MINUTE).collect::<Vec<_>>(), &refs);
    let chunks = [h.slice(0, 10), h.slice(10, 30)];
    let w = engine.window_batches(&chunks, &WindowSpec::messages(5).overlap(0.0)).unwrap();
    let text_ptr = |b: &RecordBatch| b.column_by_name("text").unwrap().to_data().buffers()[1].as_ptr();
    let second = &w.windows()[3];
    let rows = w.rows(second).unwrap();
    assert_eq!(rows.num_rows(), 5);
    assert_eq!(text_ptr(&rows), text_ptr(&chunks[1]), "a window inside one chunk is a slice of it");
    // Streamed windows too: a slice of the batch that holds them.
    let streamed = stream_windows(engine, &chunks, &WindowSpec::messages(5).overlap(0.0));
    assert_eq!(text_ptr(&streamed[3].rows().unwrap()), text_ptr(&chunks[1]));
    // A window spanning both chunks is joined.
    let w = engine.window_batches(&chunks, &WindowSpec::messages(8).overlap(0.0)).unwrap();
    let spans = w.rows(&w.windows()[1]).unwrap();
    let ids = spans.column_by_name("id").unwrap().as_any().downcast_ref::<UInt64Array>().unwrap();
    assert_eq!(ids.values().as_ref(), &(8..16).collect::<Vec<u64>>()[..]);
    assert_eq!(w.history().unwrap(), h);
}

fn batches_with_long_gaps_and_max_time(engine: &Engine) {
    // Strict byte windows cut by max_window_time, across one-row batches.
    let mut rng = Rng::new(73);
    let h = random_history(&mut rng, 300);
    let spec = WindowSpec::bytes(500).overlap(0.4).max_window_time(Duration::from_secs(120));
    let want = engine.window(&h, &spec).unwrap();
    let got: Vec<Window> = stream_windows(engine, &split(&h, &mut rng, 1), &spec).iter().map(|w| w.window).collect();
    assert_eq!(got, want.windows());
}

/// An input that says it holds no batch after the first, then gives one more.
struct Lying(std::vec::IntoIter<RecordBatch>);

impl Iterator for Lying {
    type Item = Result<RecordBatch, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(Ok)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}

fn an_input_that_ends_early_is_an_error(engine: &Engine) {
    let h = history(&(0..10).map(|i| NOON + i * MINUTE).collect::<Vec<_>>(), &[Some("x"); 10]);
    // An input that says where it ends makes its last windows final with its last batch.
    let spec = WindowSpec::messages(3).overlap(0.0);
    let ws: Vec<u64> =
        engine.window_stream([Ok::<_, Error>(h.clone())], &spec).unwrap().map(|w| w.unwrap().window.size()).collect();
    assert_eq!(ws, [3, 3, 3, 1]);
    let items: Vec<_> =
        engine.window_stream(Lying(vec![h.slice(0, 5), h.slice(5, 5)].into_iter()), &spec).unwrap().collect();
    assert!(matches!(items.last(), Some(Err(Error::InvalidParameter { .. }))), "{items:?}");
}

on_every_backend!(
    an_input_that_ends_early_is_an_error,
    stream_equals_in_memory,
    tables_equal_the_window_table,
    partitions_equal_each_chat_alone,
    out_of_order_streams_name_the_row,
    sparse_time_windows_are_bounded,
    chunked_rows_are_zero_copy,
    batches_with_long_gaps_and_max_time,
);

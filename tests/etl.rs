//! The pipeline's transforms: message ids, masks, per-window aggregates and the message table, on every
//! backend.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{
    Array, RecordBatch, StringArray, TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray,
};
use common::Rng;
use streamliner::Engine;
use streamliner::etl::{
    MessageTableBuilder, MessageTableOptions, MessageTableSummary, author_uuids, command_mask, date_range_mask,
    message_ids, message_table, opt_out_keys, opt_out_mask, slugify, window_aggregates,
};
use streamliner::io::whatsapp::{Chat, WhatsAppOptions, parse_whatsapp, read_whatsapp};
use streamliner::window::{Semantics, WindowSpec};

/// `"{ms}_{row}"` computed the obvious way, ms rounded half to even from `per_ms` units.
fn reference_ids(ts: &[i64], per_second: i64) -> Vec<String> {
    let first = ts.iter().copied().min().unwrap_or(0);
    let mut order: Vec<usize> = (0..ts.len()).collect();
    order.sort_by_key(|&i| ts[i]);
    let mut row = vec![0; ts.len()];
    for (p, &i) in order.iter().enumerate() {
        row[i] = p;
    }
    ts.iter()
        .enumerate()
        .map(|(i, &t)| {
            let d = (t - first) as u128;
            let ms = if per_second == 1 {
                d * 1000
            } else {
                let per_ms = per_second as u128 / 1000;
                let (q, r) = (d / per_ms, d % per_ms);
                if 2 * r > per_ms || (2 * r == per_ms && q % 2 == 1) { q + 1 } else { q }
            };
            format!("{ms}_{}", row[i])
        })
        .collect()
}

fn ids_in_every_unit(engine: &Engine) {
    let mut rng = Rng::new(100);
    for n in [0usize, 1, 2, 1000, 20_000] {
        let base = 1_700_000_000i64;
        let secs: Vec<i64> = (0..n).map(|_| base + rng.below(100_000) as i64).collect();
        let check = |got: arrow_array::ArrayRef, want: Vec<String>| {
            let got = got.as_string::<i32>();
            assert_eq!(got.len(), want.len());
            for (i, w) in want.iter().enumerate() {
                assert_eq!(got.value(i), w, "row {i}");
            }
        };
        check(message_ids(engine, &TimestampSecondArray::from(secs.clone())).unwrap(), reference_ids(&secs, 1));
        let ms: Vec<i64> = secs.iter().map(|s| s * 1000 + rng.below(1000) as i64).collect();
        check(message_ids(engine, &TimestampMillisecondArray::from(ms.clone())).unwrap(), reference_ids(&ms, 1000));
        // Microseconds and nanoseconds with many exact halves.
        let us: Vec<i64> = ms.iter().map(|m| m * 1000 + [0, 500, 499, 501, 1500][rng.below(5) as usize]).collect();
        check(
            message_ids(engine, &TimestampMicrosecondArray::from(us.clone())).unwrap(),
            reference_ids(&us, 1_000_000),
        );
        let ns: Vec<i64> = us.iter().map(|u| u * 1000 + [0, 1, 999][rng.below(3) as usize]).collect();
        check(
            message_ids(engine, &TimestampNanosecondArray::from(ns.clone())).unwrap(),
            reference_ids(&ns, 1_000_000_000),
        );
    }
    let halves = TimestampMicrosecondArray::from(vec![0, 1500, 2500, 3500, 2499, 2501]);
    let got = message_ids(engine, &halves).unwrap();
    let got: Vec<&str> = got.as_string::<i32>().iter().flatten().collect();
    assert_eq!(got, ["0_0", "2_1", "2_3", "4_5", "2_2", "3_4"]);
    assert!(message_ids(engine, &TimestampMicrosecondArray::from(vec![Some(1), None])).is_err());
}

fn masks(engine: &Engine) {
    let text =
        StringArray::from(vec![Some("/egregora opt-out"), Some("/EGREGORA"), Some("hello"), None, Some(" /egregora")]);
    let m = command_mask(engine, &text).unwrap();
    assert_eq!((m.value(0), m.value(1), m.value(2), m.value(4)), (true, true, false, false));
    assert!(m.is_null(3));

    let authors = StringArray::from(vec!["Alice", "Bob", " Alice ", "Zoë"]);
    let uuids = author_uuids(engine, &authors).unwrap();
    let keys = opt_out_keys(["Alice", "# a comment", "", &uuids.as_string::<i32>().value(3).to_uppercase()]);
    let m = opt_out_mask(engine, &uuids, &keys).unwrap();
    assert_eq!((0..4).map(|i| m.value(i)).collect::<Vec<_>>(), [true, false, true, true]);

    let day = 86_400_000_000i64;
    let ts = TimestampMicrosecondArray::from(vec![Some(-1), Some(0), Some(day - 1), Some(day), Some(3 * day), None]);
    let m = date_range_mask(engine, &ts, 0, 1).unwrap();
    assert_eq!((0..5).map(|i| m.value(i)).collect::<Vec<_>>(), [false, true, true, true, false]);
    assert!(m.is_null(5));
    assert_eq!(slugify("Blog Club: Été 2024!"), "blog-club:-été-2024!");
    assert_eq!(slugify("  ___ "), "--___-");
}

fn random_history(rng: &mut Rng, n: usize) -> RecordBatch {
    let names = ["Ann", "Bo", "Cy", "Dee", "Eve"];
    let mut t = 0i64;
    let ts: Vec<i64> = (0..n)
        .map(|_| {
            t += rng.below(3) as i64 * 60_000_000;
            t
        })
        .collect();
    let authors: Vec<Option<&str>> =
        (0..n).map(|i| if i % 13 == 7 { None } else { Some(names[rng.below(names.len() as u64) as usize]) }).collect();
    let text: Vec<String> = (0..n).map(|i| "w".repeat(i % 9)).collect();
    RecordBatch::try_from_iter([
        ("ts", Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")) as _),
        ("text", Arc::new(StringArray::from(text)) as _),
        ("author", Arc::new(StringArray::from(authors)) as _),
    ])
    .unwrap()
}

fn aggregates(engine: &Engine) {
    let mut rng = Rng::new(101);
    for n in [0, 1, 50, 3000, 10_000] {
        let h = random_history(&mut rng, n);
        for spec in [
            WindowSpec::messages(7).overlap(0.5),
            WindowSpec::hours(1).overlap(0.2),
            WindowSpec::bytes(40).overlap(0.5).semantics(Semantics::Egregora),
        ] {
            let w = engine.window(&h, &spec).unwrap();
            let agg = window_aggregates(engine, &w, "author").unwrap();
            let authors = w.history().unwrap().column_by_name("author").unwrap().as_string::<i32>().clone();
            let distinct = agg.column_by_name("distinct_authors").unwrap().as_primitive::<UInt64Type>();
            let first = agg.column_by_name("first_ts").unwrap();
            for (i, win) in w.windows().iter().enumerate() {
                let want: HashSet<&str> =
                    (win.start_row..win.end_row).filter_map(|r| authors.iter().nth(r as usize).flatten()).collect();
                assert_eq!(distinct.value(i), want.len() as u64, "n {n}, {spec:?}, window {i}");
                assert_eq!(first.is_null(i), win.size() == 0);
            }
            assert_eq!(
                agg.column_by_name("messages").unwrap().as_primitive::<UInt64Type>().values().iter().sum::<u64>(),
                w.windows().iter().map(|x| x.size()).sum::<u64>()
            );
            if engine.is_gpu() {
                assert_eq!(
                    agg,
                    window_aggregates(common::cpu(), &common::cpu().window(&h, &spec).unwrap(), "author").unwrap()
                );
            }
        }
    }
}

fn message_table_of_the_sample(engine: &Engine) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt");
    let chat = read_whatsapp(path.as_ref(), &WhatsAppOptions { normalize: true, ..Default::default() }).unwrap();
    let opts = MessageTableOptions { group: "Blog club".into(), opt_out: opt_out_keys(["Bob"]), ..Default::default() };
    let chat = chat.to_record_batch().unwrap();
    let (table, summary) = message_table(engine, &chat, &opts).unwrap();
    // Python: uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:" + name.strip()), for every author of the sample.
    let fixtures =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pseudonyms.json")).unwrap();
    let fixtures: serde_json::Value = serde_json::from_str(&fixtures).unwrap();
    let python = |name: &str| {
        fixtures
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"].as_str().unwrap().trim() == name)
            .map(|c| c["uuid"].as_str().unwrap().to_string())
    };
    let raw = table.column_by_name("author_raw").unwrap().as_string::<i32>();
    let ids = table.column_by_name("author_uuid").unwrap().as_string::<i32>();
    let mut seen = HashSet::new();
    for i in 0..table.num_rows() {
        let want = python(raw.value(i)).unwrap_or_else(|| panic!("no Python fixture for {:?}", raw.value(i)));
        assert_eq!(ids.value(i), want, "{}", raw.value(i));
        seen.insert(raw.value(i));
    }
    assert!(!seen.contains("Bob"), "Bob opted out");
    assert_eq!(seen.len(), summary.authors);
    assert_eq!(summary.messages, table.num_rows());
    assert!(summary.dropped_opted_out > 0);
    assert_eq!(table.column_by_name("tenant_id").unwrap().as_string::<i32>().value(0), "blog-club");
    let attrs = table.column_by_name("attrs").unwrap().as_string::<i32>().value(0);
    let attrs: serde_json::Value = serde_json::from_str(attrs).unwrap();
    assert!(attrs["tagged_line"].is_null() && attrs["message_date"].as_str().unwrap().starts_with("2024-03-0"));
    if engine.is_gpu() {
        assert_eq!(table, message_table(common::cpu(), &chat, &opts).unwrap().0);
    }
}

/// The message table through the streaming builder: the chat pushed in slices of `chunk` rows, the table in
/// batches of `batch` rows (held in memory up to `memory` bytes, the rest in a temporary file); the
/// batches concatenated.
fn streamed_table(
    engine: &Engine,
    chat: &RecordBatch,
    opts: &MessageTableOptions,
    chunk: usize,
    batch: usize,
    memory: usize,
) -> (RecordBatch, MessageTableSummary) {
    let opts = MessageTableOptions { memory_limit: memory, ..opts.clone() };
    let mut builder = MessageTableBuilder::new(engine, &opts).with_batch_size(batch);
    let mut at = 0;
    while at < chat.num_rows() {
        let n = chunk.min(chat.num_rows() - at);
        builder.push(&chat.slice(at, n)).unwrap();
        at += n;
    }
    let mut table = builder.finish().unwrap();
    let batches: Vec<RecordBatch> = table.by_ref().map(|b| b.unwrap()).collect();
    assert!(!batches.is_empty(), "at least the schema");
    assert!(batches.len() == 1 || batches.iter().all(|b| b.num_rows() > 0));
    (arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap(), table.summary())
}

/// An export in New York across the fall-back of 2024-11-03: the wall clock runs 00:00..01:59, then
/// 01:00..01:59 again (which, read as Python's fold=0, goes back an hour in UTC and ties with the first
/// run), then on to 03:59; with commands and an opted-out author.
fn fall_back_export() -> String {
    let names = ["Ann", "Bo", "Cy", "Zoë"];
    let mut text = String::new();
    let mut i = 0;
    let mut line = |h: u32, m: u32, text: &mut String| {
        let body = match i % 11 {
            3 => "/egregora opt-out".to_string(),
            5 => format!("see https://example.org/{i} and\nmore"),
            7 => "   ".to_string(),
            _ => format!("message {i} é"),
        };
        text.push_str(&format!("03/11/2024, {h:02}:{m:02} - {}: {body}\n", names[i % names.len()]));
        i += 1;
    };
    for (h, m) in (0..2).flat_map(|h| (0..60).step_by(7).map(move |m| (h, m))) {
        line(h, m, &mut text);
    }
    for m in (0..60).step_by(7) {
        line(1, m, &mut text);
    }
    for (h, m) in (2..4).flat_map(|h| (0..60).step_by(5).map(move |m| (h, m))) {
        line(h, m, &mut text);
    }
    text
}

fn streamed_table_equals_message_table(engine: &Engine) {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt");
    let read = |tz: &str| {
        let o = WhatsAppOptions { normalize: true, tz: tz.into(), ..Default::default() };
        read_whatsapp(sample.as_ref(), &o).unwrap().to_record_batch().unwrap()
    };
    let (sample_utc, sample_lisbon) = (read("UTC"), read("Europe/Lisbon"));
    let fall =
        |tz: &str| parse_whatsapp(&fall_back_export(), "t", &WhatsAppOptions { tz: tz.into(), ..Default::default() });
    let fall_ny = fall("America/New_York").unwrap();
    assert!(fall_ny.messages.windows(2).any(|w| w[1].ts_micros < w[0].ts_micros), "goes back in time");
    let (fall_ny, fall_utc) = (fall_ny.to_record_batch().unwrap(), fall("UTC").unwrap().to_record_batch().unwrap());
    let empty = Chat::default().to_record_batch().unwrap();
    let cases = [
        (
            &sample_utc,
            MessageTableOptions { group: "Blog club".into(), opt_out: opt_out_keys(["Bob"]), ..Default::default() },
        ),
        (&sample_lisbon, MessageTableOptions { drop_commands: false, ..Default::default() }),
        (&fall_ny, MessageTableOptions { group: "Fall".into(), opt_out: opt_out_keys(["Cy"]), ..Default::default() }),
        (&fall_utc, MessageTableOptions::default()),
        (&empty, MessageTableOptions::default()),
    ];
    for (chat, opts) in &cases {
        let (want, want_summary) = message_table(engine, chat, opts).unwrap();
        for (chunk, batch, memory) in
            [(1, 1, 1 << 30), (3, 3, 1), (3, 7, 4096), (1000, 1000, 1 << 30), (1000, 65_536, 1), (7, 2, 20_000)]
        {
            let (got, summary) = streamed_table(engine, chat, opts, chunk, batch, memory);
            assert_eq!(
                got,
                want,
                "{} messages, {opts:?}, chunks {chunk}, batches {batch}, memory {memory}",
                chat.num_rows()
            );
            assert_eq!(summary, want_summary);
        }
        if engine.is_gpu() {
            assert_eq!(want, message_table(common::cpu(), chat, opts).unwrap().0);
        }
    }
    // The fall-back rows are in (UTC time, input order) order, with ids numbered in it.
    let (t, _) = message_table(engine, &fall_ny, &cases[3].1).unwrap();
    let ts = t.column_by_name("ts").unwrap().as_primitive::<arrow_array::types::TimestampMicrosecondType>();
    assert!(ts.values().windows(2).all(|w| w[0] <= w[1]));
}

fn builder_checks_its_input(engine: &Engine) {
    let chat =
        parse_whatsapp(&fall_back_export(), "t", &WhatsAppOptions::default()).unwrap().to_record_batch().unwrap();
    let opts = MessageTableOptions::default();
    let mut b = MessageTableBuilder::new(engine, &opts);
    let no_text = chat.project(&[0, 1]).unwrap();
    let err = b.push(&no_text).unwrap_err();
    assert!(err.to_string().contains("text"), "{err}");
    assert!(
        parse_whatsapp(&fall_back_export(), "t", &WhatsAppOptions { tz: "Mars/Base".into(), ..Default::default() })
            .is_err()
    );
}

/// The table's slug, texts, authors and `attrs` as the pipeline makes them (tests/fixtures/pipeline_table.json,
/// written by Python from the rules of shared/docs/semantics.md).
fn message_table_as_the_pipeline(engine: &Engine) {
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pipeline_table.json")).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    for case in fixture["slugs"].as_array().unwrap() {
        assert_eq!(slugify(case["name"].as_str().unwrap()), case["slug"].as_str().unwrap(), "{case}");
    }
    let export = fixture["export"].as_str().unwrap();
    let chat = parse_whatsapp(export, "t", &WhatsAppOptions { normalize: true, ..Default::default() }).unwrap();
    let opts = MessageTableOptions { group: "Grupo Ação".into(), drop_commands: false, ..Default::default() };
    let (table, _) = message_table(engine, &chat.to_record_batch().unwrap(), &opts).unwrap();
    let want = fixture["messages"].as_array().unwrap();
    assert_eq!(table.num_rows(), want.len());
    let col = |name: &str| table.column_by_name(name).unwrap().as_string::<i32>().clone();
    let (author, text, attrs, tenant) = (col("author_raw"), col("text"), col("attrs"), col("tenant_id"));
    for (i, w) in want.iter().enumerate() {
        assert_eq!(author.value(i), w["author"].as_str().unwrap());
        assert_eq!(text.value(i), w["text"].as_str().unwrap());
        assert_eq!(tenant.value(i), "grupo-ação");
        let a: serde_json::Value = serde_json::from_str(attrs.value(i)).unwrap();
        assert_eq!(a["original_line"], w["original_line"], "row {i}");
        assert_eq!(a["message_date"], w["message_date"]);
        assert!(a["tagged_line"].is_null());
        // DuckDB's JSON text: keys in this order, no spaces between tokens.
        assert!(attrs.value(i).starts_with("{\"original_line\":\"20"), "{}", attrs.value(i));
        assert!(attrs.value(i).ends_with(&format!(
            ",\"tagged_line\":null,\"message_date\":\"{}\"}}",
            w["message_date"].as_str().unwrap()
        )));
    }
    // Control characters as yyjson writes them.
    assert!(attrs.value(want.len() - 1).contains("a\\u000Bb\\bc\\fd"), "{}", attrs.value(want.len() - 1));
}

on_every_backend!(
    message_table_as_the_pipeline,
    ids_in_every_unit,
    masks,
    aggregates,
    message_table_of_the_sample,
    streamed_table_equals_message_table,
    builder_checks_its_input
);

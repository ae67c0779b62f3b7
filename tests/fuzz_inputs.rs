//! Property tests: hostile input files and exports. The readers never panic on random CSV
//! bytes or on damaged Parquet/IPC files, and their errors name the file; the WhatsApp parser never panics
//! on random mixes of headers, continuations, BOM, CRLF/CR, bidi marks, U+202F and odd Unicode. Fixed seeds,
//! bounded case counts. (Only invariants that hold whatever the parser's line-shape rules are.)

#![cfg(all(feature = "csv", feature = "parquet", feature = "ipc"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, parse_whatsapp};
use streamliner::io::{ReadOptions, open_history, read_history, write_table};

fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-fuzz-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Reads `path` whole and streamed (in small batches, a projection too); a panic fails the test, and an error
/// must name the file.
fn read_all_ways(path: &Path, tz: &str) -> Result<(), TestCaseError> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let opts = ReadOptions { tz: tz.into(), batch_size: 3, ..ReadOptions::default() };
    let check = |r: streamliner::Result<()>| -> Result<(), TestCaseError> {
        if let Err(e) = r {
            let text = e.to_string();
            prop_assert!(text.contains(&name) || matches!(e, streamliner::Error::InvalidParameter { .. }), "{}", text);
            prop_assert!(text.len() < 2000, "an error of {} bytes", text.len());
        }
        Ok(())
    };
    check(read_history(path, &opts).map(|_| ()))?;
    let projected = ReadOptions { columns: Some(vec!["text".into(), "ts".into()]), ..opts.clone() };
    check(open_history(path, &projected).and_then(|r| r.collect::<streamliner::Result<Vec<_>>>()).map(|_| ()))?;
    Ok(())
}

#[test]
fn random_csv_never_panics() {
    let path = tmp("random.csv");
    let cell = prop_oneof![
        Just("2024-03-01T08:00:00Z".to_string()),
        Just("2024-03-01 08:00:00".to_string()),
        Just("+275760-09-13T00:00:00Z".to_string()),
        Just("\"quoted, \"\"with\"\" a\nnewline\"".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r".to_string()),
        Just("\"".to_string()),
        ".{0,12}",
        "[0-9:TZ+-]{0,25}",
    ];
    let row = proptest::collection::vec(cell, 0..5).prop_map(|c| c.join(","));
    let file = (
        prop_oneof![Just("ts,text".to_string()), Just("text,ts,ts".to_string()), Just("ts".to_string()), ".{0,10}"],
        proptest::collection::vec(row, 0..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        proptest::collection::vec(any::<u8>(), 0..4),
        prop_oneof![Just("UTC"), Just("Europe/Paris")],
    );
    runner(300)
        .run(&file, |(header, rows, eol, junk, tz)| {
            let mut bytes = format!("{header}{eol}{}", rows.join(eol)).into_bytes();
            bytes.extend(junk);
            std::fs::write(&path, &bytes).unwrap();
            read_all_ways(&path, tz)
        })
        .unwrap();
}

/// A small valid Parquet or IPC file, damaged: bytes changed, cut short, or repeated.
#[test]
fn damaged_parquet_and_ipc_never_panic() {
    let ts = TimestampMicrosecondArray::from(vec![Some(0), None, Some(i64::MAX), Some(i64::MIN), Some(5)]);
    let text = StringArray::from(vec![Some("a"), Some("é😀"), None, Some(""), Some("xyz")]);
    let batch =
        RecordBatch::try_from_iter([("ts", Arc::new(ts) as Arc<dyn Array>), ("text", Arc::new(text) as _)]).unwrap();
    let mut originals = Vec::new();
    for ext in ["parquet", "arrow", "arrows"] {
        let p = tmp(&format!("valid.{ext}"));
        if ext == "arrows" {
            let mut w =
                arrow_ipc::writer::StreamWriter::try_new(std::fs::File::create(&p).unwrap(), &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        } else {
            write_table(&batch, &p).unwrap();
        }
        read_all_ways(&p, "Asia/Tokyo").unwrap();
        originals.push((ext, std::fs::read(&p).unwrap()));
    }
    let edits = proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6);
    runner(300)
        .run(&(0usize..3, edits, 0u8..4), |(which, edits, mode)| {
            let (ext, original) = &originals[which];
            let mut bytes = original.clone();
            for (at, value) in &edits {
                let i = at.index(bytes.len());
                match mode {
                    0 => bytes[i] = *value,
                    1 => bytes.truncate(i),
                    2 => bytes[i] ^= 1 << (value % 8),
                    _ => {
                        let tail = bytes[i..].to_vec();
                        bytes.extend_from_slice(&tail[..tail.len().min(64)]);
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let path = tmp(&format!("damaged.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            read_all_ways(&path, "UTC")
        })
        .unwrap();
}

#[test]
fn whatsapp_parser_never_panics() {
    let line = prop_oneof![
        Just("13/06/2018, 21:25 - Ana: hi".to_string()),
        Just("[13/06/2018, 21:25:15] Bob: yo".to_string()),
        Just("6/13/18, 9:25\u{202f}PM - Ana: pm".to_string()),
        Just("2020-06-13, 21:41 - A: x".to_string()),
        Just("13.06.18, 21.25 - B: dots".to_string()),
        Just("\u{200e}[13/06/2018, 21:25:15] Bob: \u{200e}image omitted".to_string()),
        Just("31/02/2018, 25:61 - Bad: date".to_string()),
        Just("29/02/2019, 10:00 - X: not a leap year".to_string()),
        Just("13/06/2018, 21:25 - Messages are end-to-end encrypted.".to_string()),
        Just("99/99/9999999999, 99:99 - Huge: year".to_string()),
        Just("\u{feff}".to_string()),
        Just(String::new()),
        Just("continuation ✓ 😀 \u{202e}reversed".to_string()),
        ".{0,30}",
        "[0-9/.,:\\- \\[\\]APMapm]{0,30}",
    ];
    let chat = (
        proptest::collection::vec(line, 0..20),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(DateOrder::DayFirst)), Just(Some(DateOrder::MonthFirst))],
        any::<bool>(),
        prop_oneof![Just("UTC"), Just("America/New_York"), Just("Asia/Kathmandu")],
    );
    runner(400)
        .run(&chat, |(lines, eol, bom, order, normalize, tz)| {
            let mut text = lines.join(eol);
            if bom {
                text.insert(0, '\u{feff}');
            }
            let opts = WhatsAppOptions { tz: tz.into(), date_order: order, normalize, ..Default::default() };
            match parse_whatsapp(&text, "fuzz.txt", &opts) {
                Ok(chat) => {
                    // Messages come from distinct lines, in file order, within the file.
                    let lines: Vec<u64> = chat.messages.iter().map(|m| m.line).collect();
                    prop_assert!(lines.windows(2).all(|w| w[0] < w[1]), "{:?}", lines);
                    prop_assert!(
                        lines.iter().all(|&l| l >= 1 && l <= chat.lines.max(1)),
                        "{:?} of {}",
                        lines,
                        chat.lines
                    );
                }
                Err(e) => {
                    let msg = e.to_string();
                    prop_assert!(!msg.is_empty() && msg.len() < 2000, "{}", msg);
                }
            }
            Ok(())
        })
        .unwrap();
}

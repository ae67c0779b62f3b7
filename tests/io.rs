//! Readers and writers: round trips through every format, CSV zones, WhatsApp exports.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use streamliner::Error;
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, read_whatsapp};
use streamliner::io::{ReadOptions, read_history, write_table};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn sample() -> RecordBatch {
    let ts = TimestampMicrosecondArray::from(vec![1_709_280_000_000_000, 1_709_280_000_000_001, 1_709_283_600_123_456])
        .with_timezone("UTC");
    let text = StringArray::from(vec![Some("héllo, \"world\""), None, Some("line 1\nline 2 😀")]);
    let author = StringArray::from(vec!["Zoë", "李雷", "Bob"]);
    RecordBatch::try_from_iter([
        ("ts", Arc::new(ts) as _),
        ("author", Arc::new(author) as _),
        ("text", Arc::new(text) as _),
    ])
    .unwrap()
}

fn ts_values(b: &RecordBatch) -> Vec<i64> {
    b.column_by_name("ts").unwrap().as_primitive::<TimestampMicrosecondType>().values().to_vec()
}

#[test]
fn round_trips_through_csv_parquet_and_ipc() {
    let b = sample();
    for ext in ["csv", "parquet", "arrow"] {
        let path = tmp(&format!("round.{ext}"));
        write_table(&b, &path).unwrap();
        let back = read_history(&path, &ReadOptions::default()).unwrap();
        assert_eq!(ts_values(&back), ts_values(&b), "{ext}");
        let text = back.column_by_name("text").unwrap();
        assert_eq!(text.as_string::<i32>().value(2), "line 1\nline 2 😀", "{ext}");
        assert_eq!(text.as_string::<i32>().value(0), "héllo, \"world\"", "{ext}");
        // CSV cannot tell an empty string from a null; the binary formats keep the null.
        if ext != "csv" {
            assert!(text.is_null(1));
        }
        assert_eq!(back.column_by_name("ts").unwrap().data_type(), b.column(0).data_type(), "{ext}");
    }
}

#[test]
fn csv_times_with_and_without_offsets() {
    let path = tmp("zones.csv");
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,a\n2024-03-01T10:00:00+02:00,b\n2024-03-01 08:00:00,c\n2024-03-01T08:00:00.5,d\n").unwrap();
    let b = read_history(&path, &ReadOptions::default()).unwrap();
    let t = ts_values(&b);
    assert_eq!(t[0], 1_709_280_000_000_000);
    assert_eq!(t[1], t[0]);
    assert_eq!(t[2], t[0]);
    assert_eq!(t[3], t[0] + 500_000);
}

#[test]
fn csv_errors_are_clear() {
    let path = tmp("bad.csv");
    std::fs::write(&path, "when,text\n2024-03-01T08:00:00Z,a\n").unwrap();
    let err = read_history(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no such column"), "{err}");
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,a\nyesterday,b\n").unwrap();
    let err = read_history(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
    assert!(read_history(&tmp("missing.csv"), &ReadOptions::default()).is_err());
    assert!(matches!(read_history(&tmp("x.xlsx"), &ReadOptions::default()), Err(Error::InvalidParameter { .. })));
}

#[test]
fn whatsapp_txt_and_zip() {
    let export = "\u{feff}01/03/2024, 08:00 - Messages and calls are end-to-end encrypted.\n\
                  01/03/2024, 08:01 - Alice: hi\nthere\n\
                  [01/03/2024, 08:02:30] Bob: from ios\n\
                  13/03/2024, 20:15 - Zoë: ☕\n";
    let txt = tmp("chat.txt");
    std::fs::write(&txt, export).unwrap();
    let chat = read_whatsapp(&txt, &WhatsAppOptions::default()).unwrap();
    assert_eq!(chat.messages.len(), 3);
    assert_eq!(chat.date_order, Some(DateOrder::DayFirst));
    assert_eq!(chat.system_notices, 1);
    assert_eq!(chat.messages[0].text, "hi\nthere");
    assert_eq!(chat.messages[1].ts_micros, 1_709_280_150_000_000);

    let zip_path = tmp("chat.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file("IMG-0001.jpg", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"\xff\xd8").unwrap();
    zip.start_file("WhatsApp Chat with Blog club.txt", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(export.as_bytes()).unwrap();
    zip.finish().unwrap();
    let from_zip = read_whatsapp(&zip_path, &WhatsAppOptions::default()).unwrap();
    assert_eq!(from_zip.messages, chat.messages);

    // In another zone, wall-clock times move.
    let sp = WhatsAppOptions { tz: "America/Sao_Paulo".into(), ..Default::default() };
    let shifted = read_whatsapp(&txt, &sp).unwrap();
    assert_eq!(shifted.messages[0].ts_micros - chat.messages[0].ts_micros, 3 * 3_600_000_000);

    let b = read_history(&txt, &ReadOptions::default()).unwrap();
    assert_eq!(b.num_rows(), 3);
    assert_eq!(b.column_by_name("author").unwrap().as_string::<i32>().value(2), "Zoë");
}

#[test]
fn bundled_sample_reads() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample_chat.txt");
    let chat = read_whatsapp(&path, &WhatsAppOptions::default()).unwrap();
    assert_eq!(chat.messages.len(), 600);
    assert_eq!(chat.system_notices, 2);
    assert!(chat.messages.windows(2).all(|w| w[0].ts_micros <= w[1].ts_micros));
}

#[test]
fn writers_format_times_and_lists() {
    let b = sample();
    let mut csv = Vec::new();
    streamliner::io::write_csv(&b, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("ts,author,text\n2024-03-01T08:00:00.000000Z,Zoë,\"héllo, \"\"world\"\"\"\n"), "{csv}");
    let mut json = Vec::new();
    streamliner::io::write_json(&b, &mut json).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(json.contains("\"text\": null"), "{json}");
    assert!(json.contains("\"line 1\\nline 2 😀\""), "{json}");
}

#[test]
fn normalization_matches_python() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/normalize.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in cases.as_array().unwrap() {
        let line = c["line"].as_str().unwrap();
        assert_eq!(streamliner::io::whatsapp::normalize_line(line), c["normalized"].as_str().unwrap(), "{line:?}");
    }
}

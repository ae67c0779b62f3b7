//! Streaming readers and writers: streams equal whole reads, projection, batch sizes, CSV error lines,
//! TableWriter round trips.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use streamliner::Error;
use streamliner::io::{ReadOptions, TableWriter, open_history, read_history, write_json};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-io-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `n` messages: ascending times, a few authors, texts of varied length and script, a null now and then.
fn history(n: usize) -> RecordBatch {
    let ts = TimestampMicrosecondArray::from(
        (0..n as i64).map(|i| 1_709_280_000_000_000 + i * 1_500_001).collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    let authors = ["Zoë", "李雷", "Bob"];
    let author = StringArray::from((0..n).map(|i| authors[i % 3]).collect::<Vec<_>>());
    let text = StringArray::from(
        (0..n)
            .map(|i| match i % 7 {
                3 => None,
                5 => Some(format!("line {i}\nnext, \"quoted\" 😀")),
                k => Some("é".repeat(k + i % 11) + &i.to_string()),
            })
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_from_iter([
        ("ts", Arc::new(ts) as ArrayRef),
        ("author", Arc::new(author) as ArrayRef),
        ("text", Arc::new(text) as ArrayRef),
    ])
    .unwrap()
}

fn opts(batch_size: usize, columns: Option<&[&str]>) -> ReadOptions {
    ReadOptions {
        batch_size,
        columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
        ..ReadOptions::default()
    }
}

/// Writes `b` to `path` through a TableWriter in batches of `chunk` rows.
fn write_in_chunks(b: &RecordBatch, path: &Path, chunk: usize) -> u64 {
    let mut w = TableWriter::create(path, b.schema()).unwrap();
    for start in (0..b.num_rows()).step_by(chunk) {
        w.write(&b.slice(start, chunk.min(b.num_rows() - start))).unwrap();
    }
    w.finish().unwrap()
}

/// Parquet with row groups of `rows` rows.
fn write_parquet_groups(b: &RecordBatch, path: &Path, rows: usize) {
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(rows)).build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), b.schema(), Some(props)).unwrap();
    w.write(b).unwrap();
    w.close().unwrap();
}

fn write_ipc_stream(b: &RecordBatch, path: &Path, chunk: usize) {
    let mut w = arrow_ipc::writer::StreamWriter::try_new(std::fs::File::create(path).unwrap(), b.schema_ref()).unwrap();
    for start in (0..b.num_rows()).step_by(chunk) {
        w.write(&b.slice(start, chunk.min(b.num_rows() - start))).unwrap();
    }
    w.finish().unwrap();
}

/// `b` as CSV, Parquet (row groups of 150 rows), IPC file and IPC stream, named `{test}.{ext}`.
fn files(test: &str, b: &RecordBatch) -> Vec<PathBuf> {
    let csv = tmp(&format!("{test}.csv"));
    write_in_chunks(b, &csv, 100);
    let pq = tmp(&format!("{test}.parquet"));
    write_parquet_groups(b, &pq, 150);
    let ipc = tmp(&format!("{test}.arrow"));
    write_in_chunks(b, &ipc, 130);
    let stream = tmp(&format!("{test}.arrows"));
    write_ipc_stream(b, &stream, 170);
    vec![csv, pq, ipc, stream]
}

fn ts(b: &RecordBatch) -> Vec<i64> {
    b.column_by_name("ts").unwrap().as_primitive::<TimestampMicrosecondType>().values().to_vec()
}

fn texts(b: &RecordBatch) -> Vec<Option<String>> {
    b.column_by_name("text").unwrap().as_string::<i32>().iter().map(|s| s.map(str::to_string)).collect()
}

#[test]
fn streams_concatenated_equal_whole_reads() {
    let b = history(1000);
    for path in files("streams", &b) {
        let whole = read_history(&path, &ReadOptions::default()).unwrap();
        assert_eq!(whole.num_rows(), 1000, "{}", path.display());
        assert_eq!(ts(&whole), ts(&b), "{}", path.display());
        let mut reader = open_history(&path, &opts(64, None)).unwrap();
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.by_ref().collect::<streamliner::Result<_>>().unwrap();
        assert_eq!(reader.rows_read(), 1000);
        assert!(batches.iter().all(|x| x.num_rows() <= 64 && x.schema() == schema), "{}", path.display());
        let joined = arrow_select::concat::concat_batches(&schema, &batches).unwrap();
        assert!(joined == whole, "{}", path.display());
        assert!(texts(&joined) == texts(&b), "{}", path.display());
    }
}

#[test]
fn batch_size_is_respected() {
    let b = history(1000);
    for path in files("sizes", &b) {
        let sizes: Vec<usize> = open_history(&path, &opts(64, None)).unwrap().map(|x| x.unwrap().num_rows()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1000);
        assert!(sizes.iter().all(|&s| (1..=64).contains(&s)), "{}: {sizes:?}", path.display());
        if path.extension().is_some_and(|e| e == "csv") {
            assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == 64), "{sizes:?}");
        }
        if path.extension().is_some_and(|e| e == "parquet") {
            // Row groups of 150 rows: 64, 64, 22, then again.
            assert_eq!(&sizes[..4], &[64, 64, 22, 64]);
        }
    }
    assert!(matches!(open_history(&tmp("sizes.csv"), &opts(0, None)), Err(Error::InvalidParameter { .. })));
}

#[test]
fn projection_reads_the_columns_asked_for_in_that_order() {
    let b = history(500);
    for path in files("projection", &b) {
        let got = read_history(&path, &opts(100, Some(&["text", "ts"]))).unwrap();
        let names: Vec<&str> = got.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["text", "ts"], "{}", path.display());
        assert_eq!(ts(&got), ts(&b));
        assert_eq!(got.column(1).data_type(), b.column(0).data_type(), "{}", path.display());
        let only = read_history(&path, &opts(100, Some(&["author"]))).unwrap();
        assert_eq!(only.num_columns(), 1);
        assert_eq!(only.column(0).as_string::<i32>().value(1), "李雷");
    }
}

#[test]
fn a_missing_projected_column_is_named() {
    let b = history(10);
    for path in files("missing", &b) {
        let err = open_history(&path, &opts(100, Some(&["ts", "sender"]))).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{msg}");
        assert!(msg.contains("sender") && msg.contains("ts, author, text"), "{msg}");
        assert!(matches!(open_history(&path, &opts(100, Some(&[]))), Err(Error::InvalidParameter { .. })));
    }
}

#[test]
fn whatsapp_exports_stream_as_one_projected_batch() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample_chat.txt");
    let mut reader = open_history(&path, &opts(250, Some(&["text", "ts"]))).unwrap();
    let sizes: Vec<usize> = reader.by_ref().map(|x| x.unwrap().num_rows()).collect();
    assert_eq!(sizes, [250, 250, 100]);
    assert_eq!(reader.rows_read(), 600);
    assert_eq!(reader.schema().field(0).name(), "text");
}

#[test]
fn csv_errors_name_the_file_line() {
    let path = tmp("bad-line.csv");
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,a\nyesterday,b\n").unwrap();
    for batch_size in [1, 65_536] {
        let err = read_history(&path, &opts(batch_size, None)).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("bad-line.csv, line 3"), "{err}");
        eprintln!("{err}");
    }
    // A quoted field over two lines moves the bad record to line 5.
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,\"a\nb\"\n2024-03-01T08:00:00Z,c\nnot a time,d\n").unwrap();
    let err = read_history(&path, &opts(1, None)).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 5, .. }), "{err}");
    eprintln!("{err}");
    // Bytes that are not UTF-8.
    std::fs::write(&path, b"ts,text\n2024-03-01T08:00:00Z,a\n2024-03-01T08:00:00Z,\xff\n").unwrap();
    let err = read_history(&path, &opts(1, None)).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
    eprintln!("{err}");
    // A record with too many fields.
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,a\n2024-03-01T08:00:00Z,b,extra\n").unwrap();
    let err = read_history(&path, &opts(1, None)).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
    eprintln!("{err}");
}

#[test]
fn table_writer_round_trips_in_several_batches() {
    let b = history(700);
    for ext in ["csv", "parquet", "arrow"] {
        let path = tmp(&format!("writer.{ext}"));
        assert_eq!(write_in_chunks(&b, &path, 256), 700);
        let back = read_history(&path, &ReadOptions::default()).unwrap();
        assert_eq!(ts(&back), ts(&b), "{ext}");
        // arrow-csv reads an empty field as a null, so the texts come back whole from every format.
        assert!(texts(&back) == texts(&b), "{ext}");
        if ext != "csv" {
            assert!(back == b, "{ext}");
        }
    }
    // JSON: the array is write_json's output byte for byte; JSON lines hold one object per row.
    let path = tmp("writer.json");
    write_in_chunks(&b, &path, 256);
    let mut whole = Vec::new();
    write_json(&b, &mut whole).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    let path = tmp("writer.jsonl");
    write_in_chunks(&b, &path, 256);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 700);
    let row: serde_json::Value = serde_json::from_str(text.lines().nth(5).unwrap()).unwrap();
    assert_eq!(row["text"], "line 5\nnext, \"quoted\" 😀");
    assert_eq!(row["ts"], "2024-03-01T08:00:07.500005Z");
}

#[test]
fn empty_tables_and_other_schemas() {
    let b = history(3);
    let path = tmp("empty.json");
    let w = TableWriter::create(&path, b.schema()).unwrap();
    assert_eq!(w.finish().unwrap(), 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "[\n]\n");
    let mut w = TableWriter::create(&tmp("schema.csv"), b.schema()).unwrap();
    let other = b.project(&[0, 1]).unwrap();
    assert!(matches!(w.write(&other), Err(Error::InvalidParameter { .. })));
    assert!(matches!(TableWriter::create(&tmp("x.xlsx"), b.schema()), Err(Error::InvalidParameter { .. })));
    assert!(!tmp("x.xlsx").exists());
}

/// A writer whose reader has gone away.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_pipe_ends_writing_quietly() {
    let b = history(100_000);
    // The header fits the buffer; the rows or the flush meet the closed pipe.
    let result = TableWriter::csv_to(Box::new(ClosedPipe), b.schema()).and_then(|mut w| {
        w.write(&b)?;
        w.finish()
    });
    assert!(matches!(result, Err(Error::OutputClosed { .. })), "{result:?}");
    let mut whole = ClosedPipe;
    assert!(matches!(streamliner::io::write_csv(&b, &mut whole), Err(Error::OutputClosed { .. })));
}

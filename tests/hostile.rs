//! Hostile and edge-case input to the readers, kept as regression tests (time zones of
//! naive timestamps, error messages that quote huge fields).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, TimeUnit};
use streamliner::Error;
use streamliner::io::{ReadOptions, read_history, write_table};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn ts_of(b: &RecordBatch) -> Vec<i64> {
    b.column_by_name("ts").unwrap().as_primitive::<TimestampMicrosecondType>().values().to_vec()
}

fn in_zone(tz: &str) -> ReadOptions {
    ReadOptions { tz: tz.into(), ..ReadOptions::default() }
}

const H: i64 = 3_600_000_000;
/// 2024-03-01T08:00:00Z in microseconds.
const T0: i64 = 1_709_280_000_000_000;

/// `--tz` applies to CSV: naive CSV times are wall-clock times in the zone; times with an offset
/// or `Z` stay absolute; UTC (the default) reads naive times as UTC.
#[test]
fn csv_naive_times_are_wall_clock_in_the_zone() {
    let path = tmp("zoned.csv");
    std::fs::write(
        &path,
        "ts,text\n2024-03-01 08:00:00,a\n2024-03-01T08:00:00Z,b\n2024-03-01T08:00:00+01:00,c\n2024-03-10T02:30:00,gap\n",
    )
    .unwrap();
    let b = read_history(&path, &in_zone("America/New_York")).unwrap();
    // New York is UTC-5 in March before the switch; 02:30 on 2024-03-10 is in the gap and moves to 07:30Z.
    assert_eq!(ts_of(&b), vec![T0 + 5 * H, T0, T0 - H, 1_710_055_800_000_000]);
    assert_eq!(
        b.column_by_name("ts").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    let b = read_history(&path, &ReadOptions::default()).unwrap();
    assert_eq!(ts_of(&b)[..3], [T0, T0, T0 - H]);
}

/// A bad timestamp in zoned CSV mode is reported at its file line (the header is line 1).
#[test]
fn zoned_csv_errors_name_the_line() {
    let path = tmp("zoned_bad.csv");
    std::fs::write(&path, "ts,text\n2024-03-01 08:00:00,\"two\nlines\"\nnot a time,b\n").unwrap();
    match read_history(&path, &in_zone("Europe/Paris")) {
        Err(Error::Parse { line, message, path: p }) => {
            assert_eq!(line, 4, "{message}");
            assert!(p.ends_with("zoned_bad.csv") && message.contains("not a time"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(read_history(&path, &in_zone("Not/AZone")).unwrap_err().to_string().contains("Not/AZone"));
}

/// Parquet and IPC: a timestamp column with no zone is wall-clock time in the zone; one with a zone is kept.
#[test]
fn parquet_and_ipc_naive_columns_take_the_zone() {
    let naive = TimestampMicrosecondArray::from(vec![T0, T0 + H]);
    let zoned = naive.clone().with_timezone("UTC");
    for ext in ["parquet", "arrow"] {
        for (label, col, want) in
            [("naive", naive.clone(), vec![T0 - H, T0]), ("zoned", zoned.clone(), vec![T0, T0 + H])]
        {
            let b = RecordBatch::try_from_iter([
                ("ts", Arc::new(col) as Arc<dyn Array>),
                ("text", Arc::new(StringArray::from(vec!["a", "b"])) as _),
            ])
            .unwrap();
            let path = tmp(&format!("{label}.{ext}"));
            write_table(&b, &path).unwrap();
            let back = read_history(&path, &in_zone("Europe/Paris")).unwrap();
            assert_eq!(ts_of(&back), want, "{label}.{ext}");
            let back = read_history(&path, &ReadOptions::default()).unwrap();
            assert_eq!(ts_of(&back), vec![T0, T0 + H], "{label}.{ext} in UTC");
        }
    }
}

/// An error message embedded a 100 MB field verbatim; quoted values are now cut (file and line still named).
#[test]
fn huge_fields_are_cut_in_error_messages() {
    let field = "9".repeat(4 << 20);
    for tz in ["UTC", "Asia/Kolkata"] {
        let path = tmp(&format!("huge-{}.csv", tz.replace('/', "-")));
        std::fs::write(&path, format!("ts,text\n2024-03-01T08:00:00Z,a\n{field},b\n")).unwrap();
        let err = read_history(&path, &in_zone(tz)).unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 1000, "{tz}: {} bytes: {}", text.len(), &text[..300]);
        assert!(text.contains("huge-") && text.contains("line 3"), "{tz}: {text}");
    }
    let value = "x".repeat(1 << 20);
    let e = streamliner::window::parse_duration(&value).unwrap_err().to_string();
    assert!(e.len() < 600 && e.contains("characters"), "{e}");
    assert_eq!(streamliner::error::excerpt("ok"), "ok");
    let cut = streamliner::error::excerpt(&"ü".repeat(81));
    assert!(cut.starts_with(&"ü".repeat(80)) && cut.contains("81 characters, 162 bytes"), "{cut}");
}

/// Damaged Arrow IPC files made arrow's decoder panic (a buffer sliced by a length read from the file; found
/// by tests/fuzz_inputs.rs): the readers now return an error naming the file instead. Every third byte of a
/// small IPC file set to 0xff is read without a panic, and some of those files hit the decoder's panic.
#[test]
fn damaged_ipc_is_an_error_not_a_panic() {
    use arrow_array::Int64Array;
    let batch = RecordBatch::try_from_iter([
        ("ts", Arc::new(TimestampMicrosecondArray::from(vec![T0, T0 + H]).with_timezone("UTC")) as Arc<dyn Array>),
        ("text", Arc::new(StringArray::from(vec!["a", "é"])) as _),
        ("n", Arc::new(Int64Array::from(vec![1, 2])) as _),
    ])
    .unwrap();
    let valid = tmp("valid.arrow");
    write_table(&batch, &valid).unwrap();
    let original = std::fs::read(&valid).unwrap();
    let (mut caught, mut errors) = (0, 0);
    let path = tmp("damaged.arrow");
    // Every third byte: each decoder panic costs a backtrace when RUST_BACKTRACE is set.
    for i in (0..original.len()).step_by(3) {
        let value = 0xffu8;
        let mut bytes = original.clone();
        bytes[i] = value;
        std::fs::write(&path, &bytes).unwrap();
        let read = std::panic::catch_unwind(|| read_history(&path, &ReadOptions::default()));
        let result = read.unwrap_or_else(|_| panic!("byte {i} = {value:#x}: the reader panicked"));
        if let Err(e) = result {
            let text = e.to_string();
            assert!(text.contains("damaged.arrow"), "{text}");
            errors += 1;
            caught += usize::from(text.contains("decoder failed"));
        }
    }
    assert!(errors > 0 && caught > 0, "{errors} errors, {caught} of them decoder panics");
}

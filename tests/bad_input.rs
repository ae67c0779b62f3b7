//! Bad input that once went through silently or with a poor message, kept as regression tests: CSV quotes
//! that never close, duplicate column names, UTF-16 files, rows out of order in a file, an output path that
//! is a directory, dictionary-encoded text, and allocations larger than any memory.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, DictionaryArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use streamliner::io::{ReadOptions, TableWriter, open_history, read_history, write_table};
use streamliner::strings::{LengthUnit, lengths};
use streamliner::window::WindowSpec;
use streamliner::{Engine, Error};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamliner-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A CSV of `rows` messages (`ts,author,text`), one a minute from 2024-03-01T08:00Z; `edit` may change row
/// `i`'s text.
fn chat_csv(rows: usize, edit: impl Fn(usize) -> Option<String>) -> String {
    let mut out = String::from("ts,author,text\n");
    for i in 0..rows {
        let text = edit(i).unwrap_or_else(|| format!("message {i}"));
        out.push_str(&format!("2024-03-01T{:02}:{:02}:00Z,Ana,{text}\n", 8 + i / 60 % 16, i % 60));
    }
    out
}

fn parse_error(result: streamliner::Result<RecordBatch>) -> (u64, String) {
    match result {
        Err(Error::Parse { line, message, path }) => {
            assert!(path.ends_with(".csv"), "{path}");
            (line, message)
        }
        other => panic!("expected a parse error, got {:?}", other.map(|b| b.num_rows())),
    }
}

/// One unbalanced quote in row 2 of a 1,000-row CSV used to read as 2 rows (the rest of the file one field),
/// exit 0. The file ends inside quotes: an error naming line 3, where the quote opens, whole and streamed.
#[test]
fn an_unbalanced_quote_is_an_error_naming_its_line() {
    let path = tmp("unbalanced.csv");
    std::fs::write(&path, chat_csv(1000, |i| (i == 1).then(|| "\"it's a \"\"quote".to_string()))).unwrap();
    let (line, message) = parse_error(read_history(&path, &ReadOptions::default()));
    assert_eq!(line, 3, "{message}");
    assert!(message.contains("never closed") && message.contains("\"it's a"), "{message}");
    let opts = ReadOptions { batch_size: 3, ..ReadOptions::default() };
    let streamed: Vec<_> = open_history(&path, &opts).unwrap().collect();
    let last = streamed.into_iter().find_map(Result::err).expect("the stream ends with an error");
    assert!(matches!(last, Error::Parse { line: 3, .. }), "{last}");
}

/// A second stray quote closes the first: the field between them spans 500 lines, past a limit of 100 (the
/// error names where it opened); with the limit raised the same file reads, as 499 rows and one long one.
#[test]
fn a_quoted_field_past_the_line_limit_is_an_error() {
    let path = tmp("two_quotes.csv");
    let csv = chat_csv(1000, |i| match i {
        9 => Some("\"opens here".into()),
        509 => Some("closes here\"".into()),
        _ => None,
    });
    std::fs::write(&path, csv).unwrap();
    let opts = ReadOptions { max_field_lines: 100, ..ReadOptions::default() };
    let (line, message) = parse_error(read_history(&path, &opts));
    assert_eq!(line, 11, "{message}");
    assert!(message.contains("runs past 100 lines") && message.contains("max_field_lines"), "{message}");
    let opts = ReadOptions { max_field_lines: 1000, ..ReadOptions::default() };
    assert_eq!(read_history(&path, &opts).unwrap().num_rows(), 500);
    // Legitimate quoted fields: escaped quotes, commas and line breaks inside, CRLF.
    let path = tmp("quoted.csv");
    std::fs::write(&path, "ts,text\r\n2024-03-01T08:00:00Z,\"a \"\"b\"\",\r\nc\"\r\n2024-03-01T08:01:00Z,d\r\n")
        .unwrap();
    let b = read_history(&path, &ReadOptions { max_field_lines: 2, ..ReadOptions::default() }).unwrap();
    let text = b.column_by_name("text").unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
    assert_eq!(text.iter().collect::<Vec<_>>(), [Some("a \"b\",\r\nc"), Some("d")]);
}

/// A field past the byte limit, quoted or not, is an error naming its line.
#[test]
fn a_field_past_the_byte_limit_is_an_error() {
    let path = tmp("long_field.csv");
    std::fs::write(&path, chat_csv(20, |i| (i == 4).then(|| "x".repeat(5000)))).unwrap();
    let opts = ReadOptions { max_field_bytes: 4096, ..ReadOptions::default() };
    let (line, message) = parse_error(read_history(&path, &opts));
    assert_eq!(line, 6, "{message}");
    assert!(message.contains("runs past 4096 bytes") && message.contains("max_field_bytes"), "{message}");
    assert_eq!(read_history(&path, &ReadOptions::default()).unwrap().num_rows(), 20);
}

fn history(ts: &[i64], texts: &[&str]) -> Vec<(&'static str, ArrayRef)> {
    vec![
        ("ts", Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC")) as ArrayRef),
        ("text", Arc::new(StringArray::from(texts.to_vec())) as ArrayRef),
    ]
}

/// Two columns of one name in a CSV, Parquet or Arrow file: the first was used silently. Each is refused,
/// naming the column; an in-memory table with two `ts` columns is refused by the windows as well.
#[test]
fn duplicate_column_names_are_refused() {
    let csv = tmp("dup.csv");
    std::fs::write(&csv, "ts,text,ts\n2024-03-01T08:00:00Z,a,2024-03-01T09:00:00Z\n").unwrap();
    let mut columns = history(&[0, 1], &["a", "b"]);
    columns.push(("text", Arc::new(StringArray::from(vec!["c", "d"])) as ArrayRef));
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let (parquet, arrow) = (tmp("dup.parquet"), tmp("dup.arrow"));
    write_table(&batch, &parquet).unwrap();
    write_table(&batch, &arrow).unwrap();
    for (path, name) in [(&csv, "ts"), (&parquet, "text"), (&arrow, "text")] {
        let e = read_history(path, &ReadOptions::default()).unwrap_err().to_string();
        assert!(e.contains(&format!("invalid column = {name}:")) && e.contains("two columns of this name"), "{e}");
        assert!(e.contains(path.file_name().unwrap().to_str().unwrap()), "{e}");
    }
    let engine = common::cpu();
    let e = engine.window(&batch, &WindowSpec::messages(1)).unwrap_err().to_string();
    assert!(e.contains("text") && e.contains("two columns of this name"), "{e}");
}

/// UTF-16 input was called "not valid UTF-8" with no word of UTF-16: the byte order mark (or the NUL bytes
/// of UTF-16 without one) now names the encoding and how to convert it.
#[test]
fn utf16_csv_is_named() {
    let text = "ts,text\n2024-03-01T08:00:00Z,olá\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (name, bytes, encoding) in [
        ("bom_le.csv", [&[0xFF, 0xFE][..], &le].concat(), "UTF-16LE"),
        ("bom_be.csv", [&[0xFE, 0xFF][..], &be].concat(), "UTF-16BE"),
        ("no_bom_le.csv", le.clone(), "UTF-16LE"),
    ] {
        let path = tmp(name);
        std::fs::write(&path, bytes).unwrap();
        let (line, message) = parse_error(read_history(&path, &ReadOptions::default()));
        assert_eq!(line, 1);
        assert!(message.contains(&format!("the file is {encoding}")) && message.contains("iconv"), "{message}");
    }
}

/// The out-of-order error gave raw microseconds and no file: it now names the file (as the stream was told
/// it) and both times as dates.
#[test]
fn out_of_order_rows_name_the_file_and_the_times() {
    let path = tmp("unsorted.csv");
    std::fs::write(&path, "ts,text\n2024-03-01T08:00:00Z,a\n2024-03-01T09:30:00Z,b\n2024-03-01T09:00:00Z,c\n").unwrap();
    let engine = common::cpu();
    let reader = open_history(&path, &ReadOptions::default()).unwrap();
    let name = reader.name().to_string();
    let stream = engine.window_stream(reader, &WindowSpec::messages(2)).unwrap().input_name(name);
    let e = stream.filter_map(Result::err).next().expect("an out-of-order error");
    assert!(matches!(e, Error::OutOfOrder { row: 2, .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.starts_with(&format!("{}: ts column \"ts\": input row 2", path.display())), "{text}");
    assert!(
        text.contains(
            "holds 2024-03-01T09:00:00.000000Z, earlier than the row before it (2024-03-01T09:30:00.000000Z)"
        ),
        "{text}"
    );
}

/// `--output DIR` was called an unknown extension: a directory is named as one, before anything is created.
#[test]
fn an_output_directory_is_named() {
    let dir = tmp("out_dir");
    std::fs::create_dir_all(&dir).unwrap();
    let schema = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).unwrap().schema();
    for path in [dir.clone(), PathBuf::from(format!("{}/", tmp("not_yet").display()))] {
        let e = TableWriter::create(&path, schema.clone()).unwrap_err().to_string();
        assert!(e.contains("is a directory") && e.contains("windows.csv"), "{e}");
    }
    let e = TableWriter::create(&tmp("table.xlsx"), schema).unwrap_err().to_string();
    assert!(e.contains("unknown extension"), "{e}");
}

/// A dictionary-encoded text column was refused; it is decoded: the windows, the streamed windows and the
/// lengths are those of the plain column.
fn dictionary_text_is_decoded(engine: &Engine) {
    let mut rng = common::Rng::new(20);
    let n = 3000;
    let words = ["", "hi", "olá", "李雷😀", "a longer message with some words"];
    let keys: Vec<Option<i32>> =
        (0..n).map(|_| Some(rng.below(words.len() as u64 + 1) as i32).filter(|&k| k < words.len() as i32)).collect();
    let dict: DictionaryArray<Int32Type> =
        DictionaryArray::try_new(keys.iter().copied().collect(), Arc::new(StringArray::from(words.to_vec()))).unwrap();
    let plain: StringArray = keys.iter().map(|k| k.map(|k| words[k as usize])).collect();
    let ts = TimestampMicrosecondArray::from((0..n as i64).map(|i| i * 60_000_000).collect::<Vec<_>>());
    let table = |text: ArrayRef| {
        RecordBatch::try_from_iter([("ts", Arc::new(ts.clone()) as ArrayRef), ("text", text)]).unwrap()
    };
    let (dict_table, plain_table) = (table(Arc::new(dict.clone())), table(Arc::new(plain.clone())));
    for spec in
        [WindowSpec::bytes(200), WindowSpec::bytes(150).length_unit(LengthUnit::CodePoints), WindowSpec::messages(7)]
    {
        let want = engine.window(&plain_table, &spec).unwrap();
        let got = engine.window(&dict_table, &spec).unwrap();
        assert_eq!(got.windows(), want.windows(), "{spec:?}");
        let streamed: Vec<_> = engine
            .window_stream([dict_table.slice(0, 1000), dict_table.slice(1000, 2000)].map(Ok::<_, Error>), &spec)
            .unwrap()
            .map(|w| w.unwrap().window)
            .collect();
        assert_eq!(streamed, want.windows(), "{spec:?} streamed");
    }
    for unit in [LengthUnit::Utf8Bytes, LengthUnit::CodePoints] {
        assert_eq!(lengths(engine, &dict, unit).unwrap(), lengths(engine, &plain, unit).unwrap(), "{unit:?}");
    }
}

/// `iota(2^33)` on the GPU returned Ok and the process was then killed for memory (64 GiB on a 24 GiB host).
/// An output larger than the memory where it would live (the device's, the host's on the CPU) is refused
/// before anything is allocated, naming the size.
fn oversized_outputs_are_refused(engine: &Engine) {
    use streamliner::elementwise::iota;
    for len in [1usize << 40, usize::MAX / 8] {
        let e = iota(engine, len, 0).map(|_| ()).unwrap_err();
        let Error::LimitExceeded { value, limit, .. } = &e else { panic!("{e:?}") };
        assert!(*value >= (len as u64).saturating_mul(8) && value > limit, "{e}");
        let text = e.to_string();
        assert!(text.contains("iota's output") && text.contains(&format!("{len} values of 8 bytes")), "{text}");
    }
    assert_eq!(iota(engine, 5, 3).unwrap().to_vec().unwrap(), vec![3, 4, 5, 6, 7]);
}

on_every_backend!(dictionary_text_is_decoded, oversized_outputs_are_refused);

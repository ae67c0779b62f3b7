//! Text length prefixes in bytes and code points: every backend against `str::len` and `chars().count()`.

mod common;

use arrow_array::{Array, LargeStringArray, StringArray, StringViewArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use common::Rng;
use streamliner::Engine;
use streamliner::strings::{LengthUnit, length_prefix, lengths};

const PIECES: [&str; 8] = ["a", "é", "€", "😀", " ", "\n", "ß", "𝄞"];

fn random_text(rng: &mut Rng, max_chars: u64) -> String {
    let n = rng.below(max_chars + 1);
    (0..n).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect()
}

fn expected(rows: &[Option<&str>], unit: LengthUnit) -> Vec<u64> {
    let mut acc = 0u64;
    let mut out = vec![0];
    for r in rows {
        acc += r.map_or(0, |s| match unit {
            LengthUnit::Utf8Bytes => s.len() as u64,
            LengthUnit::CodePoints => s.chars().count() as u64,
        });
        out.push(acc);
    }
    out
}

fn check(engine: &Engine, array: &dyn Array, rows: &[Option<&str>]) {
    for unit in [LengthUnit::Utf8Bytes, LengthUnit::CodePoints] {
        let want = expected(rows, unit);
        let got = length_prefix(engine, array, unit).unwrap().to_vec().unwrap();
        assert!(got == want, "{unit:?} prefix of {} rows of {:?}", rows.len(), array.data_type());
        // Per row (a kernel of its own for code points): the prefix's differences, nulls kept.
        let per_row = lengths(engine, array, unit).unwrap();
        let want_rows: Vec<u64> = want.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(per_row.values().as_ref() == want_rows.as_slice(), "{unit:?} lengths of {} rows", rows.len());
        assert_eq!(per_row.logical_nulls(), array.logical_nulls(), "{unit:?} nulls");
    }
}

fn random_rows(engine: &Engine) {
    let mut rng = Rng::new(40);
    for (n, max_chars) in [(0, 5), (1, 0), (1, 9), (7, 3), (1000, 40), (5000, 12), (20_000, 8)] {
        let texts: Vec<Option<String>> =
            (0..n).map(|i| if i % 11 == 3 { None } else { Some(random_text(&mut rng, max_chars)) }).collect();
        let rows: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        check(engine, &StringArray::from(rows.clone()), &rows);
        check(engine, &LargeStringArray::from(rows.clone()), &rows);
        check(engine, &StringViewArray::from(rows.clone()), &rows);
    }
}

fn sliced_arrays(engine: &Engine) {
    let mut rng = Rng::new(41);
    let texts: Vec<String> = (0..3000).map(|_| random_text(&mut rng, 20)).collect();
    let array = StringArray::from(texts.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    for (off, len) in [(0, 0), (1, 1), (17, 2000), (2999, 1)] {
        let rows: Vec<Option<&str>> = texts[off..off + len].iter().map(|s| Some(s.as_str())).collect();
        check(engine, &array.slice(off, len), &rows);
    }
}

fn null_rows_holding_bytes(engine: &Engine) {
    // Arrow lets a null row span bytes; it still has length 0.
    let values = Buffer::from("abcdé😀fg".as_bytes());
    let offsets = OffsetBuffer::new(ScalarBuffer::from(vec![0i32, 3, 6, 10, 12]));
    let nulls = NullBuffer::from(vec![true, false, true, false]);
    let array = StringArray::new(offsets, values, Some(nulls));
    check(engine, &array, &[Some("abc"), None, Some("😀"), None]);
}

fn long_rows_and_multibyte_at_every_boundary(engine: &Engine) {
    // A row over 1 MiB, rows whose 4-byte characters straddle word, tile and segment boundaries.
    let big: String = "😀a€".repeat(150_000);
    let mut texts: Vec<String> = vec![big, String::new(), "x".into()];
    for shift in 0..9 {
        texts.push(format!("{}{}", "a".repeat(shift), "😀".repeat(8191 + shift)));
    }
    let rows: Vec<Option<&str>> = texts.iter().map(|s| Some(s.as_str())).collect();
    check(engine, &StringArray::from(rows.clone()), &rows);
}

fn many_rows_over_several_mebibytes(engine: &Engine) {
    // Big enough for the CPU twin to split the work across threads; sliced so offsets start past 0.
    let mut rng = Rng::new(42);
    let texts: Vec<String> = (0..200_000).map(|_| random_text(&mut rng, 24)).collect();
    let array = StringArray::from(texts.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    for (off, len) in [(0, 200_000), (1, 199_998), (77_777, 100_000)] {
        let rows: Vec<Option<&str>> = texts[off..off + len].iter().map(|s| Some(s.as_str())).collect();
        check(engine, &array.slice(off, len), &rows);
    }
}

fn wrong_type_is_an_error(engine: &Engine) {
    let ints = arrow_array::Int32Array::from(vec![1, 2]);
    let err = length_prefix(engine, &ints, LengthUnit::Utf8Bytes).unwrap_err();
    assert!(err.to_string().contains("Int32"), "{err}");
}

/// Rows of 0 to 17 bytes at every alignment of the eight-byte words the CPU twin counts in (sliced at
/// offsets 0 to 8), and texts of the CPU's parallel threshold in bytes (4 * 2^18) and one byte either side.
fn every_word_alignment_and_the_parallel_byte_threshold(engine: &Engine) {
    let mut rng = Rng::new(43);
    let texts: Vec<String> = (0..2000).map(|i| random_text(&mut rng, i % 6)).collect();
    let array = StringArray::from(texts.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    for off in 0..9 {
        let rows: Vec<Option<&str>> = texts[off..].iter().map(|s| Some(s.as_str())).collect();
        check(engine, &array.slice(off, texts.len() - off), &rows);
    }
    const CPU_PARALLEL_BYTES: usize = 4 << 18;
    for target in [CPU_PARALLEL_BYTES - 1, CPU_PARALLEL_BYTES, CPU_PARALLEL_BYTES + 1] {
        let mut texts: Vec<String> = Vec::new();
        let mut total = 0;
        while total + 40 * 4 < target {
            let t = random_text(&mut rng, 40);
            total += t.len();
            texts.push(t);
        }
        texts.push("é".repeat((target - total) / 2) + &"a".repeat((target - total) % 2));
        let rows: Vec<Option<&str>> = texts.iter().map(|s| Some(s.as_str())).collect();
        assert_eq!(rows.iter().map(|r| r.map_or(0, str::len)).sum::<usize>(), target);
        check(engine, &StringArray::from(rows.clone()), &rows);
    }
}

on_every_backend!(
    every_word_alignment_and_the_parallel_byte_threshold,
    random_rows,
    sliced_arrays,
    null_rows_holding_bytes,
    long_rows_and_multibyte_at_every_boundary,
    many_rows_over_several_mebibytes,
    wrong_type_is_an_error
);

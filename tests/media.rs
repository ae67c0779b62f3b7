//! Media file names: every backend against Python's `re` (tests/fixtures/media.json, from
//! make_llm_fixtures.py), and GPU against CPU on awkward sizes and long rows.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::{Array, LargeStringArray, ListArray, StringArray};
use common::Rng;
use streamliner::Engine;
use streamliner::media::media_references;

fn row_names(list: &ListArray, i: usize) -> Vec<String> {
    let v = list.value(i);
    v.as_string::<i32>().iter().map(|s| s.unwrap_or_default().to_string()).collect()
}

fn python_fixtures(engine: &Engine) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/media.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = cases.as_array().unwrap();
    let rows: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    for got in [
        media_references(engine, &StringArray::from(rows.clone())).unwrap(),
        media_references(engine, &LargeStringArray::from(rows.clone())).unwrap(),
    ] {
        assert_eq!(got.len(), rows.len());
        for (i, c) in cases.iter().enumerate() {
            let want: Vec<String> =
                c["refs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            assert_eq!(row_names(&got, i), want, "row {i}: {:?}", rows[i]);
        }
    }
}

const PIECES: [&str; 24] = [
    "IMG-",
    "VID-",
    "\u{200e}",
    "(file attached)",
    "(arquivo anexado)",
    "\u{200e}<attached:",
    "12",
    "-WA",
    "0001",
    ".jpg",
    ".",
    "-",
    " ",
    "\u{3000}",
    "é",
    "名",
    "x",
    "_",
    "(",
    "\u{661}",
    "İ",
    "ı",
    "\n",
    "😀",
];

fn random_rows(rng: &mut Rng, n: usize, max_pieces: u64) -> Vec<Option<String>> {
    (0..n)
        .map(|i| {
            if i % 13 == 4 {
                return None;
            }
            let k = rng.below(max_pieces + 1);
            Some((0..k).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect())
        })
        .collect()
}

fn same_as_cpu(engine: &Engine, rows: &[Option<String>]) {
    let refs: Vec<Option<&str>> = rows.iter().map(|r| r.as_deref()).collect();
    let array = StringArray::from(refs);
    let got = media_references(engine, &array).unwrap();
    let cpu = media_references(common::cpu(), &array).unwrap();
    assert_eq!(got, cpu);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(got.is_null(i), r.is_none());
    }
}

fn awkward_sizes(engine: &Engine) {
    let mut rng = Rng::new(18);
    for n in common::awkward_sizes().into_iter().filter(|&n| n <= 20_000) {
        same_as_cpu(engine, &random_rows(&mut rng, n, 12));
    }
}

/// Rows longer than a pass (and than the chunked engine's binding), names across pass boundaries.
fn long_rows(engine: &Engine) {
    let mut rng = Rng::new(5);
    let mut rows = random_rows(&mut rng, 300, 2_000);
    rows.push(Some(format!("{}.jpg (file attached)", "a".repeat(70_000))));
    rows.push(Some("IMG-1-WA1.jpg ".repeat(20_000)));
    rows.push(Some(format!("{}IMG-1-WA{}.x", "-".repeat(255), "7".repeat(600))));
    let got =
        media_references(engine, &StringArray::from(rows.iter().map(|r| r.as_deref()).collect::<Vec<_>>())).unwrap();
    let n = rows.len();
    assert_eq!(row_names(&got, n - 3), [format!("{}.jpg", "a".repeat(70_000))]);
    assert_eq!(row_names(&got, n - 2), ["IMG-1-WA1.jpg"]);
    assert_eq!(row_names(&got, n - 1), [format!("IMG-1-WA{}.x", "7".repeat(600))]);
    same_as_cpu(engine, &rows);
}

fn sliced_and_empty(engine: &Engine) {
    let a = StringArray::from(vec!["IMG-1-WA1.a", "x.y (file attached)", "z"]);
    let got = media_references(engine, &a.slice(1, 2)).unwrap();
    assert_eq!((row_names(&got, 0), got.value(1).len()), (vec!["x.y".to_string()], 0));
    assert_eq!(media_references(engine, &StringArray::from(Vec::<&str>::new())).unwrap().len(), 0);
    assert!(media_references(engine, &arrow_array::Int32Array::from(vec![1])).is_err());
}

on_every_backend!(python_fixtures, awkward_sizes, long_rows, sliced_and_empty);

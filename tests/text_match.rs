//! Prefixes, URLs and UUID sets: every backend against independent references (the regex crate, the
//! uuid crate), on random and adversarial rows.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::{Array, LargeStringArray, StringArray};
use common::Rng;
use streamliner::Engine;
use streamliner::text_match::{extract_urls, starts_with_ignore_ascii_case, uuid_in_set};

const PIECES: [&str; 18] = [
    "http://",
    "https://",
    "httpshttp://",
    "http:/",
    "a.b/c?d=e&f",
    "é",
    "😀",
    " ",
    "\t",
    "<",
    ">",
    "\"",
    "|",
    "[",
    "x",
    "\u{b}",
    "http",
    "://",
];

fn random_rows(rng: &mut Rng, n: usize, max_pieces: u64) -> Vec<Option<String>> {
    (0..n)
        .map(|i| {
            if i % 17 == 5 {
                return None;
            }
            let k = rng.below(max_pieces + 1);
            Some((0..k).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect())
        })
        .collect()
}

fn reference_urls(s: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"https?://[^ \t\n\x0c\r<>"{}|\\^`\[\]]+"#).unwrap();
    re.find_iter(s).map(|m| m.as_str().to_string()).collect()
}

fn check_urls(engine: &Engine, rows: &[Option<String>]) {
    let refs: Vec<Option<&str>> = rows.iter().map(|r| r.as_deref()).collect();
    for got in [
        extract_urls(engine, &StringArray::from(refs.clone())).unwrap(),
        extract_urls(engine, &LargeStringArray::from(refs.clone())).unwrap(),
    ] {
        for (i, r) in rows.iter().enumerate() {
            match r {
                None => assert!(got.is_null(i)),
                Some(s) => {
                    let v = got.value(i);
                    let v = v.as_string::<i32>();
                    let mine: Vec<&str> = (0..v.len()).map(|k| v.value(k)).collect();
                    assert_eq!(mine, reference_urls(s), "row {i}: {:?}", s.get(..s.len().min(80)));
                }
            }
        }
    }
}

fn urls_on_random_rows(engine: &Engine) {
    let mut rng = Rng::new(90);
    check_urls(engine, &random_rows(&mut rng, 3000, 12));
    check_urls(engine, &[]);
}

fn urls_on_long_rows(engine: &Engine) {
    // URLs longer than one pass, rows over 1 MiB, matches straddling pass boundaries.
    let mut rows = vec![
        Some(format!("go https://{} now", "a".repeat(10_000))),
        Some(format!("{}http://x.y", " ".repeat(4093))),
        Some(format!("{}https://z", "q".repeat(4090))),
        Some("http://".repeat(200_000)),
        Some(format!("{} http://end", "😀 ".repeat(200_000))),
    ];
    let mut rng = Rng::new(91);
    rows.extend(random_rows(&mut rng, 50, 3000));
    check_urls(engine, &rows);
}

fn prefixes(engine: &Engine) {
    let mut rng = Rng::new(92);
    let cases = [
        "/egregora",
        "/EGREGORA opt-out",
        "/Egregora",
        "/egregor",
        "",
        " /egregora",
        "/egregorå",
        "/egregoraé",
        "/ＥGREGORA",
    ];
    let mut rows: Vec<Option<String>> = cases.iter().map(|s| Some(s.to_string())).collect();
    rows.push(None);
    rows.extend(random_rows(&mut rng, 2000, 4).into_iter().map(|r| r.map(|s| format!("/eGrEgOrA{s}"))));
    rows.push(Some(format!("/egregora{}", "x".repeat(2_000_000))));
    let refs: Vec<Option<&str>> = rows.iter().map(|r| r.as_deref()).collect();
    let got = starts_with_ignore_ascii_case(engine, &StringArray::from(refs), "/egregora").unwrap();
    for (i, r) in rows.iter().enumerate() {
        match r {
            None => assert!(got.is_null(i)),
            Some(s) => assert_eq!(got.value(i), s.to_lowercase().starts_with("/egregora"), "{:?}", s.get(..20)),
        }
    }
    assert!(starts_with_ignore_ascii_case(engine, &StringArray::from(vec!["x"]), "/égrégora").is_err());
}

fn uuid_sets(engine: &Engine) {
    let mut rng = Rng::new(93);
    let all: Vec<uuid::Uuid> = (0..500)
        .map(|_| uuid::Uuid::from_u128(u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())))
        .collect();
    let set: Vec<[u8; 16]> = all.iter().step_by(3).map(|u| *u.as_bytes()).collect();
    let mut rows: Vec<Option<String>> = all.iter().map(|u| Some(u.hyphenated().to_string())).collect();
    rows[7] = Some(all[6].hyphenated().to_string().to_uppercase());
    rows.extend([
        None,
        Some(String::new()),
        Some("not-a-uuid".into()),
        Some(all[0].simple().to_string()),
        Some(format!("{}x", all[0])),
    ]);
    let refs: Vec<Option<&str>> = rows.iter().map(|r| r.as_deref()).collect();
    let got = uuid_in_set(engine, &StringArray::from(refs), &set).unwrap();
    for (i, r) in rows.iter().enumerate() {
        match r {
            None => assert!(got.is_null(i)),
            Some(s) => {
                let want =
                    uuid::Uuid::try_parse(s).ok().filter(|_| s.len() == 36).is_some_and(|u| set.contains(u.as_bytes()));
                assert_eq!(got.value(i), want, "row {i}: {s}");
            }
        }
    }
    let none = uuid_in_set(engine, &StringArray::from(vec![all[0].to_string()]), &[]).unwrap();
    assert!(!none.value(0));
}

on_every_backend!(urls_on_random_rows, urls_on_long_rows, prefixes, uuid_sets);

//! Name-based UUIDs (author pseudonyms): against Python's uuid module, an independent SHA-1, and CPU = GPU
//! on adversarial names.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::{Array, LargeStringArray, StringArray};
use common::Rng;
use sha1::{Digest, Sha1};
use streamliner::Engine;
use streamliner::uuid5::uuid5;

const OID: [u8; 16] = *uuid::Uuid::NAMESPACE_OID.as_bytes();

/// UUID v5 built by hand from the `sha1` crate, with Python's strip applied by the test itself.
fn reference(name: &str) -> String {
    let py_space = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    let mut h = Sha1::new();
    h.update(OID);
    h.update(b"whatsapp:");
    h.update(name.trim_matches(py_space).as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

fn python_fixtures(engine: &Engine) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pseudonyms.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = cases.as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let got = uuid5(engine, &StringArray::from(names.clone()), OID, "whatsapp:").unwrap();
    let got = got.as_string::<i32>();
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(got.value(i), c["uuid"].as_str().unwrap(), "name {:?}", names[i]);
        assert_eq!(got.value(i), reference(names[i]), "name {:?}", names[i]);
    }
}

const PIECES: [&str; 10] = ["a", "é", "€", "😀", " ", "\u{3000}", "\t", "\u{1f}", "名", "\u{200b}"];

fn adversarial_names(engine: &Engine) {
    let mut rng = Rng::new(80);
    let mut names: Vec<Option<String>> = vec![
        Some(String::new()),
        Some("a".into()),
        Some(" ".repeat(5000)),
        Some("\u{3000}".repeat(3000)),
        Some(format!("{}x{}", " ".repeat(2500), "\u{2028}".repeat(1500))),
        Some("😀".repeat(300_000)), // over 1 MiB
        None,
        Some(format!("\u{a0}{}\u{a0}", "ab".repeat(40))),
    ];
    for len in [1, 2, 46, 47, 55, 56, 63, 64, 119, 120, 200] {
        names.push(Some("x".repeat(len)));
    }
    for _ in 0..3000 {
        let n = rng.below(30) as usize;
        names.push(Some((0..n).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect()));
    }
    let array = StringArray::from(names.clone());
    let got = uuid5(engine, &array, OID, "whatsapp:").unwrap();
    let got = got.as_string::<i32>();
    let large = uuid5(engine, &LargeStringArray::from(names.clone()), OID, "whatsapp:").unwrap();
    let large = large.as_string::<i32>();
    for (i, name) in names.iter().enumerate() {
        match name {
            Some(n) => {
                assert_eq!(got.value(i), reference(n), "row {i}, {} bytes", n.len());
                assert_eq!(large.value(i), got.value(i));
            }
            None => assert!(got.is_null(i)),
        }
    }
    if engine.is_gpu() {
        assert_eq!(got, uuid5(common::cpu(), &array, OID, "whatsapp:").unwrap().as_string::<i32>());
    }
}

fn other_namespaces_and_prefixes(engine: &Engine) {
    let names = StringArray::from(vec!["example.org", " example.org "]);
    let got = uuid5(engine, &names, *uuid::Uuid::NAMESPACE_DNS.as_bytes(), "").unwrap();
    let got = got.as_string::<i32>();
    let want = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, b"example.org").to_string();
    assert_eq!((got.value(0), got.value(1)), (want.as_str(), want.as_str()));
    assert!(uuid5(engine, &arrow_array::Int32Array::from(vec![1]), OID, "").is_err());
    assert_eq!(uuid5(engine, &StringArray::from(Vec::<&str>::new()), OID, "").unwrap().len(), 0);
}

/// Columns of few distinct authors, repeated (as a chat's are), with nulls and names equal after strip:
/// each row is its own name's UUID, on awkward sizes around the chunked engine's segments.
fn repeated_authors(engine: &Engine) {
    let mut rng = Rng::new(81);
    let pool: Vec<String> = (0..40)
        .map(|i| match i % 4 {
            0 => format!("Author {i}"),
            1 => format!("  Author {}\t", i - 1),
            2 => "😀".repeat(i),
            _ => "x".repeat(60 + i),
        })
        .collect();
    for n in [0usize, 1, 2, 7, 8191, 8192, 8193, 40_000] {
        let names: Vec<Option<&str>> = (0..n)
            .map(|_| match rng.below(50) {
                0 => None,
                k => Some(pool[(k as usize) % pool.len()].as_str()),
            })
            .collect();
        let array = StringArray::from(names.clone());
        let got = uuid5(engine, &array, OID, "whatsapp:").unwrap();
        let got = got.as_string::<i32>();
        assert_eq!(got.len(), n);
        for (i, name) in names.iter().enumerate() {
            match name {
                Some(s) => assert_eq!(got.value(i), reference(s), "row {i} of {n}"),
                None => assert!(got.is_null(i), "row {i} of {n}"),
            }
        }
        if engine.is_gpu() {
            assert_eq!(got, uuid5(common::cpu(), &array, OID, "whatsapp:").unwrap().as_string::<i32>());
        }
    }
}

on_every_backend!(python_fixtures, adversarial_names, other_namespaces_and_prefixes, repeated_authors);

//! SHA-256 of framed ranges and of string rows: every backend against known digests and the `sha2`
//! crate on whole joined texts, on awkward lengths (around the 55/56/64-byte padding edges), overlapping
//! and unsorted ranges, empty ranges, and ranges larger than a binding of the chunked engine.

mod common;

use arrow_array::{Array, LargeStringArray, StringArray};
use common::Rng;
use sha2::{Digest, Sha256};
use streamliner::Engine;
use streamliner::sha256::{sha256_hex, sha256_ranges, to_hex};

fn reference(prefix: &[u8], body: &[u8], suffix: &[u8]) -> [u8; 32] {
    Sha256::digest([prefix, body, suffix].concat()).into()
}

fn known_digests(engine: &Engine) {
    // FIPS 180-2 examples.
    let abc = sha256_ranges(engine, b"abc", &[(0, 3)], b"", b"").unwrap();
    assert_eq!(to_hex(&abc[0]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let two = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    let d = sha256_ranges(engine, two, &[(0, two.len() as u64)], b"", b"").unwrap();
    assert_eq!(to_hex(&d[0]), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    let a = vec![b'a'; 1_000_000];
    let d = sha256_ranges(engine, &a, &[(0, a.len() as u64)], b"", b"").unwrap();
    assert_eq!(to_hex(&d[0]), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // The same text framed three ways.
    let framed = sha256_ranges(engine, b"xbx", &[(1, 2), (0, 3), (3, 3)], b"a", b"c").unwrap();
    assert_eq!(framed[0], abc[0]);
    assert_eq!(framed[1], reference(b"a", b"xbx", b"c"));
    assert_eq!(framed[2], reference(b"a", b"", b"c"));
    assert!(sha256_ranges(engine, b"", &[], b"", b"").unwrap().is_empty());
}

/// Lengths around every padding edge, for the body and for the frame.
fn edge_lengths() -> Vec<u64> {
    let mut v = vec![0, 1, 2, 3, 4, 5, 7, 8];
    for k in [64u64, 128, 4096] {
        v.extend([k - 9, k - 8, k - 1, k, k + 1]);
    }
    v.extend([119, 120, 55, 56, 57, 4095 * 64 + 3]);
    v
}

fn awkward_frames(engine: &Engine) {
    let mut rng = Rng::new(256);
    let bytes: Vec<u8> = (0..300_000).map(|_| rng.next_u32() as u8).collect();
    let lens = edge_lengths();
    let frames: Vec<Vec<u8>> = [0usize, 1, 3, 7, 55, 56, 64, 70].iter().map(|&k| bytes[..k].to_vec()).collect();
    for (fi, prefix) in frames.iter().enumerate() {
        let suffix = &frames[frames.len() - 1 - fi];
        // Ranges at every alignment, overlapping, in no order.
        let ranges: Vec<(u64, u64)> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let a = rng.below(bytes.len() as u64 - len) + (i as u64 % 4);
                let a = a.min(bytes.len() as u64 - len);
                (a, a + len)
            })
            .collect();
        let got = sha256_ranges(engine, &bytes, &ranges, prefix, suffix).unwrap();
        for (i, &(a, b)) in ranges.iter().enumerate() {
            assert_eq!(
                got[i],
                reference(prefix, &bytes[a as usize..b as usize], suffix),
                "range {a}..{b} with a {}-byte prefix",
                prefix.len()
            );
        }
    }
}

/// Many short overlapping ranges (windows of a rendered history), and ranges longer than the chunked
/// engine's binding (64 KiB), hashed by the CPU twin there.
fn many_windows(engine: &Engine) {
    let mut rng = Rng::new(9);
    let bytes: Vec<u8> = (0..2_000_000).map(|_| b'a' + (rng.below(26) as u8)).collect();
    for n in common::awkward_sizes().into_iter().filter(|&n| n <= 20_000) {
        let ranges: Vec<(u64, u64)> = (0..n as u64)
            .map(|i| {
                let a = (i * 97) % 1_900_000;
                let len = if i % 501 == 7 { 70_000 + i } else { rng.below(3_000) };
                (a, a + len)
            })
            .collect();
        let got = sha256_ranges(engine, &bytes, &ranges, b"<chat>\n", b"\n</chat>").unwrap();
        let cpu = sha256_ranges(common::cpu(), &bytes, &ranges, b"<chat>\n", b"\n</chat>").unwrap();
        assert_eq!(got, cpu, "{n} ranges");
        if let Some(&(a, b)) = ranges.last() {
            assert_eq!(got[n - 1], reference(b"<chat>\n", &bytes[a as usize..b as usize], b"\n</chat>"));
        }
    }
}

fn bad_ranges(engine: &Engine) {
    let e = sha256_ranges(engine, b"abc", &[(0, 1), (2, 4)], b"", b"").unwrap_err();
    assert!(e.to_string().contains("range 1"), "{e}");
    assert!(sha256_ranges(engine, b"abc", &[(2, 1)], b"", b"").is_err());
}

fn string_rows(engine: &Engine) {
    let rows = vec![Some("abc"), None, Some(""), Some("héllo wörld 😀"), Some("a")];
    for got in [
        sha256_hex(engine, &StringArray::from(rows.clone())).unwrap(),
        sha256_hex(engine, &LargeStringArray::from(rows.clone())).unwrap(),
    ] {
        assert_eq!(got.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            match r {
                None => assert!(got.is_null(i)),
                Some(s) => assert_eq!(got.value(i), to_hex(&reference(b"", s.as_bytes(), b""))),
            }
        }
    }
    // A sliced array hashes its own rows.
    let a = StringArray::from(vec!["x", "abc", "y"]);
    let s = sha256_hex(engine, &a.slice(1, 1)).unwrap();
    assert_eq!(s.value(0), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

on_every_backend!(known_digests, awkward_frames, many_windows, bad_ranges, string_rows);

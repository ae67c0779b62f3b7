//! Token counts: every backend against tiktoken's own counts (tests/fixtures/tokens.json, written by the
//! PyPI package), against tiktoken-rs on seeded random text and on strings made of random tokens (how the
//! bpe-openai crate tests itself), and the GPU against the CPU on awkward sizes.

mod common;

use std::sync::OnceLock;

use arrow_array::{LargeStringArray, StringArray, StringViewArray, UInt32Array};
use common::Rng;
use streamliner::Engine;
use streamliner::tokens::{Encoding, count_tokens, token_counts};

struct Case {
    text: String,
    o200k: u64,
    cl100k: u64,
}

impl Case {
    fn want(&self, enc: Encoding) -> u64 {
        match enc {
            Encoding::O200kBase => self.o200k,
            Encoding::Cl100kBase => self.cl100k,
            other => unreachable!("no fixture counts for {other}"),
        }
    }
}

/// The fixture's cases with their texts built (see tests/fixtures/make_token_fixtures.py).
fn fixtures() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokens.json")).unwrap();
        let json: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
        let texts: Vec<&str> = json.iter().filter_map(|c| c["text"].as_str()).collect();
        let joined: String = texts.concat();
        json.iter()
            .map(|c| {
                let text = if let Some(t) = c["text"].as_str() {
                    t.to_string()
                } else if let Some(unit) = c["repeat"].as_str() {
                    unit.repeat(c["times"].as_u64().unwrap() as usize)
                } else {
                    let k = c["joined"].as_u64().unwrap() as usize;
                    joined.chars().cycle().take(k).collect()
                };
                Case { text, o200k: c["o200k_base"].as_u64().unwrap(), cl100k: c["cl100k_base"].as_u64().unwrap() }
            })
            .collect()
    })
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect::<String>() + if s.chars().count() > 60 { "..." } else { "" }
}

fn counts(engine: &Engine, rows: &[&str], enc: Encoding) -> Vec<u32> {
    token_counts(engine, &StringArray::from(rows.to_vec()), enc).unwrap().values().to_vec()
}

fn tiktoken(enc: Encoding) -> &'static tiktoken_rs::CoreBPE {
    match enc {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        other => unreachable!("no tiktoken-rs encoding for {other}"),
    }
}

fn equal_tiktoken_py(engine: &Engine) {
    let cases = fixtures();
    let rows: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    for enc in Encoding::ALL {
        let got = counts(engine, &rows, enc);
        for (c, &g) in cases.iter().zip(&got) {
            assert_eq!(u64::from(g), c.want(enc), "{enc}: {:?}", clip(&c.text));
        }
        // Some rows alone too: a row of its own is a chunk of its own on the device.
        for c in cases.iter().filter(|c| (5000..=50_000).contains(&c.text.len())) {
            assert_eq!(u64::from(counts(engine, &[&c.text], enc)[0]), c.want(enc), "{enc}: {:?}", clip(&c.text));
        }
    }
}

#[test]
fn whole_text_count_equals_tiktoken_py() {
    for enc in Encoding::ALL {
        for c in fixtures() {
            assert_eq!(count_tokens(&c.text, enc).unwrap(), c.want(enc), "{enc}: {:?}", clip(&c.text));
        }
    }
}

const POOLS: [&str; 8] = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " \t\n\r.,;:!?'\"-_/\\()[]{}<>|@#$%^&*+=~`",
    "sStTmMdDrReEvVlL'\u{17f}",
    "\u{e9}\u{c9}\u{fc}\u{e7}\u{f1}\u{df}\u{131}\u{130}\u{1c5}\u{2b0}\u{301}\u{302}\u{308}\u{64b}\u{93f}",
    "日本語中文ひらカタ안녕ไม",
    "\u{663}\u{664}\u{bd}\u{b2}\u{216b}\u{2460}\u{ff11}",
    "\u{a0}\u{2000}\u{2028}\u{2029}\u{3000}\u{85}\u{b}\u{c}\u{1c}\u{200b}\u{feff}",
    "😀🙏🏽\u{200d}👨🇺🍌",
];

/// A random string of `len` code points: mostly from the pools, some anywhere in Unicode.
fn random_text(rng: &mut Rng, len: usize) -> String {
    let pools: Vec<Vec<char>> = POOLS.iter().map(|p| p.chars().collect()).collect();
    (0..len)
        .map(|_| {
            if rng.below(4) > 0 {
                let p = &pools[rng.below(pools.len() as u64) as usize];
                p[rng.below(p.len() as u64) as usize]
            } else {
                loop {
                    if let Some(c) = char::from_u32(rng.below(0x11_0000) as u32) {
                        break c;
                    }
                }
            }
        })
        .collect()
}

fn random_rows(rng: &mut Rng, n: usize, max_len: u64) -> Vec<String> {
    (0..n)
        .map(|_| {
            let len = rng.below(max_len + 1) as usize;
            random_text(rng, len)
        })
        .collect()
}

fn equal_tiktoken_rs_on_random_text(engine: &Engine) {
    let mut rng = Rng::new(18);
    let rows = random_rows(&mut rng, 3000, 80);
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    for enc in Encoding::ALL {
        let got = counts(engine, &refs, enc);
        for (s, &g) in rows.iter().zip(&got) {
            assert_eq!(g as usize, tiktoken(enc).encode_ordinary(s).len(), "{enc}: {s:?}");
        }
    }
}

/// Strings made of random tokens of the vocabulary (those that are text), as bpe-openai's tests make them.
fn equal_tiktoken_rs_on_random_tokens(engine: &Engine) {
    let mut rng = Rng::new(7);
    for enc in Encoding::ALL {
        let core = tiktoken(enc);
        let vocab = match enc {
            Encoding::O200kBase => 199_998,
            Encoding::Cl100kBase => 100_256,
            other => unreachable!("{other}"),
        };
        let rows: Vec<String> = (0..1500)
            .map(|_| {
                let k = rng.below(40) as usize;
                let mut s = String::new();
                while s.len() < 4 * k {
                    let t = core.decode_bytes(&[rng.below(vocab) as u32]).unwrap();
                    if let Ok(t) = String::from_utf8(t) {
                        s.push_str(&t);
                    }
                }
                s
            })
            .collect();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let got = counts(engine, &refs, enc);
        for (s, &g) in rows.iter().zip(&got) {
            assert_eq!(g as usize, core.encode_ordinary(s).len(), "{enc}: {s:?}");
        }
    }
}

/// The sentences of the tiktoken-rs crate's own tests, with the lengths of its token lists.
fn crate_vectors(engine: &Engine) {
    let rows = ["This is a test         with a lot of spaces", "🍌This is a sentence", "你会说中文吗？"];
    assert_eq!(counts(engine, &rows[..1], Encoding::Cl100kBase), [10]);
    assert_eq!(counts(engine, &rows[..1], Encoding::O200kBase), [10]);
    for enc in Encoding::ALL {
        let want: Vec<u32> = rows.iter().map(|s| tiktoken(enc).encode_ordinary(s).len() as u32).collect();
        assert_eq!(counts(engine, &rows, enc), want, "{enc}");
    }
}

/// Rows of every length class: empty, one byte, pieces just under, at and over the short-piece limit
/// (64 bytes), long runs, and random text.
fn mixed_rows(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 11 {
            0 => String::new(),
            1 => "x".into(),
            2 => "é".repeat(31 + (i % 3)),
            3 => "a".repeat(63 + (i % 3)),
            4 => " ".repeat(1 + i % 70),
            5 if i % 1000 == 5 => "ab".repeat(2000 + i % 7),
            6 if i % 997 == 6 => random_text(rng, 20_000),
            _ => {
                let len = rng.below(60) as usize;
                random_text(rng, len)
            }
        })
        .collect()
}

fn gpu_equals_cpu_on_awkward_sizes(engine: &Engine) {
    let mut rng = Rng::new(64);
    let cpu = common::cpu();
    for n in common::awkward_sizes().into_iter().filter(|&n| n <= 104_729) {
        let rows = mixed_rows(&mut rng, n);
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        for enc in Encoding::ALL {
            assert_eq!(counts(engine, &refs, enc), counts(cpu, &refs, enc), "{enc}, {n} rows");
        }
    }
}

fn long_rows(engine: &Engine) {
    // Rows of 10^5 code points: a run of one character (one piece, merged through the heap), a run of one
    // pattern (many pieces), and random text (many passes of the split).
    let mut rng = Rng::new(100);
    let rows = ["a".repeat(100_000), "ab ".repeat(33_334), random_text(&mut rng, 100_000), " ".repeat(100_000)];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    for enc in Encoding::ALL {
        let want: Vec<u32> = rows.iter().map(|s| tiktoken(enc).encode_ordinary(s).len() as u32).collect();
        assert_eq!(counts(engine, &refs, enc), want, "{enc}");
    }
}

fn nulls_types_and_errors(engine: &Engine) {
    let rows = vec![Some("Hello, world!"), None, Some(""), Some("<|endoftext|>"), None];
    let want = UInt32Array::from(vec![Some(4), None, Some(0), Some(7), None]);
    let enc = Encoding::O200kBase;
    assert_eq!(token_counts(engine, &StringArray::from(rows.clone()), enc).unwrap(), want);
    assert_eq!(token_counts(engine, &LargeStringArray::from(rows.clone()), enc).unwrap(), want);
    assert_eq!(token_counts(engine, &StringViewArray::from(rows.clone()), enc).unwrap(), want);
    // A slice, and null rows that hold bytes.
    let sliced = StringArray::from(rows.clone()).slice(1, 3);
    assert_eq!(token_counts(engine, &sliced, enc).unwrap(), UInt32Array::from(vec![None, Some(0), Some(7)]));
    let dirty = StringArray::new(
        arrow_buffer::OffsetBuffer::new(vec![0i32, 5, 10].into()),
        "abcdeHello".as_bytes().to_vec().into(),
        Some(vec![false, true].into()),
    );
    assert_eq!(token_counts(engine, &dirty, enc).unwrap(), UInt32Array::from(vec![None, Some(1)]));
    assert_eq!(token_counts(engine, &StringArray::from(Vec::<&str>::new()), enc).unwrap().len(), 0);
    // Bytes that are not UTF-8 (an array built without checks) give some count, and no panic.
    let bad: &[u8] = b"ok\xff\xfe\xf8\x80 \xe6\x97 x\xf0\x9f\x98";
    let offsets: Vec<i32> = vec![0, 2, 6, 11, bad.len() as i32];
    // SAFETY: only this function reads the array, and it must not rely on the bytes being UTF-8.
    let invalid = unsafe {
        StringArray::new_unchecked(arrow_buffer::OffsetBuffer::new(offsets.into()), bad.to_vec().into(), None)
    };
    for enc in Encoding::ALL {
        assert_eq!(token_counts(engine, &invalid, enc).unwrap().len(), 4);
    }
    let err = token_counts(engine, &UInt32Array::from(vec![1]), enc).unwrap_err().to_string();
    assert!(err.contains("Utf8"), "{err}");
}

#[test]
fn encodings_parse_by_name() {
    assert_eq!("o200k_base".parse::<Encoding>().unwrap(), Encoding::O200kBase);
    assert_eq!(" CL100K_BASE ".parse::<Encoding>().unwrap(), Encoding::Cl100kBase);
    assert_eq!(Encoding::Cl100kBase.to_string(), "cl100k_base");
    let err = "gpt2".parse::<Encoding>().unwrap_err().to_string();
    assert!(err.contains("gpt2") && err.contains("o200k_base") && err.contains("cl100k_base"), "{err}");
}

on_every_backend!(
    equal_tiktoken_py,
    equal_tiktoken_rs_on_random_text,
    equal_tiktoken_rs_on_random_tokens,
    crate_vectors,
    gpu_equals_cpu_on_awkward_sizes,
    long_rows,
    nulls_types_and_errors,
);

//! Shared by the benches: the engines and the seeded data.
#![allow(dead_code)]

/// Input sizes benched.
pub const SIZES: [usize; 3] = [1 << 16, 1 << 20, 1 << 22];

/// The CPU engine, and the GPU engine with its label ("gpu" or "gpu-software") unless
/// STREAMLINER_SKIP_GPU=1 or no adapter exists.
pub fn engines() -> (streamliner::Engine, Option<(String, streamliner::Engine)>) {
    let cpu = streamliner::Engine::new(streamliner::Backend::Cpu).expect("CPU engine");
    if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
        eprintln!("STREAMLINER_SKIP_GPU=1: benching the CPU only");
        return (cpu, None);
    }
    match streamliner::Engine::new(streamliner::Backend::Gpu) {
        Ok(gpu) => {
            eprintln!("GPU engine: {}", gpu.info());
            let software = gpu.adapter().is_some_and(|a| a.software);
            (cpu, Some((if software { "gpu-software" } else { "gpu" }.to_string(), gpu)))
        }
        Err(e) => {
            eprintln!("no GPU engine ({e}): benching the CPU only");
            (cpu, None)
        }
    }
}

/// SplitMix64 values, fixed seed.
pub fn u64s(n: usize, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// u32 values below 2^24, fixed seed.
pub fn values(n: usize) -> Vec<u32> {
    u64s(n, 7).into_iter().map(|x| (x >> 40) as u32).collect()
}

/// Texts, authors, timestamps and author pseudonyms of `n` messages.
pub type Messages = (
    arrow_array::StringArray,
    arrow_array::StringArray,
    arrow_array::TimestampMicrosecondArray,
    arrow_array::StringArray,
);

/// Message texts (words, emoji, links), author names with stray whitespace, and local timestamps.
pub fn messages(n: usize) -> Messages {
    const WORDS: [&str; 10] =
        ["the", "café", "😀", "https://example.org/p?id=7", "plan", "日本", "review", "<http://a.b/c>", "ok", "€20"];
    const NAMES: [&str; 6] = ["Alice", " Bob", "José\t", "Zoë", "李雷", "Ana María"];
    let r = u64s(3 * n, 9);
    let texts: Vec<String> = (0..n)
        .map(|i| {
            let k = 1 + r[3 * i] % 12;
            (0..k).map(|j| WORDS[((r[3 * i] >> (4 * j)) % WORDS.len() as u64) as usize]).collect::<Vec<_>>().join(" ")
        })
        .collect();
    let authors: Vec<&str> = (0..n).map(|i| NAMES[(r[3 * i + 1] % NAMES.len() as u64) as usize]).collect();
    let mut t = 1_700_000_000_000_000i64;
    let ts: Vec<i64> = (0..n)
        .map(|i| {
            t += (r[3 * i + 2] % 600_000_000) as i64;
            t
        })
        .collect();
    let pseudonyms: Vec<String> = authors
        .iter()
        .map(|a| {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("whatsapp:{}", a.trim()).as_bytes()).to_string()
        })
        .collect();
    (texts.into(), authors.into(), ts.into(), pseudonyms.into())
}

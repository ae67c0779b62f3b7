//! The vocabularies of OpenAI's `o200k_base` and `cl100k_base` byte-pair encodings as the token counters
//! read them (on the CPU and, uploaded once, on a GPU), and the Unicode classes of their split patterns.
//!
//! - The ranks come from the official `.tiktoken` files that `tiktoken-rs` ships inside its crate, read once
//!   per process; nothing is fetched at run time.
//! - Merges look up pairs of tokens, never bytes: every part of a piece is a token at every step of
//!   byte-pair encoding, so "the rank of the bytes of parts `a` and `b` together" (what tiktoken looks up)
//!   is "the rank of the pair `(a, b)`" in a table holding every pair of tokens whose bytes, joined, are a
//!   token. The table is open-addressed (3 `u32` a slot: left, right, merged) so that the GPU reads the
//!   same one.
//! - The classes are read from the regex crate's Unicode tables (`regex-syntax`), which the reference
//!   implementations (tiktoken's `fancy-regex`) match with: a two-level table from code point to class.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::str::FromStr;
use std::sync::OnceLock;

use regex_syntax::hir::{Class, HirKind};
use rustc_hash::FxHasher;

use crate::error::{Error, Result};

/// An OpenAI byte-pair encoding whose tokens the counters count (more may come: match with a wildcard).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// `o200k_base`: GPT-4o, GPT-4.1, GPT-5 and the `o` series.
    O200kBase,
    /// `cl100k_base`: GPT-4, GPT-3.5-turbo and the `text-embedding-3` models.
    Cl100kBase,
}

impl Encoding {
    /// Every encoding, in a fixed order.
    pub const ALL: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

    /// Its name as tiktoken spells it (`"o200k_base"`, `"cl100k_base"`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Encoding::O200kBase => 0,
            Encoding::Cl100kBase => 1,
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = Error;

    /// `"o200k_base"` or `"cl100k_base"` (surrounding spaces and case ignored).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "o200k_base" => Ok(Encoding::O200kBase),
            "cl100k_base" => Ok(Encoding::Cl100kBase),
            _ => Err(Error::invalid("encoding", s, "expected \"o200k_base\" or \"cl100k_base\"")),
        }
    }
}

/// The class of a code point in the split patterns (`CLASS_*` of `shaders/shared/constants.wgsl`).
pub(crate) mod class {
    use crate::gpu::pipelines::table::consts;
    pub const OTHER: u8 = consts::CLASS_OTHER as u8;
    /// `\p{Lu}`, `\p{Lt}`.
    pub const UPPER: u8 = consts::CLASS_UPPER as u8;
    /// `\p{Ll}`.
    pub const LOWER: u8 = consts::CLASS_LOWER as u8;
    /// `\p{Lm}`, `\p{Lo}`.
    pub const LETTER: u8 = consts::CLASS_LETTER as u8;
    /// `\p{M}`.
    pub const MARK: u8 = consts::CLASS_MARK as u8;
    /// `\p{N}`.
    pub const NUMBER: u8 = consts::CLASS_NUMBER as u8;
    /// `\s` but `\r` and `\n`.
    pub const SPACE: u8 = consts::CLASS_SPACE as u8;
    /// `\r`, `\n`.
    pub const NEWLINE: u8 = consts::CLASS_NEWLINE as u8;
}

/// Code point -> class, in blocks of 256 code points: `index[cp >> 8]` names the block, shared by every
/// run of 256 code points with the same classes.
pub(crate) struct Classes {
    pub index: Vec<u16>,
    pub blocks: Vec<u8>,
}

/// The code point ranges of a regex class such as `\p{Lu}`, from the regex crate's tables.
fn ranges(pattern: &str) -> Result<Vec<(u32, u32)>> {
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|e| Error::invalid("Unicode class", pattern, e.to_string()))?;
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            Ok(c.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect())
        }
        _ => Err(Error::invalid("Unicode class", pattern, "is not a class of code points")),
    }
}

impl Classes {
    fn build() -> Result<Self> {
        use class::*;
        let mut of = vec![OTHER; 0x11_0000];
        // General categories are disjoint, and White_Space holds no letter, mark or number.
        for (pattern, k) in [
            (r"[\p{Lu}\p{Lt}]", UPPER),
            (r"\p{Ll}", LOWER),
            (r"[\p{Lm}\p{Lo}]", LETTER),
            (r"\p{M}", MARK),
            (r"\p{N}", NUMBER),
            (r"\s", SPACE),
        ] {
            for (a, b) in ranges(pattern)? {
                of[a as usize..=b as usize].fill(k);
            }
        }
        of[usize::from(b'\r')] = NEWLINE;
        of[usize::from(b'\n')] = NEWLINE;
        let mut index = Vec::with_capacity(of.len() / 256);
        let mut blocks: Vec<u8> = Vec::new();
        let mut seen: HashMap<&[u8], u16> = HashMap::new();
        for block in of.chunks(256) {
            let next = (blocks.len() / 256) as u16;
            let id = *seen.entry(block).or_insert_with(|| {
                blocks.extend_from_slice(block);
                next
            });
            index.push(id);
        }
        Ok(Classes { index, blocks })
    }

    /// The class of code point `cp` (at most U+10FFFF).
    #[inline]
    pub fn of(&self, cp: u32) -> u8 {
        self.blocks[(usize::from(self.index[(cp >> 8) as usize]) << 8) | (cp & 0xff) as usize]
    }

    /// The table as the shader reads it: `index.len()` words of block numbers, then each block's 256
    /// classes at 4 bits each (8 a word).
    pub fn words(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.index.iter().map(|&b| u32::from(b)).collect();
        out.extend(
            self.blocks.chunks(8).map(|c| c.iter().enumerate().fold(0u32, |w, (i, &k)| w | u32::from(k) << (4 * i))),
        );
        out
    }
}

/// The classes, built on first use.
pub(crate) fn classes() -> Result<&'static Classes> {
    static CLASSES: OnceLock<std::result::Result<Classes, String>> = OnceLock::new();
    CLASSES
        .get_or_init(|| Classes::build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::invalid("Unicode classes", "regex-syntax", e.clone()))
}

/// An empty slot of the pair table, and "no merge".
pub(crate) const NONE: u32 = u32::MAX;

/// The slot where the probe for pair `(a, b)` starts, before masking (the shader computes the same).
#[inline]
pub(crate) fn pair_hash(a: u32, b: u32) -> u32 {
    let mut h = a.wrapping_mul(0x9E37_79B1) ^ b;
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h = h.wrapping_mul(0x297A_2D39);
    h ^ (h >> 15)
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// One encoding's tables.
pub(crate) struct Vocab {
    pub encoding: Encoding,
    /// The token of each byte.
    pub byte_rank: [u32; 256],
    /// `(left, right, merged)` a slot, `left == NONE` when empty; `pair_mask + 1` slots.
    pub pairs: Vec<u32>,
    pub pair_mask: u32,
    /// The most slots a lookup reads (the longest probe sequence of the table).
    pub pair_probes: u32,
    /// Every token's bytes -> its rank (the CPU's test for a piece that is one token).
    tokens: FxMap<Vec<u8>, u32>,
}

impl Vocab {
    fn build(encoding: Encoding) -> Result<Self> {
        let core = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
        }
        .map_err(|e| Error::invalid("encoding", encoding, format!("tiktoken-rs could not load it: {e}")))?;
        let specials = core.special_tokens();
        // Mergeable ranks run from 0 without gaps; the special tokens come after them.
        let mut tokens: FxMap<Vec<u8>, u32> = FxMap::default();
        let mut rank = 0u32;
        while let Ok(bytes) = core.decode_bytes(&[rank]) {
            if std::str::from_utf8(&bytes).is_ok_and(|s| specials.contains(s)) {
                break;
            }
            tokens.insert(bytes, rank);
            rank += 1;
        }
        let mut byte_rank = [0u32; 256];
        for (b, r) in byte_rank.iter_mut().enumerate() {
            *r = *tokens.get(&[b as u8][..]).ok_or_else(|| {
                Error::invalid("encoding", encoding, format!("byte {b:#04x} has no token in the vocabulary"))
            })?;
        }
        let mut entries = Vec::new();
        for (bytes, &merged) in &tokens {
            for k in 1..bytes.len() {
                if let (Some(&a), Some(&b)) = (tokens.get(&bytes[..k]), tokens.get(&bytes[k..])) {
                    entries.push((a, b, merged));
                }
            }
        }
        // Deterministic slots whatever the map's order: insert in key order.
        entries.sort_unstable();
        let slots = (entries.len() * 2).next_power_of_two().max(16);
        let pair_mask = (slots - 1) as u32;
        let mut pairs = vec![NONE; slots * 3];
        let mut pair_probes = 1u32;
        for &(a, b, merged) in &entries {
            let mut s = pair_hash(a, b) & pair_mask;
            let mut probes = 1;
            while pairs[3 * s as usize] != NONE {
                s = (s + 1) & pair_mask;
                probes += 1;
            }
            pairs[3 * s as usize..3 * s as usize + 3].copy_from_slice(&[a, b, merged]);
            pair_probes = pair_probes.max(probes);
        }
        Ok(Vocab { encoding, byte_rank, pairs, pair_mask, pair_probes, tokens })
    }

    /// The token of the bytes of tokens `a` and `b` together, or [`NONE`].
    #[inline]
    pub fn pair(&self, a: u32, b: u32) -> u32 {
        let mut s = pair_hash(a, b) & self.pair_mask;
        loop {
            let slot = &self.pairs[3 * s as usize..3 * s as usize + 3];
            if slot[0] == a && slot[1] == b {
                return slot[2];
            }
            if slot[0] == NONE {
                return NONE;
            }
            s = (s + 1) & self.pair_mask;
        }
    }

    /// The rank of the token whose bytes are `bytes`, if there is one.
    #[inline]
    pub fn token(&self, bytes: &[u8]) -> Option<u32> {
        self.tokens.get(bytes).copied()
    }

    /// Every token's bytes and rank, in no order.
    #[cfg(test)]
    pub fn tokens(&self) -> impl Iterator<Item = (&[u8], u32)> {
        self.tokens.iter().map(|(b, &r)| (b.as_slice(), r))
    }
}

/// The tables of `encoding`, read on first use (a few hundred milliseconds) and kept for the process.
pub(crate) fn vocab(encoding: Encoding) -> Result<&'static Vocab> {
    static VOCABS: [OnceLock<std::result::Result<Vocab, String>>; 2] = [OnceLock::new(), OnceLock::new()];
    VOCABS[encoding.index()]
        .get_or_init(|| Vocab::build(encoding).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::invalid("encoding", encoding, e.clone()))
}

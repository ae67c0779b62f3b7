//! Shared by the integration tests: the engines each test body runs on, and a seeded generator.
//!
//! GPU tests never skip silently: without an adapter they fail, unless `STREAMLINER_SKIP_GPU=1`, and
//! then each says that it skipped. The adapter is named once per test binary on stderr.
#![allow(dead_code)]

use std::io::Write;
use std::sync::OnceLock;

use streamliner::{Backend, Engine};

pub mod histories;

/// Bytes per storage binding for the chunked GPU engine: segments of 8192 elements.
pub const SMALL_BINDING: u64 = 64 * 1024;
/// Elements per segment of the chunked GPU engine.
pub const SMALL_SEGMENT: usize = 8192;

/// Elements of a u32 tile and of a u64 tile.
pub const TILE: usize = 4096;
pub const WIDE_TILE: usize = 2048;

pub fn cpu() -> &'static Engine {
    static CPU: OnceLock<Engine> = OnceLock::new();
    CPU.get_or_init(|| Engine::new(Backend::Cpu).expect("the CPU engine always builds"))
}

fn skip_gpu() -> bool {
    std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1")
}

/// Writes to the real stderr, past the test harness's capture.
fn announce(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

fn build_gpu(builder: streamliner::EngineBuilder, what: &str) -> Option<Engine> {
    if skip_gpu() {
        announce(&format!("STREAMLINER_SKIP_GPU=1: skipping the {what} tests"));
        return None;
    }
    match builder.backend(Backend::Gpu).build() {
        Ok(e) => {
            announce(&format!("{what} tests run on {}", e.info()));
            Some(e)
        }
        Err(e) => panic!(
            "the GPU tests need a GPU adapter (here, lavapipe: apt-get install mesa-vulkan-drivers libvulkan1), \
             or STREAMLINER_SKIP_GPU=1 to skip them: {e}"
        ),
    }
}

/// The GPU engine (lavapipe on a machine without a GPU), or None when STREAMLINER_SKIP_GPU=1.
pub fn gpu() -> Option<&'static Engine> {
    static GPU: OnceLock<Option<Engine>> = OnceLock::new();
    GPU.get_or_init(|| build_gpu(Engine::builder(), "GPU")).as_ref()
}

/// A GPU engine whose storage bindings are capped at 64 KiB, so arrays of more than 8192 elements
/// take the segmented (chunked) paths.
pub fn gpu_chunked() -> Option<&'static Engine> {
    static GPU: OnceLock<Option<Engine>> = OnceLock::new();
    GPU.get_or_init(|| build_gpu(Engine::builder().max_binding_bytes(SMALL_BINDING), "chunked GPU")).as_ref()
}

/// Stamps out each named test body (a `fn(&Engine)`) on the CPU, the GPU and the chunked GPU engine.
#[macro_export]
#[allow(clippy::crate_in_macro_def)] // `crate` is the test binary that includes this module
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod cpu {
            $( #[test] fn $name() { super::$name(crate::common::cpu()); } )*
        }
        mod gpu {
            $( #[test] fn $name() { if let Some(e) = crate::common::gpu() { super::$name(e); } } )*
        }
        mod gpu_chunked {
            $( #[test] fn $name() { if let Some(e) = crate::common::gpu_chunked() { super::$name(e); } } )*
        }
    };
}

/// SplitMix64: a small seeded generator, so every run sees the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn u32s(&mut self, n: usize) -> Vec<u32> {
        (0..n).map(|_| self.next_u32()).collect()
    }
}

/// Sizes around the tile and segment boundaries, primes, and a few larger ones.
pub fn awkward_sizes() -> Vec<usize> {
    let mut v = vec![0, 1, 2, 3, 4, 5, 7, 255, 256, 257, 1023, 1024, 1025];
    for b in [WIDE_TILE, TILE, 2 * TILE, SMALL_SEGMENT, 2 * SMALL_SEGMENT, 3 * SMALL_SEGMENT] {
        v.extend([b - 1, b, b + 1]);
    }
    v.extend([7919, 104_729, 1_000_003]);
    v
}

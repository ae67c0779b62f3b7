//! Shared by the examples (included with `#[path]`; not an example itself).
#![allow(dead_code)]

use streamliner::{Backend, Engine};

/// Mesa's device-select Vulkan layer prints a harmless XDG_RUNTIME_DIR warning where there is no display
/// session; wgpu picks the adapter itself, so the layer is switched off unless the user set it. Call
/// first thing in `main`.
pub fn quiet_mesa() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called at the start of main, before any other thread exists to read the environment.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}

/// The engine for `--backend` when given, else `STREAMLINER_BACKEND`, else auto.
pub fn engine(backend: Option<Backend>) -> streamliner::Result<Engine> {
    match backend {
        Some(b) => Engine::new(b),
        None => Engine::from_env(),
    }
}

/// "cpu" or "gpu (adapter name)".
pub fn backend_label(engine: &Engine) -> String {
    match engine.adapter() {
        Some(a) => format!("gpu ({})", a.name),
        None => "cpu".to_string(),
    }
}

/// SplitMix64, so every run sees the same data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Freed memory is kept for reuse (see Cargo.toml): streaming allocates and frees a batch's buffers per
/// batch, and glibc's allocator returns large ones to the kernel each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`'s number in mimalloc's option enum (the same in mimalloc 2 and 3, which keep the
/// numbers of their options stable), and that option's default, in milliseconds.
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;
const MI_DEFAULT_PURGE_DELAY: std::os::raw::c_long = 10;

unsafe extern "C" {
    fn mi_option_get(option: std::os::raw::c_int) -> std::os::raw::c_long;
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// Keeps freed memory in the allocator for reuse instead of returning it to the kernel. A long run allocates
/// and frees each batch's buffers; memory returned is zeroed by the kernel again when it comes back, which
/// was a fifth of `prepare`'s time. The process then holds its peak memory until it ends, which a run that
/// reads batch after batch reaches anyway. Nothing is changed when the option is not where it is expected
/// (another mimalloc).
pub fn keep_freed_memory() {
    // SAFETY: both are plain C functions of the linked mimalloc that read or set an option's value; an
    // option number it does not know is ignored by it, and the default check keeps us off another option.
    unsafe {
        if mi_option_get(MI_OPTION_PURGE_DELAY) == MI_DEFAULT_PURGE_DELAY {
            mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

/// A line on stdout; when its reader has gone away (`| head`, a closed terminal) the program stops quietly
/// with status 0 instead of panicking as `println!` does.
pub fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// A line on stderr; a closed stderr is ignored (`eprintln!` would panic), the program goes on.
pub fn err_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// `println!` that exits quietly when stdout is closed (see [`out_line`]).
#[allow(unused_macros)]
macro_rules! outln {
    () => { $crate::common::out_line(format_args!("")) };
    ($($t:tt)*) => { $crate::common::out_line(format_args!($($t)*)) };
}

/// `eprintln!` that ignores a closed stderr (see [`err_line`]).
#[allow(unused_macros)]
macro_rules! errln {
    () => { $crate::common::err_line(format_args!("")) };
    ($($t:tt)*) => { $crate::common::err_line(format_args!($($t)*)) };
}

#[allow(unused_imports)]
pub(crate) use {errln, outln};

//! CPU twin of `shaders/sha256.wgsl`, on the `sha2` crate (which uses the CPU's SHA extensions where it
//! has them): the digest of `prefix ++ body ++ suffix`, fed in pieces, never joined.

use sha2::{Digest, Sha256};

/// SHA-256 of `prefix ++ body ++ suffix`.
pub(crate) fn digest(prefix: &[u8], body: &[u8], suffix: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prefix);
    h.update(body);
    h.update(suffix);
    h.finalize().into()
}

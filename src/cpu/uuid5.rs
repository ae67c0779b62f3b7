//! CPU twin of `shaders/uuid5.wgsl`, on the `uuid` crate.

use uuid::Uuid;

use crate::pystr::py_strip;

/// The version-5 UUID of `prefix ++ strip(name)` in `namespace`, as 36 lowercase hyphenated characters.
pub(crate) fn uuid5(namespace: &Uuid, prefix: &str, name: &str) -> [u8; 36] {
    let full = [prefix.as_bytes(), py_strip(name).as_bytes()].concat();
    let mut out = [0u8; 36];
    Uuid::new_v5(namespace, &full).hyphenated().encode_lower(&mut out);
    out
}

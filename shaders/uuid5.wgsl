// Name-based UUIDs (version 5, SHA-1) of a string column, one row per invocation:
//   name = prefix ++ strip(row)           (strip as Python's str.strip())
//   uuid = SHA-1(namespace ++ name)[0..16] with the version (5) and variant (10xx) bits set,
// written as 36 characters of lowercase hyphenated hex. Long rows never mean long loops: strip and
// SHA-1 run in passes of bounded work, the state of each row kept in `state` between passes.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/text.wgsl"

// Per row: [a, b) the stripped name, flags (bit 0: left end found, bit 1: right end found), the next
// SHA-1 block, and the hash state h0..h4.
struct RowState {
    a: u32,
    b: u32,
    flags: u32,
    block: u32,
    h: array<u32, 5>,
}

struct Uuid5Params {
    n: u32,
    // Characters one strip pass may examine per row; SHA-1 blocks one hash pass may process per row.
    budget: u32,
    // 1 on the first pass of a stage (initialise the row state).
    first: u32,
    // Bytes of namespace ++ prefix, held in `head`.
    head_len: u32,
}

@group(0) @binding(2) var<uniform> params: Uuid5Params;
@group(0) @binding(3) var<storage, read_write> state: array<RowState>;
@group(0) @binding(4) var<storage, read> head: array<u32>;
@group(0) @binding(5) var<storage, read_write> pending: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> hex: array<u32>;

fn row_index(wid: vec3<u32>, lid: u32) -> u32 {
    return linear_group(wid) * ITEM_WG + lid;
}

// Strip pass: moves a right past whitespace and b left past whitespace, at most `budget` characters
// in all; rows not finished bump `pending`.
@compute @workgroup_size(ITEM_WG)
fn strip(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= params.n) {
        return;
    }
    var s = state[r];
    if (params.first != 0u) {
        s.a = text_offsets[r];
        s.b = text_offsets[r + 1u];
        s.flags = 0u;
    }
    var steps = 0u;
    while ((s.flags & 1u) == 0u && steps < params.budget) {
        if (s.a >= s.b) {
            s.flags = 3u;
            break;
        }
        let c = decode_at(s.a);
        if (!py_space(c.x)) {
            s.flags |= 1u;
            break;
        }
        s.a += c.y;
        steps += 1u;
    }
    while ((s.flags & 2u) == 0u && steps < params.budget) {
        if (s.b <= s.a) {
            s.flags = 3u;
            break;
        }
        let start = char_start_before(s.b, s.a);
        if (!py_space(decode_at(start).x)) {
            s.flags |= 2u;
            break;
        }
        s.b = start;
        steps += 1u;
    }
    if (s.flags != 3u) {
        atomicAdd(&pending[0], 1u);
    }
    state[r] = s;
}

// Byte i of the hashed message of a row: head, then the stripped name, then SHA-1 padding.
fn message_byte(s: RowState, i: u32, len: u32, blocks: u32) -> u32 {
    if (i < params.head_len) {
        return (head[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
    }
    if (i < len) {
        return text_byte(s.a + i - params.head_len);
    }
    if (i == len) {
        return 0x80u;
    }
    let total = blocks * 64u;
    if (i >= total - 8u) {
        // The message length in bits, big-endian, as 64 bits.
        let k = total - 1u - i;
        let lo = len << 3u;
        let hi = len >> 29u;
        if (k < 4u) {
            return (lo >> (8u * k)) & 0xffu;
        }
        return (hi >> (8u * (k - 4u))) & 0xffu;
    }
    return 0u;
}

fn rotl(x: u32, n: u32) -> u32 {
    return (x << n) | (x >> (32u - n));
}

// Hash pass: processes up to `budget` 64-byte blocks of each row's message.
@compute @workgroup_size(ITEM_WG)
fn sha1(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= params.n) {
        return;
    }
    var s = state[r];
    if (params.first != 0u) {
        s.block = 0u;
        s.h = array<u32, 5>(0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u);
    }
    let len = params.head_len + (s.b - s.a);
    let blocks = (len + 8u) / 64u + 1u;
    var w: array<u32, 80>;
    var done = 0u;
    while (s.block < blocks && done < params.budget) {
        let base = s.block * 64u;
        for (var t = 0u; t < 16u; t++) {
            let i = base + 4u * t;
            w[t] = (message_byte(s, i, len, blocks) << 24u) | (message_byte(s, i + 1u, len, blocks) << 16u)
                | (message_byte(s, i + 2u, len, blocks) << 8u) | message_byte(s, i + 3u, len, blocks);
        }
        for (var t = 16u; t < 80u; t++) {
            w[t] = rotl(w[t - 3u] ^ w[t - 8u] ^ w[t - 14u] ^ w[t - 16u], 1u);
        }
        var a = s.h[0];
        var b = s.h[1];
        var c = s.h[2];
        var d = s.h[3];
        var e = s.h[4];
        for (var t = 0u; t < 80u; t++) {
            var f: u32;
            var k: u32;
            if (t < 20u) {
                f = (b & c) | (~b & d);
                k = 0x5a827999u;
            } else if (t < 40u) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1u;
            } else if (t < 60u) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8f1bbcdcu;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6u;
            }
            let tmp = rotl(a, 5u) + f + e + k + w[t];
            e = d;
            d = c;
            c = rotl(b, 30u);
            b = a;
            a = tmp;
        }
        s.h[0] += a;
        s.h[1] += b;
        s.h[2] += c;
        s.h[3] += d;
        s.h[4] += e;
        s.block += 1u;
        done += 1u;
    }
    state[r] = s;
}

fn hex_digit(v: u32) -> u32 {
    return select(0x57u + v, 0x30u + v, v < 10u); // '0'..'9', 'a'..'f'
}

// Byte k (0..16) of the UUID: the digest's first 16 bytes with version 5 and variant 10xx.
fn uuid_byte(s: RowState, k: u32) -> u32 {
    var v = (s.h[k / 4u] >> (24u - 8u * (k % 4u))) & 0xffu;
    if (k == 6u) {
        v = (v & 0x0fu) | 0x50u;
    }
    if (k == 8u) {
        v = (v & 0x3fu) | 0x80u;
    }
    return v;
}

// Formats the UUID of each row as 36 characters in 9 words: 8-4-4-4-12 hex digits.
@compute @workgroup_size(ITEM_WG)
fn format_uuid(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= params.n) {
        return;
    }
    let s = state[r];
    var chars: array<u32, 36>;
    var j = 0u;
    for (var k = 0u; k < 16u; k++) {
        if (k == 4u || k == 6u || k == 8u || k == 10u) {
            chars[j] = 0x2du; // '-'
            j += 1u;
        }
        let v = uuid_byte(s, k);
        chars[j] = hex_digit(v >> 4u);
        chars[j + 1u] = hex_digit(v & 0xfu);
        j += 2u;
    }
    for (var q = 0u; q < 9u; q++) {
        hex[r * 9u + q] = chars[4u * q] | (chars[4u * q + 1u] << 8u) | (chars[4u * q + 2u] << 16u) | (chars[4u * q + 3u] << 24u);
    }
}

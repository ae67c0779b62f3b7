// SHA-256 of framed byte ranges, one message per invocation:
//   message r = frame[0 .. prefix_len) ++ data[range_r.x .. range_r.y) ++ frame[prefix_len .. + suffix_len)
// so that many texts cut from one buffer (a rendered history's windows) are hashed without ever being
// copied whole. Long messages never mean long loops: a pass processes at most `budget` 64-byte blocks
// of each message and keeps its state in `state` for the next pass (llvmpipe stops an invocation
// after about 65,535 loop iterations and returns wrong data).
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"

struct HashState {
    // The next block of the message to process.
    block: u32,
    h: array<u32, 8>,
}

struct Sha256Params {
    n: u32,
    // Blocks one pass processes per message.
    budget: u32,
    // 1 on the first pass (initialise the state).
    first: u32,
    prefix_len: u32,
    suffix_len: u32,
}

// The bytes the ranges point into, as little-endian words (byte k is bits 8(k%4).. of word k/4), with
// at least one word past the last byte.
@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> ranges: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> params: Sha256Params;
// The prefix's bytes, then the suffix's, as little-endian words.
@group(0) @binding(3) var<storage, read> frame: array<u32>;
@group(0) @binding(4) var<storage, read_write> state: array<HashState>;

const K = array<u32, 64>(
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
);

fn data_byte(i: u32) -> u32 {
    return (data[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

fn frame_byte(i: u32) -> u32 {
    return (frame[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// The four data bytes at x (any alignment) as a little-endian word.
fn data_word(x: u32) -> u32 {
    let k = x >> 2u;
    let s = (x & 3u) * 8u;
    var v = data[k];
    if (s != 0u) {
        // Bytes x..x+3 lie in the data, so word k + 1 exists.
        v = (v >> s) | (data[k + 1u] << (32u - s));
    }
    return v;
}

fn bswap(v: u32) -> u32 {
    return (v << 24u) | ((v & 0xff00u) << 8u) | ((v >> 8u) & 0xff00u) | (v >> 24u);
}

// Byte i of message `m` (data from `a`, `len` bytes long, `blocks` blocks once padded): the prefix,
// the data, the suffix, then SHA-256 padding (0x80, zeros, the length in bits as 64 big-endian bits).
fn message_byte(a: u32, i: u32, len: u32, blocks: u32) -> u32 {
    let p = params.prefix_len;
    let body_end = len - params.suffix_len;
    if (i < p) {
        return frame_byte(i);
    }
    if (i < body_end) {
        return data_byte(a + (i - p));
    }
    if (i < len) {
        return frame_byte(p + (i - body_end));
    }
    if (i == len) {
        return 0x80u;
    }
    let total = blocks * 64u;
    if (i >= total - 8u) {
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

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

@compute @workgroup_size(ITEM_WG)
fn sha256(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = linear_group(wid) * ITEM_WG + lid;
    if (r >= params.n) {
        return;
    }
    var s = state[r];
    if (params.first != 0u) {
        s.block = 0u;
        s.h = array<u32, 8>(0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu,
            0x1f83d9abu, 0x5be0cd19u);
    }
    let range = ranges[r];
    let a = range.x;
    let len = params.prefix_len + (range.y - range.x) + params.suffix_len;
    let blocks = (len + 8u) / 64u + 1u;
    let body_start = params.prefix_len;
    let body_end = len - params.suffix_len;
    var w: array<u32, 16>;
    var done = 0u;
    while (s.block < blocks && done < params.budget) {
        let base = s.block * 64u;
        if (base >= body_start && base + 64u <= body_end) {
            // The whole block is data: 16 word loads.
            let x = a + (base - body_start);
            for (var t = 0u; t < 16u; t++) {
                w[t] = bswap(data_word(x + 4u * t));
            }
        } else {
            for (var t = 0u; t < 16u; t++) {
                let i = base + 4u * t;
                w[t] = (message_byte(a, i, len, blocks) << 24u) | (message_byte(a, i + 1u, len, blocks) << 16u)
                    | (message_byte(a, i + 2u, len, blocks) << 8u) | message_byte(a, i + 3u, len, blocks);
            }
        }
        var v0 = s.h[0];
        var v1 = s.h[1];
        var v2 = s.h[2];
        var v3 = s.h[3];
        var v4 = s.h[4];
        var v5 = s.h[5];
        var v6 = s.h[6];
        var v7 = s.h[7];
        for (var t = 0u; t < 64u; t++) {
            // The message schedule in a ring of 16 words.
            var wt = w[t & 15u];
            if (t >= 16u) {
                let w15 = w[(t + 1u) & 15u];
                let w2 = w[(t + 14u) & 15u];
                let s0 = rotr(w15, 7u) ^ rotr(w15, 18u) ^ (w15 >> 3u);
                let s1 = rotr(w2, 17u) ^ rotr(w2, 19u) ^ (w2 >> 10u);
                wt = wt + s0 + w[(t + 9u) & 15u] + s1;
                w[t & 15u] = wt;
            }
            let e1 = rotr(v4, 6u) ^ rotr(v4, 11u) ^ rotr(v4, 25u);
            let ch = (v4 & v5) ^ (~v4 & v6);
            let t1 = v7 + e1 + ch + K[t] + wt;
            let e0 = rotr(v0, 2u) ^ rotr(v0, 13u) ^ rotr(v0, 22u);
            let maj = (v0 & v1) ^ (v0 & v2) ^ (v1 & v2);
            let t2 = e0 + maj;
            v7 = v6;
            v6 = v5;
            v5 = v4;
            v4 = v3 + t1;
            v3 = v2;
            v2 = v1;
            v1 = v0;
            v0 = t1 + t2;
        }
        s.h[0] += v0;
        s.h[1] += v1;
        s.h[2] += v2;
        s.h[3] += v3;
        s.h[4] += v4;
        s.h[5] += v5;
        s.h[6] += v6;
        s.h[7] += v7;
        s.block += 1u;
        done += 1u;
    }
    state[r] = s;
}

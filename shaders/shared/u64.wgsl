// Unsigned 64-bit integers as vec2<u32>(low, high): WGSL has no portable 64-bit integer.

fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

fn u64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let borrow = select(0u, 1u, a.x < b.x);
    return vec2<u32>(a.x - b.x, a.y - b.y - borrow);
}

fn u64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}

fn u64_min(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, u64_lt(b, a));
}

fn u64_max(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, u64_lt(a, b));
}

fn u64_from(x: u32) -> vec2<u32> {
    return vec2<u32>(x, 0u);
}

// x / d and x % d for 0 < d <= 65536, by 16-bit limbs (each partial stays below 2^32).
struct DivMod {
    q: vec2<u32>,
    r: u32,
}

fn u64_divmod_small(x: vec2<u32>, d: u32) -> DivMod {
    let limbs = array<u32, 4>(x.y >> 16u, x.y & 0xffffu, x.x >> 16u, x.x & 0xffffu);
    var q: array<u32, 4>;
    var r = 0u;
    for (var k = 0u; k < 4u; k++) {
        let cur = (r << 16u) | limbs[k];
        q[k] = cur / d;
        r = cur % d;
    }
    return DivMod(vec2<u32>((q[2] << 16u) | q[3], (q[0] << 16u) | q[1]), r);
}

// x * m (wrapping) for m < 65536, by 16-bit limbs.
fn u64_mul_small(x: vec2<u32>, m: u32) -> vec2<u32> {
    let limbs = array<u32, 4>(x.x & 0xffffu, x.x >> 16u, x.y & 0xffffu, x.y >> 16u);
    var out: array<u32, 4>;
    var carry = 0u;
    for (var k = 0u; k < 4u; k++) {
        let cur = limbs[k] * m + carry;
        out[k] = cur & 0xffffu;
        carry = cur >> 16u;
    }
    return vec2<u32>(out[0] | (out[1] << 16u), out[2] | (out[3] << 16u));
}

// The position of index `j` inside a segment of `len` elements that starts at index `start`, or
// 0xffffffff when `j` is not in [start, start + len).
fn index_in_segment(j: vec2<u32>, start: vec2<u32>, len: u32) -> u32 {
    let local = u64_sub(j, start);
    if (u64_lt(j, start) || local.y != 0u || local.x >= len) {
        return 0xffffffffu;
    }
    return local.x;
}

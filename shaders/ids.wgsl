// Message ids "{ms}_{row}" as a variable-length string column: a length pass, an inclusive scan of
// the lengths (scan.wgsl), and a write pass. ms is `delta` (timestamp units since the first
// message) in milliseconds, rounded half to even.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"

struct IdParams {
    n: u32,
    // 0: seconds, 1: milliseconds, 2: microseconds, 3: nanoseconds.
    unit: u32,
}

@group(0) @binding(0) var<uniform> params: IdParams;
@group(0) @binding(1) var<storage, read> delta: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> row: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> lens: array<u32>;
// Inclusive scan of lens: where each row's id ends.
@group(0) @binding(4) var<storage, read> ends: array<u32>;
@group(0) @binding(5) var<storage, read_write> bytes: array<atomic<u32>>;

fn is_zero(x: vec2<u32>) -> bool {
    return x.x == 0u && x.y == 0u;
}

fn round_up_if(q: vec2<u32>, up: bool) -> vec2<u32> {
    return select(q, u64_add(q, u64_from(1u)), up);
}

fn to_ms(x: vec2<u32>) -> vec2<u32> {
    switch params.unit {
        case 0u: {
            return u64_mul_small(x, 1000u);
        }
        case 1u: {
            return x;
        }
        case 2u: {
            let a = u64_divmod_small(x, 1000u);
            return round_up_if(a.q, a.r > 500u || (a.r == 500u && (a.q.x & 1u) == 1u));
        }
        default: {
            let a = u64_divmod_small(x, 1000u);
            let b = u64_divmod_small(a.q, 1000u);
            let tie = b.r == 500u && a.r == 0u;
            return round_up_if(b.q, b.r > 500u || (b.r == 500u && a.r > 0u) || (tie && (b.q.x & 1u) == 1u));
        }
    }
}

fn digits(x: vec2<u32>) -> u32 {
    var v = x;
    var n = 1u;
    for (var k = 0u; k < 20u; k++) {
        v = u64_divmod_small(v, 10u).q;
        if (is_zero(v)) {
            break;
        }
        n += 1u;
    }
    return n;
}

@compute @workgroup_size(ITEM_WG)
fn id_lengths(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n) {
        return;
    }
    lens[i] = digits(to_ms(delta[i])) + 1u + digits(row[i]);
}

fn put(pos: u32, b: u32) {
    atomicOr(&bytes[pos >> 2u], b << ((pos & 3u) * 8u));
}

// Writes the decimal digits of x ending just before `end`; returns where they start.
fn put_number(x: vec2<u32>, end: u32) -> u32 {
    var v = x;
    var p = end;
    for (var k = 0u; k < 20u; k++) {
        let d = u64_divmod_small(v, 10u);
        p -= 1u;
        put(p, 0x30u + d.r);
        v = d.q;
        if (is_zero(v)) {
            break;
        }
    }
    return p;
}

@compute @workgroup_size(ITEM_WG)
fn id_write(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n) {
        return;
    }
    let end = ends[i];
    let sep = put_number(row[i], end) - 1u;
    put(sep, 0x5fu); // '_'
    put_number(to_ms(delta[i]), sep);
}

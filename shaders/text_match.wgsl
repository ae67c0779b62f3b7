// Per-row matching over a chunk of a string column (see shared/text.wgsl), one row per invocation.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/text.wgsl"

fn row_index(wid: vec3<u32>, lid: u32) -> u32 {
    return linear_group(wid) * ITEM_WG + lid;
}

// ---- prefix_ci: flags[r] = 1 when row r starts with `pattern` (lowercase ASCII), ASCII case ignored.

struct PrefixParams {
    n: u32,
    len: u32,
}

@group(0) @binding(2) var<uniform> prefix_params: PrefixParams;
@group(0) @binding(3) var<storage, read> pattern: array<u32>;
@group(0) @binding(4) var<storage, read_write> flags: array<vec2<u32>>;

fn ascii_lower(b: u32) -> u32 {
    return select(b, b | 0x20u, b >= 0x41u && b <= 0x5au);
}

@compute @workgroup_size(ITEM_WG)
fn prefix_ci(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= prefix_params.n) {
        return;
    }
    let start = text_offsets[r];
    var hit = text_offsets[r + 1u] - start >= prefix_params.len;
    for (var k = 0u; k < prefix_params.len && hit; k++) {
        let want = (pattern[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu;
        hit = ascii_lower(text_byte(start + k)) == want;
    }
    flags[r] = vec2<u32>(select(0u, 1u, hit), 0u);
}

// ---- urls: every match of `https?://` followed by one or more bytes that are neither ASCII whitespace
// (space, \t, \n, \f, \r) nor one of < > " { } | \ ^ ` [ ]. Matches are leftmost and do not overlap, so
// within a run of allowed bytes the first `http://` or `https://` starts the only match, which runs to
// the end of the run (when at least one byte follows the prefix). A byte-level state machine walks each
// row in passes of at most `budget` steps; the first walk counts matches, the second writes their spans.

const NONE: u32 = 0xffffffffu;

struct UrlState {
    pos: u32,
    cand: u32,
    plen: u32,
    count: u32,
}

struct UrlParams {
    n: u32,
    budget: u32,
    first: u32,
    write: u32,
}

@group(0) @binding(5) var<uniform> url_params: UrlParams;
@group(0) @binding(6) var<storage, read_write> url_state: array<UrlState>;
@group(0) @binding(7) var<storage, read_write> url_counts: array<u32>;
@group(0) @binding(8) var<storage, read> url_starts: array<u32>;
@group(0) @binding(9) var<storage, read_write> url_spans: array<vec2<u32>>;

fn url_allowed(b: u32) -> bool {
    switch b {
        case 0x20u, 0x09u, 0x0au, 0x0cu, 0x0du, 0x3cu, 0x3eu, 0x22u, 0x7bu, 0x7du, 0x7cu, 0x5cu, 0x5eu, 0x60u, 0x5bu, 0x5du: {
            return false;
        }
        default: {
            return true;
        }
    }
}

// 8 when `https://` starts at p, 7 for `http://`, else 0 (within the row, which ends at `end`).
fn url_prefix(p: u32, end: u32) -> u32 {
    if (p + 7u > end || text_byte(p) != 0x68u || text_byte(p + 1u) != 0x74u || text_byte(p + 2u) != 0x74u || text_byte(p + 3u) != 0x70u) {
        return 0u;
    }
    var q = p + 4u;
    var len = 7u;
    if (text_byte(q) == 0x73u) {
        q += 1u;
        len = 8u;
        if (p + 8u > end) {
            return 0u;
        }
    }
    if (text_byte(q) == 0x3au && text_byte(q + 1u) == 0x2fu && text_byte(q + 2u) == 0x2fu) {
        return len;
    }
    return 0u;
}

@compute @workgroup_size(ITEM_WG)
fn urls(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= url_params.n) {
        return;
    }
    let end = text_offsets[r + 1u];
    var st = url_state[r];
    if (url_params.first != 0u) {
        st = UrlState(text_offsets[r], NONE, 0u, 0u);
    }
    var steps = 0u;
    // pos == end + 1 once the row's end has been handled.
    while (steps < url_params.budget && st.pos <= end) {
        steps += 1u;
        if (st.pos == end || !url_allowed(text_byte(st.pos))) {
            if (st.cand != NONE && st.pos > st.cand + st.plen) {
                if (url_params.write != 0u) {
                    url_spans[url_starts[r] + st.count] = vec2<u32>(st.cand, st.pos);
                }
                st.count += 1u;
            }
            st.cand = NONE;
            st.pos += 1u;
            continue;
        }
        if (st.cand == NONE) {
            let p = url_prefix(st.pos, end);
            if (p != 0u) {
                st.cand = st.pos;
                st.plen = p;
                st.pos += p;
                continue;
            }
        }
        st.pos += 1u;
    }
    if (url_params.write == 0u) {
        url_counts[r] = st.count;
    }
    url_state[r] = st;
}

// ---- in_uuid_set: flags[r] = 1 when row r is a UUID in canonical text (36 characters, hyphens at 8,
// 13, 18, 23, hex digits of either case) whose 16 bytes are in `keys` (sorted, as 4 big-endian words).

struct SetParams {
    n: u32,
    n_keys: u32,
}

@group(0) @binding(10) var<uniform> set_params: SetParams;
@group(0) @binding(11) var<storage, read> keys: array<vec4<u32>>;
@group(0) @binding(12) var<storage, read_write> members: array<vec2<u32>>;

fn hex_value(b: u32) -> u32 {
    if (b >= 0x30u && b <= 0x39u) {
        return b - 0x30u;
    }
    let l = b | 0x20u;
    if (l >= 0x61u && l <= 0x66u) {
        return l - 0x57u;
    }
    return 16u;
}

fn key_lt(a: vec4<u32>, b: vec4<u32>) -> bool {
    if (a.x != b.x) { return a.x < b.x; }
    if (a.y != b.y) { return a.y < b.y; }
    if (a.z != b.z) { return a.z < b.z; }
    return a.w < b.w;
}

@compute @workgroup_size(ITEM_WG)
fn in_uuid_set(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = row_index(wid, lid);
    if (r >= set_params.n) {
        return;
    }
    let start = text_offsets[r];
    var ok = text_offsets[r + 1u] - start == 36u;
    var key = vec4<u32>(0u);
    var nibble = 0u;
    for (var k = 0u; k < 36u && ok; k++) {
        let b = text_byte(start + k);
        if (k == 8u || k == 13u || k == 18u || k == 23u) {
            ok = b == 0x2du;
            continue;
        }
        let v = hex_value(b);
        ok = v < 16u;
        key[nibble / 8u] = (key[nibble / 8u] << 4u) | (v & 0xfu);
        nibble += 1u;
    }
    var found = false;
    if (ok && set_params.n_keys > 0u) {
        var base = 0u;
        var len = set_params.n_keys;
        while (len > 1u) {
            let half = len / 2u;
            base = select(base, base + half, !key_lt(key, keys[base + half]));
            len -= half;
        }
        found = all(keys[base] == key);
    }
    members[r] = vec2<u32>(select(0u, 1u, found), 0u);
}

// WhatsApp media file names in a chunk of a string column (see shared/text.wgsl), one row per
// invocation. Three searches walk each row's characters side by side, each with Python `re.findall`'s
// leftmost-first, non-overlapping semantics (Unicode \w, \d, \s, \b; case ignored as `re.IGNORECASE`
// does for str patterns):
//   (a) ([\w\-\.]+\.\w+)\s*(?:\(arquivo anexado\)|\(file attached\)|\(archivo adjunto\)|\u200e<attached:)
//       with case ignored: a run of [\w\-.] ending in `.\w+` with a character before the dot, then
//       optional whitespace and a marker (the run is the name, whole);
//   (b) \b((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+)\b
//   (c) \u200e((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+) with case ignored.
// Each name found is appended to `spans` as (row, start, end) through an atomic counter (the host
// groups them by row). A pass walks at most `budget` characters of a row and keeps its state for the
// next (llvmpipe stops an invocation after about 65,535 loop iterations and returns wrong data).
// src/cpu/media.rs is the same walk.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/text.wgsl"

const NONE: u32 = 0xffffffffu;
const LRM: u32 = 0x200eu;

// Stages of a file name after its anchor word.
const IDLE: u32 = 0u;
const ANCHOR: u32 = 1u;
const DIGITS1: u32 = 2u;
const DIGITS1_MORE: u32 = 3u;
const STAGE_W: u32 = 4u;
const STAGE_A: u32 = 5u;
const DIGITS2: u32 = 6u;
const DIGITS2_MORE: u32 = 7u;
const WORD: u32 = 8u;
const WORD_MORE: u32 = 9u;

struct MediaState {
    // The next byte to walk; end + 1 once the row is done.
    pos: u32,
    // Bit 0: the previous character is \w; bit 1: it is U+200E.
    flags: u32,
    // (a): the current run of [\w\-.] (NONE when outside one), its tail (0: no name; 1: a '.' with a
    // character before it; 2: such a '.' then word characters), the name waiting for its marker, and
    // where (a) resumes after a match.
    run: u32,
    tail: u32,
    pend_s: u32,
    pend_e: u32,
    skip: u32,
    // (b) and (c): stage, start of the name, end of its anchor.
    b_stage: u32,
    b_start: u32,
    b_until: u32,
    c_stage: u32,
    c_start: u32,
    c_until: u32,
}

struct MediaParams {
    n: u32,
    budget: u32,
    first: u32,
    capacity: u32,
    n_word: u32,
    n_decimal: u32,
}

@group(0) @binding(2) var<uniform> params: MediaParams;
@group(0) @binding(3) var<storage, read_write> state: array<MediaState>;
// Python's \w and \d beyond ASCII: sorted, disjoint, inclusive ranges of code points.
@group(0) @binding(4) var<storage, read> word_ranges: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> decimal_ranges: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> found: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> spans: array<vec4<u32>>;

// The markers' characters, one after another, and where each starts and ends.
const MARKER_CHARS = array<u32, 60>(
    0x28u, 0x61u, 0x72u, 0x71u, 0x75u, 0x69u, 0x76u, 0x6fu, 0x20u, 0x61u, 0x6eu, 0x65u, 0x78u, 0x61u, 0x64u, 0x6fu, 0x29u,
    0x28u, 0x66u, 0x69u, 0x6cu, 0x65u, 0x20u, 0x61u, 0x74u, 0x74u, 0x61u, 0x63u, 0x68u, 0x65u, 0x64u, 0x29u,
    0x28u, 0x61u, 0x72u, 0x63u, 0x68u, 0x69u, 0x76u, 0x6fu, 0x20u, 0x61u, 0x64u, 0x6au, 0x75u, 0x6eu, 0x74u, 0x6fu, 0x29u,
    0x200eu, 0x3cu, 0x61u, 0x74u, 0x74u, 0x61u, 0x63u, 0x68u, 0x65u, 0x64u, 0x3au,
);
const MARKER_START = array<u32, 5>(0u, 17u, 32u, 49u, 60u);
// IMG VID AUD PTT DOC.
const ANCHOR_CHARS = array<u32, 15>(
    0x49u, 0x4du, 0x47u, 0x56u, 0x49u, 0x44u, 0x41u, 0x55u, 0x44u, 0x50u, 0x54u, 0x54u, 0x44u, 0x4fu, 0x43u,
);

fn in_word_table(c: u32) -> bool {
    var lo = 0u;
    var len = params.n_word;
    while (len > 0u) {
        let half = len / 2u;
        if (word_ranges[lo + half].y < c) {
            lo += half + 1u;
            len -= half + 1u;
        } else {
            len = half;
        }
    }
    return lo < params.n_word && word_ranges[lo].x <= c;
}

fn in_decimal_table(c: u32) -> bool {
    var lo = 0u;
    var len = params.n_decimal;
    while (len > 0u) {
        let half = len / 2u;
        if (decimal_ranges[lo + half].y < c) {
            lo += half + 1u;
            len -= half + 1u;
        } else {
            len = half;
        }
    }
    return lo < params.n_decimal && decimal_ranges[lo].x <= c;
}

fn is_word(c: u32) -> bool {
    if (c < 0x80u) {
        let l = c | 0x20u;
        return (c >= 0x30u && c <= 0x39u) || (l >= 0x61u && l <= 0x7au) || c == 0x5fu;
    }
    return in_word_table(c);
}

fn is_decimal(c: u32) -> bool {
    if (c < 0x80u) {
        return c >= 0x30u && c <= 0x39u;
    }
    return in_decimal_table(c);
}

// Text character c against pattern character p (ASCII or U+200E), exactly or with case ignored as
// Python's `re` does (`i` also matches U+0130 and U+0131).
fn char_eq(c: u32, p: u32, ignore_case: bool) -> bool {
    if (c == p) {
        return true;
    }
    let lp = p | 0x20u;
    if (!ignore_case || lp < 0x61u || lp > 0x7au) {
        return false;
    }
    return (c < 0x80u && (c | 0x20u) == lp) || (lp == 0x69u && (c == 0x130u || c == 0x131u));
}

// Bytes of marker m matched at i (before `end`), or 0.
fn marker_match(m: u32, i: u32, end: u32) -> u32 {
    var at = i;
    for (var k = MARKER_START[m]; k < MARKER_START[m + 1u]; k++) {
        if (at >= end) {
            return 0u;
        }
        let c = decode_at(at);
        if (!char_eq(c.x, MARKER_CHARS[k], true)) {
            return 0u;
        }
        at += c.y;
    }
    return at - i;
}

fn marker_at(i: u32, end: u32) -> u32 {
    for (var m = 0u; m < 4u; m++) {
        let n = marker_match(m, i, end);
        if (n > 0u) {
            return n;
        }
    }
    return 0u;
}

// Bytes of an anchor (IMG- ...) at i, or 0.
fn anchor_at(i: u32, end: u32, ignore_case: bool) -> u32 {
    for (var w = 0u; w < 5u; w++) {
        var at = i;
        var ok = true;
        for (var k = 0u; k < 3u && ok; k++) {
            if (at >= end) {
                ok = false;
            } else {
                let c = decode_at(at);
                ok = char_eq(c.x, ANCHOR_CHARS[3u * w + k], ignore_case);
                at += c.y;
            }
        }
        if (ok) {
            if (at < end && text_byte(at) == 0x2du) {
                return at + 1u - i;
            }
            return 0u;
        }
    }
    return 0u;
}

struct Name {
    stage: u32,
    start: u32,
    until: u32,
}

struct NameStep {
    name: Name,
    // The finished name's span, or NONE.
    s: u32,
    e: u32,
}

// Feeds character c at pos to a file-name search; an anchor may start here when `anchor_ok`.
fn name_step(nm0: Name, pos: u32, end: u32, c: u32, word: bool, anchor_ok: bool, ignore_case: bool) -> NameStep {
    var nm = nm0;
    var out = NameStep(nm0, NONE, NONE);
    if (nm.stage == ANCHOR) {
        if (pos < nm.until) {
            return out;
        }
        nm.stage = DIGITS1;
    }
    var next = IDLE;
    switch nm.stage {
        case 2u, 6u: {
            if (is_decimal(c)) {
                next = nm.stage + 1u;
            }
        }
        case 3u, 7u: {
            if (is_decimal(c)) {
                next = nm.stage;
            } else if (nm.stage == DIGITS1_MORE && c == 0x2du) {
                next = STAGE_W;
            } else if (nm.stage == DIGITS2_MORE && c == 0x2eu) {
                next = WORD;
            }
        }
        case 4u: {
            if (char_eq(c, 0x57u, ignore_case)) {
                next = STAGE_A;
            }
        }
        case 5u: {
            if (char_eq(c, 0x41u, ignore_case)) {
                next = DIGITS2;
            }
        }
        case 8u, 9u: {
            if (word) {
                next = WORD_MORE;
            } else if (nm.stage == WORD_MORE) {
                out.s = nm.start;
                out.e = pos;
            }
        }
        default: {}
    }
    nm.stage = next;
    if (nm.stage == IDLE && anchor_ok) {
        let n = anchor_at(pos, end, ignore_case);
        if (n > 0u) {
            nm = Name(ANCHOR, pos, pos + n);
        }
    }
    out.name = nm;
    return out;
}

fn emit(r: u32, s: u32, e: u32) {
    let k = atomicAdd(&found[0], 1u);
    if (k < params.capacity) {
        spans[k] = vec4<u32>(r, s, e, 0u);
    }
}

@compute @workgroup_size(ITEM_WG)
fn media(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = linear_group(wid) * ITEM_WG + lid;
    if (r >= params.n) {
        return;
    }
    let end = text_offsets[r + 1u];
    var st = state[r];
    if (params.first != 0u) {
        let start = text_offsets[r];
        st = MediaState(start, 0u, NONE, 0u, NONE, NONE, start, IDLE, 0u, 0u, IDLE, 0u, 0u);
    }
    var steps = 0u;
    while (steps < params.budget && st.pos <= end) {
        steps += 1u;
        let pos = st.pos;
        if (pos == end) {
            if (st.b_stage == WORD_MORE) {
                emit(r, st.b_start, end);
            }
            if (st.c_stage == WORD_MORE) {
                emit(r, st.c_start, end);
            }
            st.pos = end + 1u;
            break;
        }
        let ch = decode_at(pos);
        let c = ch.x;
        let word = is_word(c);
        if (pos >= st.skip) {
            if (word || c == 0x2du || c == 0x2eu) {
                if (st.run == NONE) {
                    st.run = pos;
                    st.tail = 0u;
                    st.pend_s = NONE;
                }
                if (c == 0x2eu) {
                    st.tail = select(0u, 1u, pos > st.run);
                } else if (word && st.tail >= 1u) {
                    st.tail = 2u;
                } else {
                    st.tail = 0u;
                }
            } else {
                if (st.run != NONE) {
                    st.pend_s = select(NONE, st.run, st.tail == 2u);
                    st.pend_e = pos;
                    st.run = NONE;
                }
                if (!py_space(c)) {
                    if (st.pend_s != NONE) {
                        let m = marker_at(pos, end);
                        if (m > 0u) {
                            emit(r, st.pend_s, st.pend_e);
                            st.skip = pos + m;
                        }
                    }
                    st.pend_s = NONE;
                }
            }
        }
        let b = name_step(Name(st.b_stage, st.b_start, st.b_until), pos, end, c, word, (st.flags & 1u) == 0u, false);
        if (b.s != NONE) {
            emit(r, b.s, b.e);
        }
        st.b_stage = b.name.stage;
        st.b_start = b.name.start;
        st.b_until = b.name.until;
        let cc = name_step(Name(st.c_stage, st.c_start, st.c_until), pos, end, c, word, (st.flags & 2u) != 0u, true);
        if (cc.s != NONE) {
            emit(r, cc.s, cc.e);
        }
        st.c_stage = cc.name.stage;
        st.c_start = cc.name.start;
        st.c_until = cc.name.until;
        st.flags = select(0u, 1u, word) | select(0u, 2u, c == LRM);
        st.pos = pos + ch.y;
    }
    state[r] = st;
}

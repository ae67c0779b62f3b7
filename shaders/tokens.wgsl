// Token counts of OpenAI's byte-pair encodings over a chunk of a string column (shared/text.wgsl): the
// same scanner and merges as the CPU twin, src/cpu/tokens.rs, whose header says what each step matches.
//
// - `split`: one invocation a row cuts it into the pieces of the encoding's split pattern, in passes of
//   bounded cost (see COST_*: lavapipe silently stops the loops of an invocation after about 65,535 loop
//   steps), with one loop and no loop inside it. A first run counts each row's pieces; the host turns the
//   counts into each row's first piece; a second run writes every piece as (start, end, row).
// - `bpe`: one invocation a piece merges it in registers, the lowest-ranked pair of neighbouring parts
//   first (the leftmost of equal ranks), and adds its parts to its row's count. A piece longer than
//   SHORT_PIECE bytes is listed for `bpe_long` instead.
// - `bpe_long`: one invocation a long piece merges it through a binary heap of candidate merges keyed by
//   (rank, position) in device memory, in passes of bounded cost: O(n log n) for n bytes.
//
// `vocab` holds [pair mask, longest probe, 0, 0], the token of each byte (256 words), then the pair table:
// 3 words a slot (left, right, merged), left = NONE when empty, open-addressed from pair_hash.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/text.wgsl"

const NONE: u32 = 0xffffffffu;
// The class past the end of a row: none of the CLASS_* values.
const CLASS_END: u32 = 15u;
// Words of the class table's block index (one per 256 code points, up to U+10FFFF).
const CLASS_INDEX_WORDS: u32 = 4352u;
const VOCAB_BYTES: u32 = 4u;
const VOCAB_PAIRS: u32 = 260u;

@group(0) @binding(2) var<storage, read> classes: array<u32>;
@group(0) @binding(8) var<storage, read> vocab: array<u32>;

fn item_index(wid: vec3<u32>, lid: u32) -> u32 {
    return linear_group(wid) * ITEM_WG + lid;
}

// The class of code point `cp`: block `classes[cp >> 8]` holds 256 classes at 4 bits each.
fn class_of(cp: u32) -> u32 {
    let block = classes[cp >> 8u];
    let k = cp & 255u;
    return (classes[CLASS_INDEX_WORDS + block * 32u + (k >> 3u)] >> ((k & 7u) * 4u)) & 15u;
}

struct Ch {
    cp: u32,
    kind: u32,
    len: u32,
}

// The code point at byte i of a row ending at `end`. Text that is not valid UTF-8 gives some code point
// (clamped to U+10FFFF) and a length that may pass `end`, which ends the row's scan.
fn char_at(i: u32, end: u32) -> Ch {
    if (i >= end) {
        return Ch(0u, CLASS_END, 0u);
    }
    let d = decode_at(i);
    let cp = min(d.x, 0x10ffffu);
    return Ch(cp, class_of(cp), d.y);
}

// The end of (?i:'s|'t|'re|'ve|'m|'ll|'d) matched at byte e of a row ending at `end`, or e (U+017F, long
// s, folds to s).
fn contraction(e: u32, end: u32) -> u32 {
    if (e + 1u >= end || text_byte(e) != 0x27u) {
        return e;
    }
    let b = text_byte(e + 1u);
    let l = b | 0x20u;
    if (b < 0x80u && (l == 0x73u || l == 0x74u || l == 0x6du || l == 0x64u)) {
        return e + 2u;
    }
    if (e + 2u < end) {
        let b2 = text_byte(e + 2u);
        if (b == 0xc5u && b2 == 0xbfu) {
            return e + 3u;
        }
        let l2 = b2 | 0x20u;
        if (b < 0x80u && (((l == 0x72u || l == 0x76u) && l2 == 0x65u) || (l == 0x6cu && l2 == 0x6cu))) {
            return e + 3u;
        }
    }
    return e;
}

// ---- split

const PHASE_START: u32 = 0u;
const PHASE_UPPER: u32 = 1u;
const PHASE_LOWER: u32 = 2u;
const PHASE_LETTERS: u32 = 3u;
const PHASE_PUNCT: u32 = 4u;
const PHASE_NEWLINES: u32 = 5u;
const PHASE_SPACE: u32 = 6u;

struct SplitParams {
    n: u32,
    budget: u32,
    first: u32,
    write: u32,
    o200k: u32,
}

// `mark` and `word` as in the CPU twin; `count`: pieces so far (writing: the next piece's index).
struct SplitState {
    start: u32,
    pos: u32,
    phase: u32,
    mark: u32,
    word: u32,
    count: u32,
}

@group(0) @binding(3) var<uniform> split_params: SplitParams;
@group(0) @binding(4) var<storage, read_write> split_state: array<SplitState>;
// Counting: each row's pieces (NONE while the row is unfinished); writing: each row's first piece.
@group(0) @binding(5) var<storage, read_write> piece_index: array<u32>;
// (start, end, row) a piece, byte positions in the chunk.
@group(0) @binding(6) var<storage, read_write> pieces: array<u32>;

fn word_class(k: u32, o200k: bool) -> bool {
    return k == CLASS_UPPER || k == CLASS_LOWER || k == CLASS_LETTER || (o200k && k == CLASS_MARK);
}

@compute @workgroup_size(ITEM_WG)
fn split(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = item_index(wid, lid);
    if (r >= split_params.n) {
        return;
    }
    let end = text_offsets[r + 1u];
    let o200k = split_params.o200k != 0u;
    let write = split_params.write != 0u;
    let words = select(PHASE_LETTERS, PHASE_UPPER, o200k);
    var st: SplitState;
    if (split_params.first != 0u) {
        let s0 = text_offsets[r];
        st = SplitState(s0, s0, PHASE_START, NONE, s0, select(0u, piece_index[r], write));
    } else {
        st = split_state[r];
    }
    var steps = 0u;
    while (st.start < end && steps < split_params.budget) {
        steps += COST_ITER;
        let c = char_at(st.pos, end);
        var done = NONE;
        if (st.phase == PHASE_START) {
            let p = st.pos;
            if (!o200k && c.cp == 0x27u && contraction(p, end) > p) {
                done = contraction(p, end);
            } else if (c.kind == CLASS_UPPER || c.kind == CLASS_LOWER || c.kind == CLASS_LETTER) {
                st.phase = words;
                st.mark = NONE;
                st.word = p;
            } else if (c.kind == CLASS_NUMBER) {
                // \p{N}{1,3}, unrolled: the split has no inner loop.
                var e = p + c.len;
                let d1 = char_at(e, end);
                if (d1.kind == CLASS_NUMBER) {
                    e += d1.len;
                    let d2 = char_at(e, end);
                    if (d2.kind == CLASS_NUMBER) {
                        e += d2.len;
                    }
                }
                done = e;
            } else if (c.kind == CLASS_NEWLINE) {
                st.phase = PHASE_SPACE;
                st.mark = NONE;
                st.word = p;
            } else {
                let next = char_at(p + c.len, end);
                if (word_class(next.kind, o200k)) {
                    st.phase = words;
                    st.pos = p + c.len;
                    st.mark = NONE;
                    st.word = st.pos;
                } else if (o200k && c.kind == CLASS_MARK) {
                    done = contraction(p + c.len, end);
                } else if (c.kind == CLASS_SPACE) {
                    if (c.cp == 0x20u && (next.kind == CLASS_OTHER || next.kind == CLASS_MARK)) {
                        st.phase = PHASE_PUNCT;
                        st.pos = p + c.len;
                    } else {
                        st.phase = PHASE_SPACE;
                        st.mark = NONE;
                        st.word = p;
                    }
                } else {
                    st.phase = PHASE_PUNCT;
                }
            }
        } else if (st.phase == PHASE_UPPER) {
            if (c.kind == CLASS_UPPER || c.kind == CLASS_LETTER || c.kind == CLASS_MARK) {
                if (c.kind != CLASS_UPPER) {
                    st.mark = st.pos + c.len;
                }
                st.pos += c.len;
            } else if (c.kind == CLASS_LOWER) {
                st.phase = PHASE_LOWER;
            } else if (st.mark != NONE) {
                done = contraction(st.mark, end);
            } else if (st.word > st.start && char_at(st.start, end).kind == CLASS_MARK) {
                done = st.word;
            } else {
                done = contraction(st.pos, end);
            }
        } else if (st.phase == PHASE_LOWER) {
            if (c.kind == CLASS_LOWER || c.kind == CLASS_LETTER || c.kind == CLASS_MARK) {
                st.pos += c.len;
            } else {
                done = contraction(st.pos, end);
            }
        } else if (st.phase == PHASE_LETTERS) {
            if (c.kind == CLASS_UPPER || c.kind == CLASS_LOWER || c.kind == CLASS_LETTER) {
                st.pos += c.len;
            } else {
                done = st.pos;
            }
        } else if (st.phase == PHASE_PUNCT) {
            if (c.kind == CLASS_OTHER || c.kind == CLASS_MARK) {
                st.pos += c.len;
            } else {
                st.phase = PHASE_NEWLINES;
            }
        } else if (st.phase == PHASE_NEWLINES) {
            if (c.cp == 0x0du || c.cp == 0x0au || (o200k && c.cp == 0x2fu)) {
                st.pos += c.len;
            } else {
                done = st.pos;
            }
        } else {
            // PHASE_SPACE
            if (c.kind == CLASS_SPACE || c.kind == CLASS_NEWLINE) {
                if (c.kind == CLASS_NEWLINE) {
                    st.mark = st.pos + c.len;
                }
                st.word = st.pos;
                st.pos += c.len;
            } else if (st.mark != NONE) {
                done = st.mark;
            } else if (st.pos == end || st.word == st.start) {
                done = st.pos;
            } else {
                done = st.word;
            }
        }
        if (done != NONE) {
            if (write) {
                let k = 3u * st.count;
                pieces[k] = st.start;
                pieces[k + 1u] = done;
                pieces[k + 2u] = r;
            }
            st.count += 1u;
            st.start = done;
            st.pos = done;
            st.phase = PHASE_START;
        }
    }
    split_state[r] = st;
    if (!write) {
        piece_index[r] = select(NONE, st.count, st.start >= end);
    }
}

// ---- merges

// What `split` and `bpe_long` count against their budget (`bpe` stays below lavapipe's limit by
// construction): llvmpipe counts down from about 65,535 at every iteration of every loop of an invocation
// and then silently ends every loop, and an iteration may count more than once there (a loop with a
// continuing block is lowered to two loops). A loop of k iterations is charged COST_ITER * k + COST_LOOP,
// which budgets of up to 65,535 were measured to respect; the host gives half of that.
const COST_ITER: u32 = 2u;
const COST_LOOP: u32 = 2u;

fn loop_cost(iterations: u32) -> u32 {
    return COST_ITER * iterations + COST_LOOP;
}

// The first slot of pair (a, b)'s probe (the host's pair_hash).
fn pair_hash(a: u32, b: u32) -> u32 {
    var h = (a * 0x9E3779B1u) ^ b;
    h ^= h >> 15u;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12u;
    h *= 0x297A2D39u;
    return h ^ (h >> 15u);
}

// The token of the bytes of tokens a and b together, or NONE, and the loop's cost (see COST_*). A present
// pair is at most `vocab[1]` slots from its first one.
fn pair_rank(a: u32, b: u32) -> vec2<u32> {
    let mask = vocab[0];
    var s = pair_hash(a, b) & mask;
    for (var k = 1u; k <= vocab[1]; k++) {
        let i = VOCAB_PAIRS + 3u * s;
        let x = vocab[i];
        if (x == a && vocab[i + 1u] == b) {
            return vec2<u32>(vocab[i + 2u], loop_cost(k));
        }
        if (x == NONE) {
            return vec2<u32>(NONE, loop_cost(k));
        }
        s = (s + 1u) & mask;
    }
    return vec2<u32>(NONE, loop_cost(vocab[1] + 1u));
}

fn byte_token(i: u32) -> u32 {
    return vocab[VOCAB_BYTES + text_byte(i)];
}

@group(0) @binding(7) var<uniform> bpe_params: BpeParams;
@group(0) @binding(9) var<storage, read_write> row_counts: array<atomic<u32>>;
@group(0) @binding(10) var<storage, read_write> long_list: LongList;

struct BpeParams {
    n: u32,
    long_cap: u32,
}

// Pieces longer than SHORT_PIECE bytes, (start, end, row) each; `count` may pass `long_cap`, which the host
// reads as too many to list.
struct LongList {
    count: atomic<u32>,
    items: array<u32>,
}

// The parts left of the n bytes from s (2 <= n <= SHORT_PIECE) after merging, in registers.
fn merge_short(s: u32, n: u32) -> u32 {
    var tok: array<u32, SHORT_PIECE>;
    var pr: array<u32, SHORT_PIECE>;
    for (var i = 0u; i < n; i++) {
        tok[i] = byte_token(s + i);
    }
    for (var i = 0u; i + 1u < n; i++) {
        pr[i] = pair_rank(tok[i], tok[i + 1u]).x;
    }
    var m = n;
    loop {
        var best = NONE;
        var at = 0u;
        for (var i = 0u; i + 1u < m; i++) {
            if (pr[i] < best) {
                best = pr[i];
                at = i;
            }
        }
        if (best == NONE) {
            break;
        }
        tok[at] = best;
        for (var j = at + 1u; j + 1u < m; j++) {
            tok[j] = tok[j + 1u];
            pr[j] = pr[j + 1u];
        }
        m -= 1u;
        pr[at] = NONE;
        if (at + 1u < m) {
            pr[at] = pair_rank(tok[at], tok[at + 1u]).x;
        }
        if (at > 0u) {
            pr[at - 1u] = pair_rank(tok[at - 1u], tok[at]).x;
        }
    }
    return m;
}

@compute @workgroup_size(ITEM_WG)
fn bpe(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let p = item_index(wid, lid);
    if (p >= bpe_params.n) {
        return;
    }
    let s = pieces[3u * p];
    let e = pieces[3u * p + 1u];
    let row = pieces[3u * p + 2u];
    let n = e - s;
    if (n > SHORT_PIECE) {
        let k = atomicAdd(&long_list.count, 1u);
        if (k < bpe_params.long_cap) {
            long_list.items[3u * k] = s;
            long_list.items[3u * k + 1u] = e;
            long_list.items[3u * k + 2u] = row;
        }
        return;
    }
    var parts = 1u;
    if (n > 1u) {
        parts = merge_short(s, n);
    }
    atomicAdd(&row_counts[row], parts);
}

// ---- bpe_long: a long piece's parts form a linked list over their first bytes. Its scratch from `base`
// holds n words each of: the token of the part starting at each byte (tok), the next part's start
// (next), the previous part's start (prev), the rank of the pair of the part with the next (pair, NONE
// when none); then the heap, 3n entries of (rank, start). A heap entry whose rank is no longer its part's
// pair rank is stale and skipped when it comes off the heap.

const LONG_INIT: u32 = 0u;
const LONG_HEAPIFY: u32 = 1u;
const LONG_MERGE: u32 = 2u;
const LONG_DONE: u32 = 3u;

// `budget`: the cost of a pass's loops (see COST_*); `op`: the most one operation costs (an element of the
// initial heap, a sift of the heapify, or a merge), which only starts when it fits the budget.
struct LongParams {
    n: u32,
    budget: u32,
    op: u32,
    first: u32,
}

struct LongState {
    phase: u32,
    size: u32,
    cursor: u32,
    parts: u32,
}

@group(0) @binding(11) var<uniform> long_params: LongParams;
// (start, end, row, scratch base) a piece.
@group(0) @binding(12) var<storage, read> long_pieces: array<vec4<u32>>;
@group(0) @binding(13) var<storage, read_write> long_state: array<LongState>;
@group(0) @binding(14) var<storage, read_write> scratch: array<u32>;

fn heap_get(h: u32, i: u32) -> vec2<u32> {
    return vec2<u32>(scratch[h + 2u * i], scratch[h + 2u * i + 1u]);
}

fn heap_set(h: u32, i: u32, v: vec2<u32>) {
    scratch[h + 2u * i] = v.x;
    scratch[h + 2u * i + 1u] = v.y;
}

fn before(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

// Sifts entry i0 of the heap at h (size entries) down (at most the heap's depth + 1 iterations); returns
// the loop's cost.
fn sift_down(h: u32, i0: u32, size: u32) -> u32 {
    let v = heap_get(h, i0);
    var i = i0;
    var steps = 0u;
    loop {
        steps += 1u;
        let l = 2u * i + 1u;
        if (l >= size) {
            break;
        }
        var c = l;
        var cv = heap_get(h, l);
        if (l + 1u < size) {
            let rv = heap_get(h, l + 1u);
            if (before(rv, cv)) {
                c = l + 1u;
                cv = rv;
            }
        }
        if (!before(cv, v)) {
            break;
        }
        heap_set(h, i, cv);
        i = c;
    }
    heap_set(h, i, v);
    return loop_cost(steps);
}

// Adds v as entry `size` of the heap at h and sifts it up (at most the heap's depth + 1 iterations, the
// last the test that ends the loop); returns the loop's cost.
fn push(h: u32, size: u32, v: vec2<u32>) -> u32 {
    var i = size;
    var steps = 1u;
    while (i > 0u) {
        steps += 1u;
        let p = (i - 1u) / 2u;
        let pv = heap_get(h, p);
        if (!before(v, pv)) {
            break;
        }
        heap_set(h, i, pv);
        i = p;
    }
    heap_set(h, i, v);
    return loop_cost(steps);
}

// One invocation a workgroup: lavapipe counts the loop steps of the lanes of a SIMD group that run in
// lockstep together, so a long piece runs alone in its group and the budget is its own.
@compute @workgroup_size(1)
fn bpe_long(@builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid);
    if (i >= long_params.n) {
        return;
    }
    let lp = long_pieces[i];
    let s = lp.x;
    let n = lp.y - lp.x;
    let tok = lp.w;
    let next = tok + n;
    let prev = next + n;
    let pair = prev + n;
    let heap = pair + n;
    var st = LongState(LONG_INIT, 0u, 0u, n);
    if (long_params.first == 0u) {
        st = long_state[i];
    }
    if (st.phase == LONG_DONE) {
        return;
    }
    var steps = 0u;
    while (steps + long_params.op <= long_params.budget) {
        steps += COST_ITER;
        if (st.phase == LONG_INIT) {
            if (st.cursor == n) {
                st.phase = LONG_HEAPIFY;
                st.cursor = st.size / 2u;
                continue;
            }
            let j = st.cursor;
            let t = byte_token(s + j);
            scratch[tok + j] = t;
            scratch[next + j] = j + 1u;
            scratch[prev + j] = j - 1u;
            var r = NONE;
            if (j + 1u < n) {
                let found = pair_rank(t, byte_token(s + j + 1u));
                r = found.x;
                steps += found.y;
            }
            scratch[pair + j] = r;
            if (r != NONE) {
                heap_set(heap, st.size, vec2<u32>(r, j));
                st.size += 1u;
            }
            st.cursor += 1u;
        } else if (st.phase == LONG_HEAPIFY) {
            if (st.cursor == 0u) {
                st.phase = LONG_MERGE;
                continue;
            }
            st.cursor -= 1u;
            steps += sift_down(heap, st.cursor, st.size);
        } else {
            // LONG_MERGE
            if (st.size == 0u) {
                st.phase = LONG_DONE;
                atomicAdd(&row_counts[lp.z], st.parts);
                break;
            }
            let top = heap_get(heap, 0u);
            st.size -= 1u;
            if (st.size > 0u) {
                heap_set(heap, 0u, heap_get(heap, st.size));
                steps += sift_down(heap, 0u, st.size);
            }
            let a = top.y;
            let rank = top.x;
            if (scratch[pair + a] != rank) {
                continue;
            }
            let right = scratch[next + a];
            let after = scratch[next + right];
            scratch[tok + a] = rank;
            scratch[next + a] = after;
            scratch[pair + right] = NONE;
            scratch[pair + a] = NONE;
            if (after < n) {
                scratch[prev + after] = a;
                let found = pair_rank(rank, scratch[tok + after]);
                let r = found.x;
                steps += found.y;
                scratch[pair + a] = r;
                if (r != NONE) {
                    steps += push(heap, st.size, vec2<u32>(r, a));
                    st.size += 1u;
                }
            }
            if (a > 0u) {
                let q = scratch[prev + a];
                let found = pair_rank(scratch[tok + q], rank);
                let r = found.x;
                steps += found.y;
                scratch[pair + q] = r;
                if (r != NONE) {
                    steps += push(heap, st.size, vec2<u32>(r, q));
                    st.size += 1u;
                }
            }
            st.parts -= 1u;
        }
    }
    long_state[i] = st;
}

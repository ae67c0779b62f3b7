// String kernels over the raw UTF-8 buffer of an Arrow string column, uploaded as u32 words (byte
// 4w + k is bits 8k..8k+7 of word w), with one extra word past the end.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

// Code points are counted a block of BLOCK_WORDS words at a time (16 loop steps an invocation), so
// the counts and their prefix take 1/64 and 1/8 of a piece's bytes instead of 1x and 2x.
const BLOCK_WORDS: u32 = 16u;

// block_chars: counts[b] = number of code points that start in block b of the bound words (a piece of
// the text), i.e. of its bytes c with (c & 0xC0) != 0x80, counting only the first `valid_bytes` bytes of
// the piece (the rest is padding).
struct WordCharsParams {
    n_words: u32,
    valid_bytes: u32,
}

@group(0) @binding(0) var<uniform> wc_params: WordCharsParams;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;

// Lead bytes among the first `nbytes` (0..=4) bytes of `word`.
fn lead_bytes(word: u32, nbytes: u32) -> u32 {
    var c = 0u;
    for (var k = 0u; k < 4u; k++) {
        let byte = (word >> (8u * k)) & 0xffu;
        c += select(0u, 1u, k < nbytes && (byte & 0xc0u) != 0x80u);
    }
    return c;
}

@compute @workgroup_size(ITEM_WG)
fn block_chars(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let b = linear_group(wid) * ITEM_WG + lid;
    let w0 = b * BLOCK_WORDS;
    if (w0 >= wc_params.n_words) {
        return;
    }
    var c = 0u;
    for (var k = 0u; k < BLOCK_WORDS; k++) {
        let w = w0 + k;
        let first_byte = 4u * w;
        var nbytes = 0u;
        if (w < wc_params.n_words && first_byte < wc_params.valid_bytes) {
            nbytes = min(4u, wc_params.valid_bytes - first_byte);
            c += lead_bytes(words[w], nbytes);
        }
    }
    counts[b] = c;
}

// char_offsets: for each byte offset o, the number of code points that start before byte o:
// carry + prefix[b] + lead bytes of the words of block b before word w + lead bytes of word w before
// byte o & 3, with w = o >> 2 and b its block, where prefix is the exclusive scan of block_chars over
// the bound words piece, which covers words [seg_start, seg_start + seg_words) of the text, and carry
// the code points of the text before the piece. One dispatch per piece and segment of offsets, over
// rows [row0, n) of that segment: the rows whose offsets fall in the piece (the host knows which).
struct CharOffsetsParams {
    n: u32,
    seg_words: u32,
    row0: u32,
    pad0: u32,
    seg_start: vec2<u32>,
}

@group(0) @binding(3) var<uniform> co_params: CharOffsetsParams;
@group(0) @binding(4) var<storage, read> offsets: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> seg_words: array<u32>;
@group(0) @binding(6) var<storage, read> seg_prefix: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> char_pos: array<vec2<u32>>;
// carry[0]: code points before the piece (u64).
@group(0) @binding(8) var<storage, read_write> carry: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn char_offsets(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = co_params.row0 + linear_group(wid) * ITEM_WG + lid;
    if (i >= co_params.n) {
        return;
    }
    let o = offsets[i];
    let w = vec2<u32>((o.x >> 2u) | (o.y << 30u), o.y >> 2u);
    // The host gives only rows of this piece; an offset outside it (none) is clamped into it.
    var local = index_in_segment(w, co_params.seg_start, co_params.seg_words);
    var byte_in_word = o.x & 3u;
    if (local == 0xffffffffu) {
        local = co_params.seg_words - 1u;
        byte_in_word = 0u;
    }
    let block = local / BLOCK_WORDS;
    var c = lead_bytes(seg_words[local], byte_in_word);
    for (var k = block * BLOCK_WORDS; k < local; k++) {
        c += lead_bytes(seg_words[k], 4u);
    }
    char_pos[i] = u64_add(u64_add(carry[0], seg_prefix[block]), u64_from(c));
}

// carry_add: carry[0] += prefix[n_blocks - 1] + counts[n_blocks - 1], the code points of the piece
// whose counts and exclusive prefix are bound, so that the next piece starts from them. One invocation.
struct CarryParams {
    n_blocks: u32,
}

@group(0) @binding(9) var<uniform> ca_params: CarryParams;

@compute @workgroup_size(1)
fn carry_add() {
    let last = ca_params.n_blocks - 1u;
    carry[0] = u64_add(u64_add(carry[0], seg_prefix[last]), u64_from(counts[last]));
}

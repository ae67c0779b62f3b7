// Stream compaction: given a 0/1 mask and its exclusive prefix sum `pos`, every row i with mask[i] = 1
// writes its index to out[pos[i]]. Segmented: one dispatch per (input segment, output segment); a row
// writes only when its position falls in the bound output segment [out_start, out_start + out_len).
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

struct CompactParams {
    n: u32,
    out_len: u32,
    base: vec2<u32>,
    out_start: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: CompactParams;
@group(0) @binding(1) var<storage, read> mask: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> pos: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn compact(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n) {
        return;
    }
    let m = mask[i];
    if (m.x == 0u && m.y == 0u) {
        return;
    }
    let local = index_in_segment(pos[i], params.out_start, params.out_len);
    if (local != 0xffffffffu) {
        out[local] = u64_add(params.base, u64_from(i));
    }
}

// Masks as Arrow bitmaps, 1 bit a row: `words` holds 32 rows a u32 (row 32k + b is bit b of word k), bits
// past the last row clear. `bit_counts` counts each word's rows; an exclusive scan of the counts gives each
// word's first place (`word_pos`); `compact_bits` writes each word's rows from it, at most 32 a thread.
@group(0) @binding(4) var<storage, read> words: array<u32>;
@group(0) @binding(5) var<storage, read_write> counts: array<u32>;
@group(0) @binding(6) var<storage, read> word_pos: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn bit_counts(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let k = linear_group(wid) * ITEM_WG + lid;
    if (k < params.n) {
        counts[k] = countOneBits(words[k]);
    }
}

@compute @workgroup_size(ITEM_WG)
fn compact_bits(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let k = linear_group(wid) * ITEM_WG + lid;
    if (k >= params.n) {
        return;
    }
    var w = words[k];
    var p = word_pos[k];
    // `base`: the segment's first row; the word's first row is base + 32k.
    let row = u64_add(params.base, u64_from(k * 32u));
    for (var i = 0u; i < 32u && w != 0u; i++) {
        let b = firstTrailingBit(w);
        let local = index_in_segment(p, params.out_start, params.out_len);
        if (local != 0xffffffffu) {
            out[local] = u64_add(row, u64_from(b));
        }
        p = u64_add(p, u64_from(1u));
        w = w & (w - 1u);
    }
}

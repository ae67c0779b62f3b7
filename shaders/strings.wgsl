// Code points per row over a chunk of a string column (see shared/text.wgsl), one row per invocation.
// #include "shared/constants.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/text.wgsl"

// ---- chars: row_chars[out_row0 + r] = the code points of row r (its bytes that are not 10xxxxxx), a
// word at a time: the bytes of a word outside the row are masked to 0, which is no continuation byte. A
// pass counts at most `budget` words of each row (words round * budget.. of the row's span) and adds
// them to what the earlier passes counted, so no invocation loops long (lavapipe stops an invocation
// after about 65,535 loop steps and returns wrong data). `row_chars` is the segment of the output that
// holds the chunk's rows, from row `out_row0` of that segment.

struct CharsParams {
    n: u32,
    budget: u32,
    round: u32,
    out_row0: u32,
}

@group(0) @binding(2) var<uniform> chars_params: CharsParams;
@group(0) @binding(3) var<storage, read_write> row_chars: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn chars(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r = linear_group(wid) * ITEM_WG + lid;
    if (r >= chars_params.n) {
        return;
    }
    let out = chars_params.out_row0 + r;
    let start = text_offsets[r];
    let end = text_offsets[r + 1u];
    var c = 0u;
    if (chars_params.round > 0u) {
        c = row_chars[out].x;
    }
    if (end > start) {
        let first = start >> 2u;
        let last = (end - 1u) >> 2u;
        let w0 = first + chars_params.round * chars_params.budget;
        if (w0 > last) {
            // The row ended in an earlier pass (round 0 always has words: w0 = first <= last).
            return;
        }
        let w1 = min(last, w0 + (chars_params.budget - 1u));
        for (var w = w0; w <= w1; w++) {
            // Bytes lo..hi of the word are the row's: 0xff.. from byte lo, ..0xff up to byte hi.
            let lo = select(0u, start & 3u, w == first);
            let hi = select(4u, ((end - 1u) & 3u) + 1u, w == last);
            let x = text_words[w] & (0xffffffffu << (8u * lo)) & (0xffffffffu >> (8u * (4u - hi)));
            let bytes = hi - lo;
            // Bit 7 of each byte set and bit 6 clear: a continuation byte.
            c += bytes - countOneBits(x & ~(x << 1u) & 0x80808080u);
        }
    }
    row_chars[out] = vec2<u32>(c, 0u);
}

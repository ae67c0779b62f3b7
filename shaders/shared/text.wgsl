// A chunk of a string column: its UTF-8 bytes as u32 words (byte k of the chunk is bits 8(k%4).. of
// word k/4) and n + 1 offsets into them, relative to the chunk. Every shader that includes this file
// binds them at 0 and 1.

@group(0) @binding(0) var<storage, read> text_words: array<u32>;
@group(0) @binding(1) var<storage, read> text_offsets: array<u32>;

fn text_byte(i: u32) -> u32 {
    return (text_words[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// Python's str.isspace(): Unicode whitespace, plus the separators U+001C..U+001F.
fn py_space(c: u32) -> bool {
    return (c >= 0x09u && c <= 0x0du) || (c >= 0x1cu && c <= 0x20u) || c == 0x85u || c == 0xa0u
        || c == 0x1680u || (c >= 0x2000u && c <= 0x200au) || c == 0x2028u || c == 0x2029u
        || c == 0x202fu || c == 0x205fu || c == 0x3000u;
}

// The code point starting at byte i (valid UTF-8) and its length in bytes.
fn decode_at(i: u32) -> vec2<u32> {
    let b0 = text_byte(i);
    if (b0 < 0x80u) {
        return vec2<u32>(b0, 1u);
    }
    if (b0 < 0xe0u) {
        return vec2<u32>(((b0 & 0x1fu) << 6u) | (text_byte(i + 1u) & 0x3fu), 2u);
    }
    if (b0 < 0xf0u) {
        return vec2<u32>(((b0 & 0x0fu) << 12u) | ((text_byte(i + 1u) & 0x3fu) << 6u) | (text_byte(i + 2u) & 0x3fu), 3u);
    }
    return vec2<u32>(((b0 & 0x07u) << 18u) | ((text_byte(i + 1u) & 0x3fu) << 12u)
        | ((text_byte(i + 2u) & 0x3fu) << 6u) | (text_byte(i + 3u) & 0x3fu), 4u);
}

// The start of the code point that ends just before byte `end`, not before `start`.
fn char_start_before(end: u32, start: u32) -> u32 {
    var s = end - 1u;
    for (var k = 0u; k < 3u; k++) {
        if (s > start && (text_byte(s) & 0xc0u) == 0x80u) {
            s -= 1u;
        }
    }
    return s;
}

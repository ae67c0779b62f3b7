// Tile geometry shared by the shaders and (through build.rs) the host.
// A workgroup has WG invocations; each loads one vec4<u32> (16 bytes) per round, lane-striped, for ROUNDS
// rounds, so a tile is WG * ROUNDS * 4 words: 4096 u32 elements or 2048 u64 elements.

const WG: u32 = 256u;
const ROUNDS: u32 = 4u;
const TILE_WORDS: u32 = 4096u;
// Invocations per workgroup of the one-thread-per-item kernels (search, checks).
const ITEM_WG: u32 = 256u;
// Workgroups per row of a 2D dispatch (the per-dimension limit is 65535).
const MAX_GROUPS_X: u32 = 32768u;

// Op codes of the `OP` overrides, named once here for the shaders and (through build.rs) the host.
// elementwise.wgsl map_scalar: a op k.
const SCALAR_ADD_SAT: u32 = 0u;
const SCALAR_SUB_SAT: u32 = 1u;
const SCALAR_MIN: u32 = 2u;
const SCALAR_MAX: u32 = 3u;
const SCALAR_GE: u32 = 4u;
const SCALAR_LT: u32 = 5u;
const SCALAR_FLOOR_DIV_SIGNED: u32 = 6u;
// elementwise.wgsl map_pair: a op b.
const PAIR_MAX: u32 = 0u;
const PAIR_MIN: u32 = 1u;
const PAIR_SUB_SAT: u32 = 2u;
const PAIR_WRAPPING_ADD: u32 = 3u;
const PAIR_WRAPPING_SUB: u32 = 4u;
const PAIR_LE: u32 = 5u;
// reduce.wgsl.
const REDUCE_SUM: u32 = 0u;
const REDUCE_MIN: u32 = 1u;
const REDUCE_MAX: u32 = 2u;
// successor.wgsl successors: whether a row whose range reaches the last row has it for successor.
const SUCCESSORS_CONTINUE: u32 = 0u;
const SUCCESSORS_STOP_AT_LAST: u32 = 1u;
// tokens.wgsl: the class of a code point in the encodings' split patterns (src/cpu/vocab.rs writes them).
const CLASS_OTHER: u32 = 0u;
const CLASS_UPPER: u32 = 1u;
const CLASS_LOWER: u32 = 2u;
const CLASS_LETTER: u32 = 3u;
const CLASS_MARK: u32 = 4u;
const CLASS_NUMBER: u32 = 5u;
const CLASS_SPACE: u32 = 6u;
const CLASS_NEWLINE: u32 = 7u;
// tokens.wgsl: pieces of at most this many bytes merge in registers; longer ones through a heap.
const SHORT_PIECE: u32 = 64u;

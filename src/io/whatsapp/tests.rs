//! The reader against the line-by-line parser it replaced ([`super::oracle`]), cut into chunks at every
//! awkward place, and the behaviours of the line grammar.

use std::io::Read;

use super::batches::read_all;
use super::grammar::{author_and_text, date_like, header};
use super::reader::Cutting;
use super::*;
use crate::error::Error;

/// A reader that hands out its bytes a few at a time (sizes from a sequence), so that reads end inside
/// characters, inside `\r\n` and everywhere else.
struct Trickle<'a> {
    bytes: &'a [u8],
    at: usize,
    sizes: &'a [usize],
    k: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sizes[self.k % self.sizes.len()].min(out.len()).min(self.bytes.len() - self.at);
        self.k += 1;
        out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn read(bytes: &[u8], opts: &WhatsAppOptions, cut: Cutting) -> crate::error::Result<(Vec<ChatMessage>, ChatSummary)> {
    read_all(Box::new(bytes), "t", opts, cut)
}

fn parse(text: &str) -> Chat {
    parse_whatsapp(text, "test", &WhatsAppOptions::default()).unwrap()
}

#[test]
fn both_shapes_and_continuations() {
    let chat = parse(concat!(
        "\u{feff}31/12/2023, 21:41 - Messages and calls are end-to-end encrypted.\r\n",
        "31/12/2023, 21:41 - Alice: first\r\n",
        "second line\r\n",
        "31/12/2023, 21:42 - Bob joined using this group's invite link\r\n",
        "[31/12/2023, 21:43:05] Carol: ios line\n",
        "31/12/2023, 9:44 PM - Dave: pm time\n",
        "31/12/2023, 21:45 - Eve:    \n",
        "31.12.23, 21:46 - Frank: dots, short year\n",
    ));
    let m = &chat.messages;
    assert_eq!(m.len(), 4);
    assert_eq!(m[0].text, "first\nsecond line\n31/12/2023, 21:42 - Bob joined using this group's invite link");
    assert_eq!((m[1].author.as_str(), m[1].local.second()), ("Carol", 5));
    assert_eq!(m[2].local.hour(), 21);
    assert_eq!(m[3].author, "Frank");
    assert_eq!(m[3].local.year(), 2023);
    assert_eq!(chat.system_notices, 2);
    assert_eq!(chat.dropped_empty, 1);
    assert_eq!(m[0].line, 2);
}

#[test]
fn date_order_inference() {
    let chat = parse("12/31/23, 1:00 AM - A: x\n01/02/24, 12:00 PM - B: y\n");
    assert_eq!(chat.date_order, Some(DateOrder::MonthFirst));
    assert_eq!((chat.messages[1].local.month(), chat.messages[1].local.day()), (1, 2));
    assert_eq!(chat.messages[0].local.hour(), 1);
    assert_eq!(chat.messages[1].local.hour(), 12);
    let chat = parse("01/02/24, 12:00 AM - B: y\n");
    assert_eq!(chat.date_order, Some(DateOrder::DayFirst));
    assert_eq!((chat.messages[0].local.month(), chat.messages[0].local.hour()), (2, 0));
}

#[test]
fn gaps_and_folds_follow_python_fold_0() {
    let opts = WhatsAppOptions { tz: "America/New_York".into(), ..Default::default() };
    // 2024-03-10 02:30 does not exist in New York: it moves forward to 03:30 EDT (07:30 UTC).
    let gap = parse_whatsapp("10/03/2024, 02:30 - A: x\n", "t", &opts).unwrap();
    assert_eq!(gap.messages[0].ts_micros, 1_710_055_800_000_000);
    // 2024-11-03 01:30 happens twice: the first (EDT, 05:30 UTC).
    let fold = parse_whatsapp("03/11/2024, 01:30 - A: x\n", "t", &opts).unwrap();
    assert_eq!(fold.messages[0].ts_micros, 1_730_611_800_000_000);
}

/// Random lines of header-like tokens: never a panic, every header starts like one, and what parses
/// parses the same after the pipeline's normalization when only spaces differ.
#[test]
fn random_header_like_lines_never_panic() {
    // Slots of a header, each with right and wrong choices.
    const SLOTS: [&[&str]; 13] = [
        &["", "", "\u{200e}", "\u{202b}\u{200f}", "\u{feff}", "x"],
        &["", "", "[", "]"],
        &["1", "13", "2020", "123", "", "0"],
        &["/", ".", "-", ":", ""],
        &["6", "06", "13", "99", "", "1/"],
        &["/", ".", "-", ", ", ""],
        &["18", "2018", "1", "13", "12345", ""],
        &["", ",", ", ", " ", "\u{a0}"],
        &[" ", " ", "\u{202f}", "", "  "],
        &["9:41", "21.25", "9:41:05", "21.25.15", "12:05", "9:4", "24:00", "9:41:5"],
        &["", "", " PM", "\u{202f}a.m.", "\u{a0}p.\u{202f}m.", "am", " A.M", " amx", " p. m"],
        &[" - ", "] ", ": ", " -", "]", " -  ", ":", " – "],
        &["Ann: hi", "Ann:hi", "joined", ": x", "  Bo Li : yo", "é😀: ü", ""],
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut parsed = 0;
    for _ in 0..300_000 {
        let mut line = String::new();
        for slot in SLOTS {
            line.push_str(slot[next(slot.len())]);
        }
        if let Some(h) = header(&line) {
            parsed += 1;
            assert!(date_like(&line), "{line:?}");
            for order in [DateOrder::DayFirst, DateOrder::MonthFirst, DateOrder::YearFirst] {
                let _ = super::grammar::Stamp::of(&h).civil(order);
            }
            let _ = author_and_text(h.body);
            if !line.contains(['\u{feff}', 'é', '😀', '–']) {
                let normalized = normalize_line(&line);
                let n = header(&normalized).map(|h| (h.date, h.hour, h.minute, h.second, h.pm));
                assert_eq!(n, Some((h.date, h.hour, h.minute, h.second, h.pm)), "{line:?}");
            }
        }
        let _ = parse_whatsapp(&line, "t", &WhatsAppOptions { allow_unused_lines: true, ..Default::default() });
    }
    assert!(parsed > 500, "{parsed} headers");
}

#[test]
fn errors_name_the_line() {
    let err = parse_whatsapp("a\n31/02/2023, 10:00 - A: x\n", "t", &WhatsAppOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
    let err = read(b"ok\nok\n\xff\n", &WhatsAppOptions::default(), Cutting::default()).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
    assert!(parse_whatsapp("", "t", &WhatsAppOptions { tz: "Mars/Base".into(), ..Default::default() }).is_err());
}
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

const PIECES: [&str; 31] = [
    "31/12/2023, 21:41 - Alice: hi",
    "1/2/24, 9:41\u{202f}PM - Zoë: a&b <c>",
    "[01/01/2024, 00:00:05] Bob: ios",
    "12/31/23, 1:00 AM - Mo: month first",
    "31/12/2023, 21:42 - Bob joined using this group's invite link",
    "31/12/2023, 21:45 - Eve:    ",
    "31/12/2023, 21:45 - Eve: ",
    "continuation",
    "",
    "",
    "   ",
    "\t\u{3000}",
    "ﬁ ① ｘ josé@x.org",
    "\u{200e}03/11/2024, 01:30 - Dst: fold",
    "10/03/2024, 02:30 - Gap: gap",
    "  indented: text",
    "😀",
    "a\rb",
    "\r",
    "x - y: z",
    "31.12.23, 21:46 - Frank: dots",
    "\u{feff}31/12/2023, 21:47 - Bom: mark",
    "2020-06-13, 21:41 - Ymd: year first",
    "[2018/06/13, 9:41:05 p.\u{a0}m.] Ymd: ios",
    "13.06.18 21.25.15: Old: colon layout",
    "13/06/2012 9:25 a. m.: Old: colon",
    "\u{202b}[13/06/2018, 21:41] Rtl: x",
    "13/06/2012 21:25:99 - x",
    "31/12/2023 garbage",
    "03-06-2018, 01.55\u{202f}PM - Dash: dot time",
    "a\rb\r\nc",
];

fn random_export(rng: &mut Rng, lines: usize) -> String {
    let mut s = String::new();
    if rng.below(3) == 0 {
        s.push('\u{feff}');
    }
    for _ in 0..lines {
        s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
        s.push_str(if rng.below(4) == 0 { "\r\n" } else { "\n" });
    }
    if rng.below(2) == 0 {
        s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
    }
    s
}

fn options() -> Vec<WhatsAppOptions> {
    let mut out = Vec::new();
    for normalize in [false, true] {
        for date_order in [None, Some(DateOrder::DayFirst), Some(DateOrder::MonthFirst), Some(DateOrder::YearFirst)] {
            for tz in ["UTC", "America/New_York"] {
                for allow_unused_lines in [false, true] {
                    out.push(WhatsAppOptions {
                        tz: tz.into(),
                        date_order,
                        normalize,
                        allow_unused_lines,
                        ..WhatsAppOptions::default()
                    });
                }
            }
        }
    }
    out
}

fn same_counts(a: &ChatSummary, b: &Chat, what: &str) {
    assert_eq!(
        (a.lines, a.system_notices, a.dropped_empty, a.date_order),
        (b.lines, b.system_notices, b.dropped_empty, b.date_order),
        "{what}"
    );
    assert_eq!(
        (a.before_first_message, a.unparsed_headers, a.unused_lines),
        (b.before_first_message, b.unparsed_headers, b.unused_lines),
        "{what}"
    );
}

/// The reader gives the oracle's messages, counts and error lines, read in pieces of `sizes` bytes and
/// cut into chunks of `chunk` bytes, `in_flight` at a time.
fn check(text: &str, opts: &WhatsAppOptions, chunk: usize, in_flight: usize, sizes: &[usize]) {
    let want = super::oracle::parse(text, opts);
    let input = Trickle { bytes: text.as_bytes(), at: 0, sizes, k: 0 };
    let got = read_all(Box::new(input), "t", opts, Cutting { chunk_bytes: chunk, in_flight });
    let what = format!("{text:?} {opts:?} chunk {chunk} in flight {in_flight} reads {sizes:?}");
    match (&want, &got) {
        (Ok(w), Ok((messages, summary))) => {
            assert_eq!(&w.messages, messages, "{what}");
            same_counts(summary, w, &what);
        }
        (Err(Error::Parse { line: a, .. }), Err(Error::Parse { line: b, .. })) => assert_eq!(a, b, "{what}: {got:?}"),
        _ => panic!("{what}: {want:?} vs {got:?}"),
    }
}

#[test]
fn chunked_reader_equals_the_oracle_on_random_mixes() {
    let mut rng = Rng(7);
    let cuts: [(usize, usize, &[usize]); 6] =
        [(1, 1, &[1]), (2, 3, &[1, 2, 3]), (7, 2, &[5, 1]), (64, 4, &[64]), (13, 1, &[3, 7]), (1 << 19, 0, &[1 << 16])];
    for _ in 0..80 {
        let lines = rng.below(40) as usize;
        let text = random_export(&mut rng, lines);
        for opts in options() {
            for (chunk, in_flight, sizes) in cuts {
                check(&text, &opts, chunk, in_flight, sizes);
            }
        }
    }
    for text in ["", "\u{feff}", "\u{feff}\n", "\n", "\n\n", "a", "\r", "31/12/2023, 21:41 - A: x\r"] {
        for opts in options() {
            for (chunk, in_flight, sizes) in cuts {
                check(text, &opts, chunk, in_flight, sizes);
            }
        }
    }
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt")).unwrap();
    for opts in options() {
        for (chunk, in_flight, sizes) in [(1usize, 3usize, &[1usize][..]), (100, 2, &[37]), (1 << 19, 0, &[1 << 16])] {
            check(&sample, &opts, chunk, in_flight, sizes);
        }
    }
}

/// A message whose continuation lines span many chunks, one over the message limit, lines over the
/// line limit, bytes that are not UTF-8: the same lines whatever the chunking.
#[test]
fn long_messages_and_bad_lines_name_the_same_line_whatever_the_chunking() {
    let mut text = String::from("01/03/2024, 08:00 - Ann: start\n");
    for i in 0..200 {
        text.push_str(&format!("line {i} of a long message\n"));
    }
    text.push_str("01/03/2024, 09:00 - Bo: next\n");
    let small = WhatsAppOptions { max_message_bytes: 1000, ..Default::default() };
    for (chunk, in_flight) in [(1usize, 1usize), (16, 3), (100, 2), (4096, 1), (1 << 19, 0)] {
        let cut = Cutting { chunk_bytes: chunk, in_flight };
        let (m, _) = read(text.as_bytes(), &WhatsAppOptions::default(), cut).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].text.lines().count(), 201);
        assert_eq!(m[1].line, 202);
        let err = read(text.as_bytes(), &small, cut).unwrap_err();
        assert!(
            matches!(&err, Error::Parse { line: 1, message, .. } if message.contains("max_message_bytes")),
            "{err}"
        );
        let mut bad = text.clone().into_bytes();
        bad.extend_from_slice(b"01/03/2024, 10:00 - Cy: \xff\n01/03/2024, 10:01 - Di: ok\n");
        let err = read(&bad, &WhatsAppOptions::default(), cut).unwrap_err();
        assert!(matches!(&err, Error::Parse { line: 203, message, .. } if message.contains("UTF-8")), "{err}");
        let long = format!("{text}01/03/2024, 10:00 - Cy: {}\n", "z".repeat(300));
        let o = WhatsAppOptions { max_line_bytes: 200, ..Default::default() };
        let err = read(long.as_bytes(), &o, cut).unwrap_err();
        assert!(matches!(&err, Error::Parse { line: 203, message, .. } if message.contains("max_line_bytes")), "{err}");
        // An invalid date before a bad line is the error: the first in file order.
        let both =
            format!("01/03/2024, 08:00 - A: x\n31/02/2024, 08:00 - B: y\n01/03/2024, 08:01 - C: {}\n", "z".repeat(300));
        let err = read(both.as_bytes(), &o, cut).unwrap_err();
        assert!(matches!(&err, Error::Parse { line: 2, .. }), "{err}");
    }
}

#[test]
fn empty_lines_after_a_message_are_counted_not_stored() {
    let mut text = String::from("31/12/2023, 21:41 - A: first\n");
    text.push_str(&"\n".repeat(100_000));
    text.push_str("  \nlast\n");
    text.push_str(&"\n".repeat(100_000));
    for chunk in [64usize, 1 << 19] {
        let (m, s) =
            read(text.as_bytes(), &WhatsAppOptions::default(), Cutting { chunk_bytes: chunk, in_flight: 2 }).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].text, format!("first{}  \nlast", "\n".repeat(100_001)));
        assert_eq!(s.lines, 200_003);
    }
}

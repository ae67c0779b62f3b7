//! The line shapes real WhatsApp exports use (one test line each), and every error of a file that would
//! otherwise be read silently wrong: no message, most lines unused, lines too long, zips without a chat.

use std::io::Write;

use streamliner::Error;
use streamliner::io::whatsapp::{
    Chat, DateOrder, WhatsAppOptions, WhatsAppStream, chat_member, parse_date_order_flag, parse_whatsapp, read_whatsapp,
};
use streamliner::io::{ReadOptions, open_history};

fn opts(normalize: bool) -> WhatsAppOptions {
    WhatsAppOptions { normalize, ..Default::default() }
}

/// The one message of `line`, with and without the pipeline's normalization: (local time as
/// `YYYY-MM-DDTHH:MM:SS`, author, text).
fn one(line: &str) -> (String, String, String) {
    let mut out = Vec::new();
    for normalize in [false, true] {
        let chat = parse_whatsapp(line, "t", &opts(normalize)).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(chat.messages.len(), 1, "{line:?}");
        let m = &chat.messages[0];
        out.push((m.local.to_string(), m.author.clone(), m.text.clone()));
    }
    assert_eq!(out[0], out[1], "{line:?}: the same after NFKC normalization");
    out.swap_remove(0)
}

fn at(line: &str) -> String {
    one(line).0
}

#[test]
fn year_first_dates() {
    assert_eq!(one("2020-06-13, 21:41 - A: x"), ("2020-06-13T21:41:00".into(), "A".into(), "x".into()));
    assert_eq!(one("[2018/06/13, 21:41:05] A: x"), ("2018-06-13T21:41:05".into(), "A".into(), "x".into()));
    assert_eq!(one("[2019-06-13 21:41] A: x"), ("2019-06-13T21:41:00".into(), "A".into(), "x".into()));
    let chat = parse_whatsapp("2020-06-01, 21:41 - A: x\n", "t", &opts(false)).unwrap();
    assert_eq!(chat.date_order, Some(DateOrder::YearFirst));
    assert_eq!(chat.messages[0].local.to_string(), "2020-06-01T21:41:00");
    // Given as ymd, a two-digit year first reads as Python's %y.
    let ymd = WhatsAppOptions { date_order: Some(DateOrder::YearFirst), ..Default::default() };
    let chat = parse_whatsapp("18/06/13, 21:41 - A: x\n", "t", &ymd).unwrap();
    assert_eq!(chat.messages[0].local.to_string(), "2018-06-13T21:41:00");
}

#[test]
fn twelve_hour_markers_in_every_spelling() {
    for space in [" ", "\u{a0}", "\u{202f}"] {
        for (am, pm) in [("AM", "PM"), ("am", "pm"), ("a.m.", "p.m."), ("a. m.", "p. m."), ("A.M.", "P.M.")] {
            let (am, pm) = (am.replace(' ', space), pm.replace(' ', space));
            assert_eq!(at(&format!("13/06/2018, 9:41{space}{am} - A: x")), "2018-06-13T09:41:00", "{am:?}");
            assert_eq!(at(&format!("13/06/2018, 9:41{space}{pm} - A: x")), "2018-06-13T21:41:00", "{pm:?}");
            assert_eq!(at(&format!("13/06/2018, 12:05{space}{am} - A: x")), "2018-06-13T00:05:00", "{am:?}");
            assert_eq!(at(&format!("13/06/2018, 12:05{space}{pm} - A: x")), "2018-06-13T12:05:00", "{pm:?}");
            assert_eq!(at(&format!("[13/06/2018, 9:41:05{space}{pm}] A: x")), "2018-06-13T21:41:05", "{pm:?}");
        }
    }
    assert_eq!(at("13/06/2018, 9:41PM - A: x"), "2018-06-13T21:41:00");
    // A word that starts like a marker is no marker: the line is no header.
    let chat = parse_whatsapp("13/06/2018, 9:41 - A: x\n13/06/2018, 9:41 amx - B: y\n", "t", &opts(false)).unwrap();
    assert_eq!(chat.messages.len(), 1);
    assert_eq!(chat.unparsed_headers, 1);
}

#[test]
fn dot_times_and_dot_or_dash_dates() {
    assert_eq!(one("13.06.18, 21.25 - A: x"), ("2018-06-13T21:25:00".into(), "A".into(), "x".into()));
    assert_eq!(at("03-06-2018, 01.55 PM - A: x"), "2018-06-03T13:55:00");
    assert_eq!(one("13.06.18 21.25.15: A: x"), ("2018-06-13T21:25:15".into(), "A".into(), "x".into()));
}

#[test]
fn the_older_layout_with_a_colon_after_the_time() {
    assert_eq!(one("13/06/2012 21:25:15: A: x"), ("2012-06-13T21:25:15".into(), "A".into(), "x".into()));
    assert_eq!(
        one("13/06/2012 21:25: Ann Lee: hi: there"),
        ("2012-06-13T21:25:00".into(), "Ann Lee".into(), "hi: there".into())
    );
    assert_eq!(at("13/06/2012 9:25 p. m.: A: x"), "2012-06-13T21:25:00");
}

#[test]
fn bidi_marks_before_the_date_or_the_bracket() {
    for mark in ['\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}'] {
        assert_eq!(at(&format!("{mark}13/06/2018, 21:41 - A: x")), "2018-06-13T21:41:00", "{mark:?}");
        assert_eq!(at(&format!("{mark}[13/06/2018, 21:41:05] A: x")), "2018-06-13T21:41:05", "{mark:?}");
        assert_eq!(at(&format!("{mark}{mark}2018-06-13, 21:41 - A: x")), "2018-06-13T21:41:00", "{mark:?}");
    }
}

#[test]
fn shapes_that_parsed_before_still_parse() {
    assert_eq!(one("31/12/2023, 21:41 - Alice: text"), ("2023-12-31T21:41:00".into(), "Alice".into(), "text".into()));
    assert_eq!(at("[31/12/2023, 21:41:05] Alice: text"), "2023-12-31T21:41:05");
    assert_eq!(at("12/31/23, 9:41 PM - Alice: text"), "2023-12-31T21:41:00");
    assert_eq!(at("31.12.23, 21:46 - Frank: dots"), "2023-12-31T21:46:00");
    // Not headers, as before: a dash without spaces, a three-digit first field, no space after the colon.
    for line in ["31/12/2023, 21:41 -Alice: x", "310/12/2023, 21:41 - A: x", "31/12/2023, 21:41 - A:x"] {
        let text = format!("01/01/2024, 10:00 - Z: first\n{line}\n");
        let chat =
            parse_whatsapp(&text, "t", &WhatsAppOptions { allow_unused_lines: true, ..Default::default() }).unwrap();
        assert_eq!(chat.messages.len(), 1, "{line:?}");
    }
}

#[test]
fn date_order_flags() {
    assert_eq!(parse_date_order_flag("auto").unwrap(), None);
    assert_eq!(parse_date_order_flag("dmy").unwrap(), Some(DateOrder::DayFirst));
    assert_eq!(parse_date_order_flag("mdy").unwrap(), Some(DateOrder::MonthFirst));
    assert_eq!(parse_date_order_flag("YMD").unwrap(), Some(DateOrder::YearFirst));
    assert_eq!("year-first".parse::<DateOrder>().unwrap(), DateOrder::YearFirst);
    assert!(matches!(parse_date_order_flag("dym"), Err(Error::InvalidParameter { .. })));
    // One order per file: a year-first line in a day-first file (a pasted line) is no header there: it
    // continues the message before it, and is counted.
    let text = "13/06/2018, 21:41 - A: x\n2018-06-13, 21:42 - B: y\n13/06/2018, 21:43 - C: z\n";
    for o in [None, Some(DateOrder::DayFirst)] {
        let chat = parse_whatsapp(text, "t", &WhatsAppOptions { date_order: o, ..Default::default() }).unwrap();
        assert_eq!(chat.date_order, Some(DateOrder::DayFirst));
        assert_eq!(chat.messages.len(), 2);
        assert_eq!(chat.messages[0].text, "x\n2018-06-13, 21:42 - B: y");
        assert_eq!((chat.unparsed_headers, chat.unused_lines), (1, 1));
    }
    // The first header decides whether a file is year-first.
    let chat = parse_whatsapp("2018-06-13, 21:41 - A: x\n13/06/2018, 21:42 - B: y\n", "t", &opts(false)).unwrap();
    assert_eq!((chat.date_order, chat.messages.len()), (Some(DateOrder::YearFirst), 1));
    // The wrong order given for a whole file: no message, and the error says why.
    let ymd = WhatsAppOptions { date_order: Some(DateOrder::YearFirst), ..Default::default() };
    let err = parse_whatsapp("13/06/2018, 21:41 - A: x\n", "t", &ymd).unwrap_err();
    assert!(message_of(&err).contains("do not parse in date order YearFirst: see --date-order"), "{err}");
    // Within the file's shape, a date that does not exist is an error naming the line.
    let err = parse_whatsapp("13/06/2018, 21:41 - A: x\n31/02/2018, 21:42 - B: y\n", "t", &opts(false)).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
    // Inference: a first field over 12 means day-first, a second over 12 month-first, else day-first.
    let order = |t: &str| parse_whatsapp(t, "t", &opts(false)).unwrap().date_order;
    assert_eq!(order("13/06/2018, 1:00 - A: x\n"), Some(DateOrder::DayFirst));
    assert_eq!(order("06/13/2018, 1:00 - A: x\n"), Some(DateOrder::MonthFirst));
    assert_eq!(order("06/07/2018, 1:00 - A: x\n"), Some(DateOrder::DayFirst));
}

#[test]
fn lone_carriage_returns_end_lines() {
    let chat =
        parse_whatsapp("13/06/2018, 21:41 - A: x\rmore\r13/06/2018, 21:42 - B: y\r\n", "t", &opts(false)).unwrap();
    assert_eq!(chat.messages.len(), 2);
    assert_eq!(chat.messages[0].text, "x\nmore");
    assert_eq!(chat.lines, 3);
}

fn message_of(err: &Error) -> String {
    err.to_string()
}

#[test]
fn a_file_without_messages_is_an_error_quoting_its_first_line() {
    for text in ["", "\u{feff}", "\n\n  \n"] {
        let err = parse_whatsapp(text, "empty.txt", &opts(false)).unwrap_err();
        assert!(message_of(&err).contains("empty.txt") && message_of(&err).contains("no message"), "{err}");
    }
    let notices = "31/12/2023, 21:41 - Messages and calls are end-to-end encrypted.\n31/12/2023, 21:42 - Ann joined\n";
    let err = parse_whatsapp(notices, "notices.txt", &opts(false)).unwrap_err();
    let msg = message_of(&err);
    assert!(matches!(err, Error::Parse { line: 1, .. }), "{msg}");
    assert!(msg.contains("notices.txt") && msg.contains("Messages and calls are end-to-end encrypted."), "{msg}");
    // A long first line is cut to 80 characters.
    let prose = format!("{}\nmore prose\n", "é".repeat(10_000));
    let msg = message_of(&parse_whatsapp(&prose, "prose.txt", &opts(false)).unwrap_err());
    assert!(msg.contains(&format!("{}…", "é".repeat(80))) && !msg.contains(&"é".repeat(81)), "{msg}");
    assert!(msg.len() < 600, "{} bytes", msg.len());
}

#[test]
fn unused_lines_are_counted_and_most_unused_is_an_error() {
    let text = "intro\nmore intro\n31/12/2023, 21:40 - Messages are encrypted.\n31/12/2023, 21:41 - A: x\n\
                31/12/2023 broken header\ncontinued\n31/12/2023, 21:42 - B: y\n\n";
    let chat = parse_whatsapp(text, "t", &opts(false)).unwrap();
    assert_eq!(chat.before_first_message, 3);
    assert_eq!(chat.unparsed_headers, 1);
    assert_eq!(chat.unused_lines, 3, "two intro lines and the broken header; the notice is not unused");
    assert_eq!(chat.messages[0].text, "x\n31/12/2023 broken header\ncontinued");
    let text = "a\nb\nc\n31/12/2023, 21:41 - A: x\n31/12/2023, 21:42 - B: y\n";
    let err = parse_whatsapp(text, "mostly.txt", &opts(false)).unwrap_err();
    assert!(message_of(&err).contains("3 of its 5 non-empty lines go unused"), "{err}");
    let allow = WhatsAppOptions { allow_unused_lines: true, ..Default::default() };
    let chat = parse_whatsapp(text, "mostly.txt", &allow).unwrap();
    assert_eq!((chat.messages.len(), chat.unused_lines), (2, 3));
}

#[test]
fn a_line_past_the_limit_is_an_error_naming_it() {
    let o = WhatsAppOptions { max_line_bytes: 100, ..Default::default() };
    let text = format!("31/12/2023, 21:41 - A: x\n{}\n", "y".repeat(1000));
    let err = parse_whatsapp(&text, "long.txt", &o).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
    assert!(message_of(&err).contains("longer than 100 bytes"), "{err}");
    assert!(message_of(&err).contains(&format!("{}…", "y".repeat(80))), "{err}");
    assert!(message_of(&err).len() < 400, "{err}");
    let err = parse_whatsapp(&format!("31/12/2023, 21:41 - A: x\n{}\n", "z".repeat(99)), "t", &o).unwrap();
    assert_eq!(err.messages[0].text, format!("x\n{}", "z".repeat(99)));
    assert!(parse_whatsapp(&format!("31/12/2023, 21:41 - A: {}\n", "y".repeat(70)), "t", &o).is_ok());
}

fn zip_with(path: &std::path::Path, members: &[(&str, &str)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in members {
        zip.start_file(*name, o).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn zip_members_are_chosen_as_the_pipeline_does() {
    let dir = std::env::temp_dir().join(format!("streamliner_wa_formats_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chat = "31/12/2023, 21:41 - Ann: hi\n";
    let big = format!("31/12/2023, 21:41 - Mac: junk\n{}", "x\n".repeat(1000));

    let zip = dir.join("Export.zip");
    zip_with(&zip, &[("__MACOSX/._WhatsApp Chat with Mac.txt", &big), ("WhatsApp Chat with Grupo Ação.txt", chat)]);
    let stream = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap();
    assert_eq!(stream.group_name(), "Grupo Ação");
    let read: Chat = read_whatsapp(&zip, &WhatsAppOptions::default()).unwrap();
    assert_eq!(read.messages[0].author, "Ann");

    // Only a __MACOSX/ member: an error, never that member.
    zip_with(&zip, &[("__MACOSX/._chat.txt", &big), ("photo.jpg", "")]);
    let err = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap_err();
    assert!(message_of(&err).contains("no chat export") && message_of(&err).contains("__MACOSX"), "{err}");
    let err = open_history(&zip, &ReadOptions::default()).unwrap_err();
    assert!(message_of(&err).contains("Export.zip"), "{err}");

    // iOS names it _chat.txt: the group is the stem; a larger .txt without the name wins on size.
    zip_with(&zip, &[("_chat.txt", chat)]);
    assert_eq!(WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap().group_name(), "_chat");
    assert_eq!(chat_member([("a.txt", 10), ("WhatsApp Chat - Team.txt", 5), ("b.txt", 2_000_000)]), Some(2));
    assert_eq!(chat_member([("a.txt", 10), ("WhatsApp Chat - Team.txt", 5)]), Some(1));
    assert_eq!(chat_member([("dir/", 0), ("x.csv", 10)]), None);

    // A member past the size limit: an error naming it.
    zip_with(&zip, &[("WhatsApp Chat with Ann.txt", &big)]);
    let o = WhatsAppOptions { max_member_bytes: 100, ..Default::default() };
    let err = WhatsAppStream::open(&zip, &o).unwrap_err();
    assert!(message_of(&err).contains("WhatsApp Chat with Ann.txt") && message_of(&err).contains("limit"), "{err}");

    // A .txt export's group comes from its name too; no message in it is an error from the reader.
    let txt = dir.join("WhatsApp Chat with Blog club.txt");
    std::fs::write(&txt, "just prose\n").unwrap();
    let mut stream = WhatsAppStream::open(&txt, &WhatsAppOptions::default()).unwrap();
    assert_eq!(stream.group_name(), "Blog club");
    assert!(message_of(&stream.next_messages(10).unwrap_err()).contains("just prose"));
    let err = open_history(&txt, &ReadOptions::default()).unwrap().read_all().unwrap_err();
    assert!(message_of(&err).contains("just prose"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn history_readers_report_the_counts() {
    let dir = std::env::temp_dir().join(format!("streamliner_wa_counts_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("chat.txt");
    std::fs::write(&txt, "31/12/2023, 21:40 - Encrypted.\n31/12/2023, 21:41 - A: x\n31/12/2023 odd\n2023-12-31 x\n")
        .unwrap();
    let reader = open_history(&txt, &ReadOptions { batch_size: 1, ..Default::default() }).unwrap();
    let handle = reader.whatsapp_summary().unwrap();
    let batch = reader.read_all().unwrap();
    assert_eq!(batch.num_rows(), 1);
    let s = handle.get();
    assert_eq!((s.lines, s.system_notices, s.before_first_message, s.unparsed_headers), (4, 1, 1, 2));
    assert_eq!((s.unused_lines, s.non_empty_lines, s.messages), (2, 4, 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The zip member a WhatsApp export is read from, and the limits that keep one export from taking the
//! machine: a message past its cap, a zip member that expands too far, UTF-16 input. Each is a clean
//! error naming the line, the member or the limit, never a wrong chat or unbounded memory.

use std::io::Write;

use arrow_array::cast::AsArray;
use streamliner::Error;
use streamliner::io::whatsapp::{WhatsAppOptions, WhatsAppStream, read_whatsapp};

fn message_of(err: &Error) -> String {
    err.to_string()
}

fn zip_with(path: &std::path::Path, members: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, o).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("streamliner_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_chat_member_is_the_one_whatsapp_names_then_the_one_that_reads_as_a_chat() {
    let d = dir("wa_members");
    let zip = d.join("export.zip");
    let chat = "31/12/2023, 21:41 - Ann: hi\n31/12/2023, 21:42 - Bo: yo\n".repeat(3);
    let notes = "shopping list\n".repeat(10_000);
    let fake = "01/01/2020, 10:00 - Notes: a line that looks like a chat\n".repeat(500);

    // iOS names its chat _chat.txt: a larger notes file beside it is not read.
    zip_with(&zip, &[("_chat.txt", chat.as_bytes()), ("notes.txt", notes.as_bytes())]);
    let mut stream = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap();
    let batch = stream.next().unwrap().unwrap();
    assert_eq!(batch.num_rows(), 6);
    assert_eq!(stream.summary().member.as_deref(), Some("_chat.txt"));
    // ...even when the notes look like chat lines.
    zip_with(&zip, &[("notes.txt", fake.as_bytes()), ("_chat.txt", chat.as_bytes())]);
    let read = read_whatsapp(&zip, &WhatsAppOptions::default()).unwrap();
    assert_eq!((read.messages.len(), read.messages[0].author.as_str()), (6, "Ann"));
    // Other locales' names.
    zip_with(&zip, &[("Conversa do WhatsApp com Ana.txt", chat.as_bytes()), ("notes.txt", fake.as_bytes())]);
    let stream = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap();
    assert_eq!(stream.summary().member.as_deref(), Some("Conversa do WhatsApp com Ana.txt"));

    // No name WhatsApp gives: the member whose first lines start messages, not the larger one.
    zip_with(&zip, &[("notes.txt", notes.as_bytes()), ("export.txt", chat.as_bytes())]);
    let stream = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap();
    assert_eq!(stream.summary().member.as_deref(), Some("export.txt"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_message_past_its_cap_is_an_error_naming_its_line_and_the_cap() {
    let d = dir("wa_message_cap");
    let txt = d.join("chat.txt");
    let mut f = std::fs::File::create(&txt).unwrap();
    writeln!(f, "31/12/2023, 21:40 - Ann: short").unwrap();
    writeln!(f, "31/12/2023, 21:41 - Bo: long").unwrap();
    let line = format!("{}\n", "x".repeat(1 << 10));
    for _ in 0..(4 << 10) {
        f.write_all(line.as_bytes()).unwrap();
    }
    writeln!(f, "31/12/2023, 21:42 - Cy: after").unwrap();
    drop(f);
    let small = WhatsAppOptions { max_message_bytes: 1 << 20, ..Default::default() };
    let err = read_whatsapp(&txt, &small).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 2, .. }), "{err}");
    assert!(message_of(&err).contains("max_message_bytes") && message_of(&err).contains("1048576"), "{err}");
    // Under the default cap (64 MiB) the same export reads.
    let chat = read_whatsapp(&txt, &WhatsAppOptions::default()).unwrap();
    assert_eq!(chat.messages.len(), 3);
    assert_eq!(chat.messages[1].text.len(), 4 + (4 << 10) * (1 + (1 << 10)));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_zip_member_that_expands_too_far_is_an_error_naming_the_limit() {
    let d = dir("wa_zip_ratio");
    let zip = d.join("bomb.zip");
    // 96 MiB of one repeated message: about 1000 times smaller compressed.
    let mut body = b"31/12/2023, 21:40 - Ann: ".to_vec();
    body.extend(std::iter::repeat_n(b'a', 96 << 20));
    body.push(b'\n');
    zip_with(&zip, &[("WhatsApp Chat with Bomb.txt", &body)]);
    assert!(std::fs::metadata(&zip).unwrap().len() < 1 << 20);
    let err = WhatsAppStream::open(&zip, &WhatsAppOptions::default()).unwrap_err();
    assert!(message_of(&err).contains("max_zip_ratio") && message_of(&err).contains("Bomb"), "{err}");
    // A caller who trusts the file lifts the ratio (the message cap then stops it).
    let lifted = WhatsAppOptions { max_zip_ratio: u64::MAX, ..Default::default() };
    let mut stream = WhatsAppStream::open(&zip, &lifted).unwrap();
    let err = stream.next().unwrap().unwrap_err();
    assert!(message_of(&err).contains("max_message_bytes") || message_of(&err).contains("max_line_bytes"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn utf16_input_is_named_as_such() {
    let d = dir("wa_utf16");
    let txt = d.join("chat.txt");
    let utf16: Vec<u8> = "\u{feff}31/12/2023, 21:40 - Ann: hi\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&txt, utf16).unwrap();
    let err = read_whatsapp(&txt, &WhatsAppOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 1, .. }) && message_of(&err).contains("UTF-16"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn batches_hold_every_chat_column() {
    let d = dir("wa_columns");
    let txt = d.join("chat.txt");
    std::fs::write(&txt, "31/12/2023, 21:40 - Ann : hi\n  there  \n").unwrap();
    let mut stream =
        WhatsAppStream::open(&txt, &WhatsAppOptions { tz: "Europe/Lisbon".into(), ..Default::default() }).unwrap();
    let b = stream.next().unwrap().unwrap();
    let names: Vec<&str> = b.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, streamliner::io::chat::COLUMNS);
    assert_eq!(b.column_by_name("author").unwrap().as_string::<i32>().value(0), "Ann");
    assert_eq!(b.column_by_name("text").unwrap().as_string::<i32>().value(0), "hi\n  there");
    assert_eq!(b.column_by_name("original_line").unwrap().as_string::<i32>().value(0), "Ann : hi\n  there");
    let only = WhatsAppStream::open(&txt, &WhatsAppOptions::default()).unwrap().with_columns(&["text", "ts"]).unwrap();
    assert_eq!(only.schema().fields().len(), 2);
    assert!(WhatsAppStream::open(&txt, &WhatsAppOptions::default()).unwrap().with_columns(&["nope"]).is_err());
    std::fs::remove_dir_all(&d).unwrap();
}

//! Streaming WhatsApp exports: memory does not grow with the file. A counting allocator measures the
//! peak bytes held while a zip of many megabytes of newlines (the shape of a 4.7 MB zip holding 1 GiB of
//! newlines, scaled down) is parsed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use streamliner::io::whatsapp::{WhatsAppOptions, WhatsAppStream, read_whatsapp};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes of newlines in the generated export.
const NEWLINES: usize = 48 << 20;

fn zip_of(path: &std::path::Path, head: &str, tail: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("WhatsApp Chat with Newlines.txt", opts).unwrap();
    zip.write_all(head.as_bytes()).unwrap();
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..NEWLINES >> 20 {
        zip.write_all(&block).unwrap();
    }
    zip.write_all(tail.as_bytes()).unwrap();
    zip.finish().unwrap();
}

/// Peak bytes allocated (above what was held before) while `f` runs.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(base))
}

#[test]
fn a_zip_of_newlines_is_read_line_by_line() {
    let dir = std::env::temp_dir().join(format!("streamliner_newlines_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Only newlines: no message, an error once every line is read (in bounded memory).
    let only = dir.join("only.zip");
    zip_of(&only, "", "");
    assert!(std::fs::metadata(&only).unwrap().len() < (NEWLINES / 100) as u64, "the zip is small");
    let (summary, peak) = peak_during(|| {
        let mut s = WhatsAppStream::open(&only, &WhatsAppOptions { normalize: true, ..Default::default() }).unwrap();
        let err = s.next_messages(1000).unwrap_err();
        assert!(err.to_string().contains("no message"), "{err}");
        assert!(s.next_messages(1000).unwrap().is_none(), "exhausted after the error");
        s.summary()
    });
    assert_eq!(summary.lines, NEWLINES as u64);
    assert!(peak < 4 << 20, "peak {peak} bytes for {NEWLINES} bytes of newlines");

    // A message, then the newlines, then another: the first message's trailing empty lines are
    // counted, not stored.
    let some = dir.join("some.zip");
    zip_of(&some, "01/03/2024, 08:00 - Ann: hello\n", "01/03/2024, 09:00 - Bo: bye\n");
    let (chat, peak) = peak_during(|| read_whatsapp(&some, &WhatsAppOptions::default()).unwrap());
    assert_eq!(chat.messages.len(), 2);
    assert_eq!((chat.messages[0].text.as_str(), chat.messages[1].text.as_str()), ("hello", "bye"));
    assert_eq!(chat.messages[1].line, NEWLINES as u64 + 2);
    assert!(peak < 4 << 20, "peak {peak} bytes for {NEWLINES} bytes of newlines");

    // The same as a plain .txt file.
    let txt = dir.join("some.txt");
    let mut f = std::fs::File::create(&txt).unwrap();
    f.write_all(b"01/03/2024, 08:00 - Ann: hello\n").unwrap();
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..NEWLINES >> 20 {
        f.write_all(&block).unwrap();
    }
    f.write_all(b"\n01/03/2024, 09:00 - Bo: bye").unwrap();
    drop(f);
    let (chat, peak) = peak_during(|| read_whatsapp(&txt, &WhatsAppOptions::default()).unwrap());
    assert_eq!(chat.messages.len(), 2);
    assert_eq!(chat.lines, NEWLINES as u64 + 3);
    assert!(peak < 4 << 20, "peak {peak} bytes for {NEWLINES} bytes of newlines");
    std::fs::remove_dir_all(&dir).unwrap();
}

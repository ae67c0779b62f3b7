//! The CSV reader on arbitrary bytes (written to a file of this process), whole and streamed in small
//! batches, in UTC and in a zone: never panics; an error names the file and stays short.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamliner::io::{ReadOptions, open_history, read_history};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else { return };
    let path = std::env::temp_dir().join(format!("streamliner-fuzz-csv-{}.csv", std::process::id()));
    if std::fs::write(&path, rest).is_err() {
        return;
    }
    let tz = if knobs & 1 == 0 { "UTC" } else { "Europe/Paris" };
    let opts = ReadOptions { tz: tz.into(), batch_size: usize::from(knobs >> 1).max(1), ..ReadOptions::default() };
    let check = |r: streamliner::Result<()>| {
        if let Err(e) = r {
            let text = e.to_string();
            let named =
                text.contains("streamliner-fuzz-csv") || matches!(e, streamliner::Error::InvalidParameter { .. });
            assert!(named, "{text}");
            assert!(text.len() < 2000, "an error of {} bytes", text.len());
        }
    };
    check(read_history(&path, &opts).map(|_| ()));
    check(open_history(&path, &opts).and_then(|r| r.collect::<streamliner::Result<Vec<_>>>()).map(|_| ()));
});

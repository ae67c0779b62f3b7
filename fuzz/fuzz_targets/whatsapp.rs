//! The WhatsApp parser's public entry on arbitrary text: never panics; messages come from distinct lines in
//! file order. The first byte picks the options (date order, normalization, zone).
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, parse_whatsapp};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let date_order = match knobs % 3 {
        0 => None,
        1 => Some(DateOrder::DayFirst),
        _ => Some(DateOrder::MonthFirst),
    };
    let tz = ["UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"][usize::from(knobs >> 3) % 4];
    let opts = WhatsAppOptions { tz: tz.into(), date_order, normalize: knobs & 4 != 0 };
    if let Ok(chat) = parse_whatsapp(&text, "fuzz.txt", &opts) {
        let lines: Vec<u64> = chat.messages.iter().map(|m| m.line).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
        assert!(lines.iter().all(|&l| l >= 1 && l <= chat.lines.max(1)), "{lines:?} of {}", chat.lines);
    }
});

//! Timestamp formatting and the time kernels on the CPU with arbitrary i64 values of every unit: never
//! panics; every value prints as a date (checked against jiff where jiff has the instant); local_to_utc and
//! utc_dates answer or refuse (no wrapped values).
#![no_main]

use std::sync::OnceLock;

use arrow_array::TimestampMicrosecondArray;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_schema::TimeUnit;
use libfuzzer_sys::fuzz_target;
use streamliner::io::format_timestamp;
use streamliner::time::{local_to_utc, utc_dates};
use streamliner::{Backend, Engine};

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(Backend::Cpu).expect("the CPU engine always builds"))
}

const ZONES: [&str; 6] =
    ["UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham", "Africa/Casablanca", "America/St_Johns"];

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else { return };
    let values: Vec<i64> = rest.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    for &v in &values {
        for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
            let text = format_timestamp(v, unit);
            assert!(text.ends_with('Z') && text.len() >= 27, "{v} {unit:?}: {text}");
        }
        if let Ok(t) = jiff::Timestamp::from_microsecond(v) {
            let year = jiff::tz::TimeZone::UTC.to_datetime(t).year();
            if (0..=9999).contains(&year) {
                assert_eq!(
                    format_timestamp(v, TimeUnit::Microsecond),
                    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
                );
            }
        }
    }
    let zone = ZONES[usize::from(knobs) % ZONES.len()];
    let local = TimestampMicrosecondArray::from(values.clone());
    if let Ok(utc) = local_to_utc(engine(), &local, zone) {
        let utc = utc.as_primitive::<TimestampMicrosecondType>();
        for (i, &l) in values.iter().enumerate() {
            // Offsets are under a day: no wrapped value.
            assert!((i128::from(l) - i128::from(utc.value(i))).abs() < 86_400_000_000, "{l} -> {}", utc.value(i));
        }
    }
    if let Ok(d) = utc_dates(engine(), &local) {
        for (i, &v) in values.iter().enumerate() {
            assert_eq!(i64::from(d.value(i)), v.div_euclid(86_400_000_000));
        }
        assert_eq!(d.len(), values.len());
    }
});

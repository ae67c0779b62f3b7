//! Local wall-clock time to UTC across DST transitions, against Python's zoneinfo (fold=0), and UTC dates.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, TimestampSecondType};
use arrow_array::{Array, Date32Array, TimestampMicrosecondArray, TimestampSecondArray};
use common::Rng;
use streamliner::Engine;
use streamliner::time::{local_to_utc, utc_dates};

struct Case {
    zone: String,
    local: i64,
    utc: i64,
    date: String,
}

fn fixtures() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zoneinfo.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            zone: c["zone"].as_str().unwrap().to_string(),
            local: c["local_us"].as_i64().unwrap(),
            utc: c["utc_us"].as_i64().unwrap(),
            date: c["utc_date"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn matches_python_zoneinfo(engine: &Engine) {
    let cases = fixtures();
    let mut zones: Vec<&str> = cases.iter().map(|c| c.zone.as_str()).collect();
    zones.dedup();
    for zone in zones {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.zone == zone).collect();
        let local = TimestampMicrosecondArray::from(mine.iter().map(|c| c.local).collect::<Vec<_>>());
        let utc = local_to_utc(engine, &local, zone).unwrap();
        let utc = utc.as_primitive::<TimestampMicrosecondType>();
        let dates = utc_dates(engine, utc).unwrap();
        for (i, c) in mine.iter().enumerate() {
            assert_eq!(utc.value(i), c.utc, "{zone}: local {} ({})", c.local, c.date);
            let d = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(dates.value(i))).unwrap();
            assert_eq!(d.to_string(), c.date, "{zone}: date of {}", c.utc);
        }
        assert_eq!(utc.data_type().to_string(), "Timestamp(µs, \"UTC\")");
    }
}

fn random_times_match_jiff(engine: &Engine) {
    let mut rng = Rng::new(70);
    for zone in ["Europe/Berlin", "America/Santiago", "Asia/Tehran", "Africa/Casablanca", "America/St_Johns"] {
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        let local: Vec<i64> = (0..20_000).map(|_| 946_684_800 + rng.below(30 * 365 * 86_400) as i64).collect();
        let arr = TimestampSecondArray::from(local.clone());
        let utc = local_to_utc(engine, &arr, zone).unwrap();
        let utc = utc.as_primitive::<TimestampSecondType>();
        for (i, &l) in local.iter().enumerate() {
            let dt = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::from_second(l).unwrap());
            let want = tz.to_ambiguous_timestamp(dt).compatible().unwrap().as_second();
            assert_eq!(utc.value(i), want, "{zone} {dt}");
        }
    }
}

fn nulls_and_errors(engine: &Engine) {
    let local = TimestampMicrosecondArray::from(vec![Some(0), None, Some(86_400_000_000 - 1), Some(-1)]);
    let utc = local_to_utc(engine, &local, "UTC").unwrap();
    assert!(utc.is_null(1));
    let dates: Date32Array = utc_dates(engine, utc.as_ref()).unwrap();
    assert!(dates.is_null(1));
    assert_eq!((dates.value(0), dates.value(2), dates.value(3)), (0, 0, -1));
    assert!(local_to_utc(engine, &local, "Not/AZone").is_err());
    let ints = arrow_array::Int64Array::from(vec![1]);
    assert!(local_to_utc(engine, &ints, "UTC").is_err());
    let empty = TimestampMicrosecondArray::from(Vec::<i64>::new());
    assert_eq!(local_to_utc(engine, &empty, "Europe/Paris").unwrap().len(), 0);
}

on_every_backend!(matches_python_zoneinfo, random_times_match_jiff, nulls_and_errors);

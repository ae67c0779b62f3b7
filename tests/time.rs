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

/// Local times within a zone's offset of the ends of i64 have no UTC time in i64: an error names the row, on
/// every backend, rather than wrap (i64::MAX - 1 in New York would become about -9.22e18).
fn local_to_utc_refuses_to_wrap(engine: &Engine) {
    for (zone, value) in [("America/New_York", i64::MAX - 1), ("Asia/Tokyo", i64::MIN + 1), ("Asia/Tokyo", i64::MIN)] {
        let local = TimestampMicrosecondArray::from(vec![Some(0), None, Some(value)]);
        let err = local_to_utc(engine, &local, zone).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("limit of i64"), "{zone} {value}: {err}");
    }
    // UTC (offset 0) reaches both ends, and a zone's offset short of the end is fine.
    let ends = TimestampMicrosecondArray::from(vec![i64::MIN, i64::MAX]);
    let utc = local_to_utc(engine, &ends, "UTC").unwrap();
    assert_eq!(utc.as_primitive::<TimestampMicrosecondType>().values().as_ref(), &[i64::MIN, i64::MAX]);
    let near = TimestampMicrosecondArray::from(vec![i64::MAX - 86_400_000_000]);
    let utc = local_to_utc(engine, &near, "America/New_York").unwrap();
    assert!(utc.as_primitive::<TimestampMicrosecondType>().value(0) > i64::MAX - 86_400_000_000);
}

/// `utc_dates` gives the CPU's dates on every backend, spans over 10^8 days included. Every unit, the
/// ends of i64, negative times and times next to midnight: the date is floor division by the day's length on
/// every backend, or the same error where the date is beyond Date32.
fn utc_dates_at_the_extremes(engine: &Engine) {
    use arrow_array::{TimestampMillisecondArray, TimestampNanosecondArray};
    use arrow_schema::TimeUnit;
    let mut rng = Rng::new(88);
    for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
        let per_day: i64 = 86_400
            * match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
        // Ordinary values (as many as the unit's range allows), then midnights and their neighbours.
        let span = (i64::from(i32::MAX) * per_day).min(i64::MAX / 2);
        // 8200 random values: past the chunked engine's 8192-element segment.
        let mut values: Vec<i64> = (0..8200).map(|_| (rng.next_u64() as i64) % span).collect();
        for d in [-1i64, 0, 1, -719_468, 2_932_896, -(1 << 30), 1 << 30] {
            if let Some(m) = d.checked_mul(per_day) {
                values.extend([m - 1, m, m + 1]);
            }
        }
        let fits = values.clone();
        let extremes = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        for v in [fits, extremes.to_vec()] {
            let arr: Box<dyn Array> = match unit {
                TimeUnit::Second => Box::new(TimestampSecondArray::from(v.clone())),
                TimeUnit::Millisecond => Box::new(TimestampMillisecondArray::from(v.clone())),
                TimeUnit::Microsecond => Box::new(TimestampMicrosecondArray::from(v.clone())),
                TimeUnit::Nanosecond => Box::new(TimestampNanosecondArray::from(v.clone())),
            };
            let want: Option<Vec<i32>> = v.iter().map(|&t| i32::try_from(t.div_euclid(per_day)).ok()).collect();
            match (utc_dates(engine, arr.as_ref()), want) {
                (Ok(got), Some(want)) => assert_eq!(got.values().as_ref(), want.as_slice(), "{unit:?}"),
                (Err(e), None) => assert!(e.to_string().contains("Date32"), "{unit:?}: {e}"),
                (got, want) => panic!("{unit:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}

on_every_backend!(
    matches_python_zoneinfo,
    random_times_match_jiff,
    nulls_and_errors,
    local_to_utc_refuses_to_wrap,
    utc_dates_at_the_extremes
);

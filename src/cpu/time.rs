//! CPU twin of the time kernels: local wall-clock to UTC through a transition table, and UTC dates.

/// A zone's offsets over a range, as the local times at which they take effect.
///
/// `switch[k]` is the wall-clock time (in timestamp units) from which `offsets[k + 1]` applies;
/// before `switch[0]`, `offsets[0]` applies. A transition at UTC instant `T` from offset `a` to `b`
/// switches at `T + max(a, b)`: a wall time in a gap keeps the offset before it (it moves forward by
/// the gap) and a wall time in a fold keeps it too (its first occurrence), which is Python's zoneinfo
/// with fold=0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ZoneTable {
    pub switch: Vec<i64>,
    pub offsets: Vec<i64>,
}

impl ZoneTable {
    /// The offset that applies at wall-clock time `local`.
    pub fn offset(&self, local: i64) -> i64 {
        self.offsets[self.switch.partition_point(|&s| s <= local)]
    }
}

/// UTC times of wall-clock times.
pub(crate) fn local_to_utc(local: &[i64], table: &ZoneTable) -> Vec<i64> {
    local.iter().map(|&l| l.wrapping_sub(table.offset(l))).collect()
}

/// Days since 1970-01-01 of UTC times, `per_day` units a day.
pub(crate) fn utc_days(ts: &[i64], per_day: i64) -> Vec<i64> {
    ts.iter().map(|&t| t.div_euclid(per_day)).collect()
}

//! The window rules over the row buffer: a [`Rule`] holds a window kind's parameters (`count.rs`,
//! `time.rs`, `budget.rs` step them), a [`Cursor`] where a partition stands. A window is emitted as soon
//! as no later row can change it, so the same steps serve a stream of batches and a history held whole.

use std::collections::VecDeque;

use arrow_schema::TimeUnit;

use super::budget::Budget;
use super::buffer::Buffer;
use super::count::Count;
use super::output::Window;
use super::pos::Pos;
use super::spec::{StepUnit, WindowSpec};
use super::time::Time;
use crate::engine::Engine;
use crate::error::Result;

/// The parameters of a window kind, fixed once the timestamp unit is known.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    Count(Count),
    Time(Time),
    Budget(Budget),
}

impl Rule {
    /// The rule of `spec` for timestamps in `unit`.
    pub fn of(spec: &WindowSpec, unit: TimeUnit) -> Result<Rule> {
        Ok(match spec.step_unit {
            StepUnit::Messages => Rule::Count(Count::of(spec)),
            StepUnit::Hours | StepUnit::Days => Rule::Time(Time::of(spec, unit)?),
            StepUnit::Bytes => Rule::Budget(Budget::of(spec, unit)),
        })
    }
}

/// Where a partition's windows stand: its rule and position.
pub(crate) struct Cursor {
    pub rule: Rule,
    pos: Pos,
    /// Budget windows found at once on the device, `(start, end, weight)`, emitted from here in order.
    found: Option<VecDeque<(u64, u64, u64)>>,
}

impl Cursor {
    /// A cursor before the first window; `per_window` is added to the weight of every window with rows.
    pub fn new(rule: Rule, per_window: u64) -> Self {
        Cursor { rule, pos: Pos::new(per_window), found: None }
    }

    /// The first row any window still to come can hold: rows before it can be released.
    pub fn needed_from(&self, buf: &Buffer) -> u64 {
        if let Some(found) = &self.found {
            return found.front().map_or(buf.end, |w| w.0);
        }
        match self.rule {
            Rule::Count(c) => c.needed_from(&self.pos),
            Rule::Time(t) => t.needed_from(&self.pos, buf),
            Rule::Budget(_) => self.pos.next,
        }
    }

    /// Makes `buf` ready for the steps: on a GPU, the budget windows of a whole history whose running
    /// weights are on the device are found there at once (only the window table comes back); otherwise
    /// the running weights come to the host, where the rules search them.
    pub fn prepare(&mut self, engine: &Engine, buf: &mut Buffer, ended: bool) -> Result<()> {
        if let Rule::Budget(p) = self.rule
            && ended
            && self.pos.index == 0
            && self.found.is_none()
            && let Some(whole) = buf.whole()
            && let Some(a) = whole.device_prefix()
        {
            self.found = Some(p.on_device(engine, a, &whole.ts)?);
        }
        if self.found.is_some() {
            return Ok(());
        }
        buf.make_host()
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    /// `None`: none is final yet (or, when `ended`, there are no more windows).
    ///
    /// # Errors
    /// [`crate::Error::LimitExceeded`] when time windows pass `max_windows`.
    pub fn step(&mut self, buf: &Buffer, ended: bool) -> Result<Option<Window>> {
        if self.pos.done {
            return Ok(None);
        }
        let pos = &mut self.pos;
        let w = match (&mut self.found, self.rule) {
            (Some(found), _) => found.pop_front().map(|(s, e, weight)| pos.window_of(buf, s, e, weight, None)),
            (None, Rule::Count(c)) => c.step(pos, buf, ended),
            (None, Rule::Time(t)) => t.step(pos, buf, ended)?,
            (None, Rule::Budget(b)) => b.step(pos, buf, ended),
        };
        Ok(self.pos.emit(w, ended))
    }
}

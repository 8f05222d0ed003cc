//! perf-event counters for a run, and the tier decision (`hardware`, `software`, `rusage`).
//!
//! How counts cover a whole run: the counters are opened on cargo-concur itself with `inherit`, disabled,
//! before any run. Right before a harness is spawned they are read and enabled; every process and thread
//! created from then on inherits them (the harness, its threads, its worker processes), and a child's counts
//! are folded into ours when it exits. After `wait4` reaped the harness they are disabled and read again:
//! the difference is the run. `inherit` rules out perf groups, so each counter is read on its own with its
//! enabled/running times; a counter that ran less than it was enabled (multiplexed) is scaled and marked as
//! an estimate. cargo-concur's own thread between the two reads (spawn and a blocking `wait4`) is counted
//! too; it is tiny next to a run. The watchdog thread was created before the counters, so it is not counted.
//!
//! Seam for the fallback path: `CONCUR_PERF=off` opens nothing (as `--no-perf`), `CONCUR_PERF=software`
//! skips the hardware events; [`open_with`] takes the opener, so tests can make every open fail.

use perf_event::events::{Event, Hardware, Software};
use perf_event::{Builder, Counter};

use crate::profile::doc::{CounterTier, Counters};

/// The events measured, in the order of [`Reading::values`].
pub const EVENTS: [(&str, Kind); 6] = [
    ("instructions", Kind::Hardware),
    ("cycles", Kind::Hardware),
    ("cache-misses", Kind::Hardware),
    ("task-clock", Kind::Software),
    ("context-switches", Kind::Software),
    ("page-faults", Kind::Software),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hardware,
    Software,
}

fn event(index: usize) -> Event {
    match index {
        0 => Hardware::INSTRUCTIONS.into(),
        1 => Hardware::CPU_CYCLES.into(),
        2 => Hardware::CACHE_MISSES.into(),
        3 => Software::TASK_CLOCK.into(),
        4 => Software::CONTEXT_SWITCHES.into(),
        _ => Software::PAGE_FAULTS.into(),
    }
}

/// The real opener: an inherited, disabled counter on this process. Software events (context switches,
/// page faults) happen in the kernel, so they are opened with kernel counting, or not at all.
pub fn open_real(index: usize) -> std::io::Result<Counter> {
    let build = |kernel: bool| {
        let mut b = Builder::new().kind(event(index)).observe_self();
        b.inherit(true);
        b.enabled(false);
        b.exclude_kernel(!kernel);
        b.build()
    };
    match index {
        // Task-clock also counts in user mode only, where kernel counting is not permitted.
        3 => build(true).or_else(|_| build(false)),
        // Counted in user mode only, context switches and page faults would read 0: not opened then
        // (rusage still has them).
        4 | 5 => build(true),
        _ => build(false),
    }
}

/// The counters of a profile session (possibly none).
pub struct CounterSet {
    pub tier: CounterTier,
    /// Why the tier is below `hardware`, for the JSON and the one stderr line.
    pub note: Option<String>,
    counters: Vec<(usize, Counter)>,
    before: Vec<(u64, u64, u64)>,
}

/// One run's counts: per event (count, estimated), `None` where the event is not open.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub values: [Option<(u64, bool)>; 6],
    /// Smallest time_running / time_enabled over the open counters (1.0: none multiplexed).
    pub running_fraction: f64,
}

/// Opens counters: none with [`CounterChoice::Rusage`](super::settings::CounterChoice::Rusage) or `CONCUR_PERF=off`; software only with
/// `CONCUR_PERF=software`.
pub fn open(choice: super::settings::CounterChoice) -> CounterSet {
    let env = std::env::var("CONCUR_PERF").unwrap_or_default();
    if choice == super::settings::CounterChoice::Rusage {
        return CounterSet::none("--no-perf was given".to_string());
    }
    if env == "off" {
        return CounterSet::none("CONCUR_PERF=off".to_string());
    }
    let software_only = env == "software";
    open_with(software_only, &mut open_real)
}

/// Opens what `opener` can; decides the tier from what opened.
pub fn open_with(
    software_only: bool,
    opener: &mut dyn FnMut(usize) -> std::io::Result<Counter>,
) -> CounterSet {
    let mut counters = Vec::new();
    let mut hw_error = None;
    let mut sw_error = None;
    for (i, (_, kind)) in EVENTS.iter().enumerate() {
        if software_only && *kind == Kind::Hardware {
            continue;
        }
        match opener(i) {
            Ok(c) => counters.push((i, c)),
            Err(e) => {
                let slot = if *kind == Kind::Hardware {
                    &mut hw_error
                } else {
                    &mut sw_error
                };
                slot.get_or_insert(e);
            }
        }
    }
    let has = |k: Kind| counters.iter().any(|(i, _)| EVENTS[*i].1 == k);
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    let (tier, note) = if has(Kind::Hardware) && has(Kind::Software) {
        (CounterTier::Hardware, None)
    } else if has(Kind::Software) {
        let why = if software_only {
            "CONCUR_PERF=software".to_string()
        } else {
            format!(
                "hardware counters unavailable ({}; no PMU in this VM/container?)",
                hw_error.map_or("not opened".to_string(), |e| e.to_string())
            )
        };
        (CounterTier::Software, Some(why))
    } else {
        counters.clear();
        let why = format!(
            "perf events not permitted ({}; perf_event_paranoid = {paranoid})",
            sw_error
                .or(hw_error)
                .map_or("not opened".to_string(), |e| e.to_string())
        );
        (CounterTier::Rusage, Some(why))
    };
    let n = counters.len();
    CounterSet {
        tier,
        note,
        counters,
        before: vec![(0, 0, 0); n],
    }
}

impl CounterSet {
    fn none(why: String) -> CounterSet {
        CounterSet {
            tier: CounterTier::Rusage,
            note: Some(why),
            counters: Vec::new(),
            before: Vec::new(),
        }
    }

    /// Reads the starting values and enables counting. Call right before spawning.
    pub fn start(&mut self) {
        for (k, (_, c)) in self.counters.iter_mut().enumerate() {
            self.before[k] = c
                .read_count_and_time()
                .map(|t| (t.count, t.time_enabled, t.time_running))
                .unwrap_or((0, 0, 0));
            let _ = c.enable();
        }
    }

    /// Disables counting and returns what was counted since `start`. Call after the run was reaped.
    pub fn stop(&mut self) -> Reading {
        let mut reading = Reading {
            running_fraction: if self.counters.is_empty() { 0.0 } else { 1.0 },
            ..Reading::default()
        };
        for (k, (i, c)) in self.counters.iter_mut().enumerate() {
            let _ = c.disable();
            let Ok(after) = c.read_count_and_time() else {
                continue;
            };
            let (c0, e0, r0) = self.before[k];
            let count = after.count.saturating_sub(c0);
            let enabled = after.time_enabled.saturating_sub(e0);
            let running = after.time_running.saturating_sub(r0);
            reading.values[*i] = Some(scale(count, enabled, running));
            if enabled > 0 {
                reading.running_fraction = reading
                    .running_fraction
                    .min(running as f64 / enabled as f64);
            }
        }
        reading
    }
}

/// Scales a multiplexed count to the time the counter was enabled; `true` when it is an estimate.
pub fn scale(count: u64, enabled: u64, running: u64) -> (u64, bool) {
    if running == 0 {
        return (0, enabled > 0);
    }
    if running >= enabled {
        return (count, false);
    }
    let scaled = (count as u128 * enabled as u128 / running as u128) as u64;
    (scaled, true)
}

impl Reading {
    /// The model's counter block for one sample.
    pub fn to_counters(&self) -> Counters {
        let get = |i: usize| self.values[i].map_or(0, |v| v.0);
        Counters {
            instructions: get(0),
            cycles: get(1),
            cache_misses: get(2),
            measured: self.values.iter().any(Option::is_some),
            task_clock_ns: get(3),
            context_switches: get(4),
            page_faults: get(5),
            estimated: self.values.iter().flatten().any(|v| v.1),
            running_fraction: self.running_fraction,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_marks_estimates() {
        assert_eq!(scale(100, 10, 10), (100, false));
        assert_eq!(scale(100, 10, 5), (200, true));
        assert_eq!(scale(0, 0, 0), (0, false));
        assert_eq!(scale(7, 10, 0), (0, true));
    }

    #[test]
    fn every_open_failing_falls_back_to_rusage() {
        let mut fail = |_: usize| -> std::io::Result<Counter> {
            Err(std::io::Error::from_raw_os_error(libc::EACCES))
        };
        let set = open_with(false, &mut fail);
        assert_eq!(set.tier, CounterTier::Rusage);
        let note = set.note.clone().unwrap_or_default();
        assert!(note.contains("not permitted"), "{note}");
        assert!(set.counters.is_empty());
    }

    #[test]
    fn hardware_failing_gives_software_tier() {
        let mut opener = |i: usize| -> std::io::Result<Counter> {
            if EVENTS[i].1 == Kind::Hardware {
                Err(std::io::Error::from_raw_os_error(libc::ENOENT))
            } else {
                open_real(i)
            }
        };
        let set = open_with(false, &mut opener);
        // Where even software events are denied (a locked-down host), the tier is rusage instead.
        assert!(matches!(
            set.tier,
            CounterTier::Software | CounterTier::Rusage
        ));
        assert!(set.note.is_some());
    }

    #[test]
    fn reading_to_counters_marks_measured() {
        let mut r = Reading::default();
        assert!(!r.to_counters().measured);
        r.values[0] = Some((5, false));
        r.values[3] = Some((9, true));
        let c = r.to_counters();
        assert!(c.measured && c.estimated);
        assert_eq!((c.instructions, c.task_clock_ns), (5, 9));
    }
}

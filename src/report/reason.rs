//! Why a verdict is what it is: each reason is a [`Code`] (a stable wire name, what tests and tools match
//! on) with the sentence that explains it to a person (its one `Display`). The confidence levels the
//! decision table assigns are named here too.

use serde::{Deserialize, Serialize};

/// What a reason says, independent of its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The workload itself failed (sequential run, a failing test, every model).
    WorkloadFailed,
    /// Results depend on the order jobs run in: no parallel model.
    OrderDependent,
    /// State on the path that carries results from one job to the next.
    CarriedState,
    /// A model gave different results from the sequential run.
    ResultsDiffer,
    /// A model crashed, panicked or timed out.
    ModelFailed,
    /// A process-global mutation on the path rules threads out.
    ProcessGlobal,
    /// Neither threads nor processes can be used safely.
    NoSafeModel,
    /// The sequential run mostly waits.
    IoBound,
    /// More workers than cores keep the cores busy (waiting overlaps).
    WaitingOverlaps,
    /// Gains stop past a measured worker count.
    Saturates,
    /// The best count is the largest measured: more may help.
    MeasuredUpTo,
    /// An async runtime is already on the path.
    AsyncRuntime,
    /// Too many concurrent waits for OS threads.
    ManyWaits,
    /// A model's measured speedup over sequential.
    Speedup,
    /// One model is faster than the other outside the noise.
    Faster,
    /// Same speed within the noise; decided on cost.
    CostTie,
    /// The evidence cannot separate two answers; says what would decide it.
    Tie,
    /// The other model's runs confirm the speedup.
    Confirmed,
    /// The faster model does not pay off, the other does.
    OnlyOtherPays,
    /// Neither model beats sequential by a meaningful margin.
    NotWorthIt,
    /// A lock or global on the path serialises the jobs.
    LockOnPath,
    /// A global of the workload's code that the analysis did not trace to the path.
    UntracedGlobal,
    /// Jobs too small for the dispatch cost.
    SmallJobs,
    /// Parallel runs burn more CPU for the same jobs.
    CpuContention,
    /// Starting worker processes costs a large share.
    SpawnCost,
    /// System time grows with workers.
    SysTime,
    /// Page faults grow with workers.
    PageFaults,
    /// Setup is repeated in every worker process.
    SetupPerProcess,
    /// Peak memory of processes vs threads.
    PeakMemory,
    /// Nothing found explains the gap.
    NoExplanation,
    /// Setup time, reported beside the job-phase speedups.
    Setup,
    /// Python workloads: what the GIL does on the path (held, released, free-threaded build).
    Gil,
    /// Async workloads: measured tasks against the sync verdict.
    Async,
}

impl Code {
    /// The wire name (`order-dependent`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WorkloadFailed => "workload-failed",
            Code::OrderDependent => "order-dependent",
            Code::CarriedState => "carried-state",
            Code::ResultsDiffer => "results-differ",
            Code::ModelFailed => "model-failed",
            Code::ProcessGlobal => "process-global",
            Code::NoSafeModel => "no-safe-model",
            Code::IoBound => "io-bound",
            Code::WaitingOverlaps => "waiting-overlaps",
            Code::Saturates => "saturates",
            Code::MeasuredUpTo => "measured-up-to",
            Code::AsyncRuntime => "async-runtime",
            Code::ManyWaits => "many-waits",
            Code::Speedup => "speedup",
            Code::Faster => "faster",
            Code::CostTie => "cost-tie",
            Code::Tie => "tie",
            Code::Confirmed => "confirmed",
            Code::OnlyOtherPays => "only-other-pays",
            Code::NotWorthIt => "not-worth-it",
            Code::LockOnPath => "lock-on-path",
            Code::UntracedGlobal => "untraced-global",
            Code::SmallJobs => "small-jobs",
            Code::CpuContention => "cpu-contention",
            Code::SpawnCost => "spawn-cost",
            Code::SysTime => "sys-time",
            Code::PageFaults => "page-faults",
            Code::SetupPerProcess => "setup-per-process",
            Code::PeakMemory => "peak-memory",
            Code::NoExplanation => "no-explanation",
            Code::Setup => "setup",
            Code::Gil => "gil",
            Code::Async => "async",
        }
    }
}

/// One reason of a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub code: Code,
    pub text: String,
}

impl Reason {
    pub fn new(code: Code, text: impl Into<String>) -> Reason {
        Reason {
            code,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The workload failed: the verdict is only a fallback.
pub const CONFIDENCE_FAILED: f64 = 0.0;
/// No parallel model: results depend on job order (measured).
pub const CONFIDENCE_ORDER_DEPENDENT: f64 = 0.9;
/// Both parallel models ruled out by measurements.
pub const CONFIDENCE_BOTH_EXCLUDED_MEASURED: f64 = 0.9;
/// Both parallel models ruled out, at least one only by a static finding.
pub const CONFIDENCE_BOTH_EXCLUDED: f64 = 0.7;
/// Sequential: no usable model could be compared with it, or none paid off.
pub const CONFIDENCE_NOTHING_COMPARABLE: f64 = 0.7;
/// The only usable model; the other ruled out by a measurement.
pub const CONFIDENCE_OTHER_FAILED: f64 = 0.95;
/// The only usable model; the other ruled out by a static finding.
pub const CONFIDENCE_OTHER_EXCLUDED: f64 = 0.85;
/// The only measured model, nothing to compare it with.
pub const CONFIDENCE_UNCONTESTED: f64 = 0.7;
/// Sequential: the best model's interval stays below the meaningful speedup.
pub const CONFIDENCE_CLEARLY_NOT_WORTH: f64 = 0.9;
/// Sequential: the evidence cannot separate it from a parallel model (a tie).
pub const CONFIDENCE_TIE: f64 = 0.5;
/// A tie on speed decided on cost.
pub const CONFIDENCE_COST_TIE: f64 = 0.6;
/// Cost picked a model that does not pay off; the other does.
pub const CONFIDENCE_ONLY_OTHER_PAYS: f64 = 0.7;
/// The least confidence of an I/O-bound verdict whose threads speed it up.
pub const CONFIDENCE_IO_FLOOR: f64 = 0.6;
/// Decisiveness at an interval low end of 1 (barely better)...
pub const CONFIDENCE_BARELY: f64 = 0.5;
/// ...and at [`DECISIVE_LOW`] or more.
pub const CONFIDENCE_DECISIVE: f64 = 0.95;
/// An interval low end this far above 1 is decisive.
pub const DECISIVE_LOW: f64 = 1.3;
/// Fewer than 3 samples in some run.
pub const QUALITY_FEW_SAMPLES: f64 = 0.85;
/// Some run's samples spread more than the noise threshold.
pub const QUALITY_NOISY: f64 = 0.9;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_serde_names() {
        for c in [
            Code::OrderDependent,
            Code::MeasuredUpTo,
            Code::Tie,
            Code::Setup,
        ] {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().into())
            );
        }
        assert_eq!(Reason::new(Code::Tie, "a tie").to_string(), "a tie");
    }
}

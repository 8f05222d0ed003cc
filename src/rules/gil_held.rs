//! Rule `gil-held`: compute or blocking I/O that a Python entry point (`#[pyfunction]`, a `#[pymethods]`
//! method, a `#[pymodule]` function) reaches while holding the GIL.
//!
//! The GIL is held from the entry point on, except inside a closure passed to `allow_threads` (pyo3 before
//! 0.26) or `detach` (0.26 and later, where `allow_threads` is a deprecated alias); a closure passed to
//! `Python::with_gil` / `Python::attach` holds it again, also inside a released region. Which spelling counts
//! follows the pyo3 version in the lock file (both when there is none). Heavy means: a call to a function that is
//! a `compute-hotspot`, a call of a CPU-heavy API, a loop of an entry point that is itself a hotspot, or a
//! blocking I/O site (console output is not counted). The finding sits on the heavy call, with the chain from the
//! entry point; its help shows the release pattern and what would have to move into the closure.

use super::Rule;
use crate::vocab::{FindingKind, GilHeavy, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::GilHeld,
    level: Level::Warning,
    summary: "compute or blocking I/O reached from Python while the GIL is held",
    help: "release the GIL around the heavy part: `py.detach(move || ...)` (`py.allow_threads` before pyo3 0.26); \
           what moves into the closure must be `Send` (`Ungil`): copy values borrowed from Python objects out first",
    docs: "A PyO3 function that computes or blocks while holding the GIL serialises every Python thread that \
           calls it: `ThreadPoolExecutor` gives no speedup and processes (with their start-up and pickling costs) \
           become the only way to run it in parallel. Releasing the GIL (`Python::detach`, formerly \
           `allow_threads`) around the Rust-only part lets Python threads run it in parallel on shared data.",
};

/// One parameter of an entry point, by what it takes to move it into a closure without the GIL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PyParam {
    pub name: String,
    /// The type as written (`&[u8]`, `usize`, `PyRef<'_, Self>`).
    pub ty: String,
    pub kind: ParamKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ParamKind {
    /// `Python<'py>`: the GIL token itself; it is what releases.
    Token,
    /// `Bound`, `Borrowed`, `PyRef`, `PyRefMut`, `&PyAny`...: a Python object, not `Ungil`; extract values first.
    PyObject,
    /// A reference (`&[u8]`, `&str`): borrowed from a Python object; copy it out first.
    Borrowed,
    /// `&self` / `&mut self` of a `#[pyclass]`: a borrow of the Python object; copy the fields needed.
    SelfRef,
    /// An owned Rust value (`usize`, `Vec<u8>`, `String`, `Py<T>`): moves in if it is `Send`.
    Owned,
}

/// Which name releases the GIL in the analyzed package's pyo3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseName {
    /// pyo3 < 0.26: `allow_threads` / `with_gil`.
    AllowThreads,
    /// pyo3 >= 0.26: `detach` / `attach`.
    Detach,
    /// No locked version known: either.
    Either,
}

impl ReleaseName {
    /// From the locked pyo3 version (`0.27.2`); `None` when the lock file names none.
    pub fn for_version(version: Option<&str>) -> ReleaseName {
        let Some(v) = version else {
            return ReleaseName::Either;
        };
        let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(0), Some(minor)) if minor < 26 => ReleaseName::AllowThreads,
            (Some(_), Some(_)) => ReleaseName::Detach,
            _ => ReleaseName::Either,
        }
    }

    fn call(self) -> &'static str {
        match self {
            ReleaseName::AllowThreads => "allow_threads",
            ReleaseName::Detach | ReleaseName::Either => "detach",
        }
    }
}

/// `entry` reaches `heavy` (in `function`) with the GIL held.
pub fn message(entry: &str, function: &str, heavy: &GilHeavy, reacquired: bool) -> String {
    let how = if reacquired {
        "with the GIL re-acquired"
    } else {
        "while holding the GIL"
    };
    let through = if entry == function {
        String::new()
    } else {
        format!(" (called from Python through `{}`)", short(entry))
    };
    let f = short(function);
    match heavy {
        GilHeavy::Compute { callee } => {
            format!("`{f}` computes in `{}` {how}{through}", short(callee))
        }
        GilHeavy::CpuApi { api } => format!("`{f}` calls the CPU-heavy `{api}` {how}{through}"),
        GilHeavy::Loop => format!("`{f}` loops over its compute {how}{through}"),
        GilHeavy::Io { api } => format!("`{f}` blocks on I/O (`{api}`) {how}{through}"),
    }
}

/// The help of one finding: the release pattern, spelled for the locked pyo3, and what the entry point's
/// parameters need in order to move into the closure.
pub fn help(name: ReleaseName, params: &[PyParam], reacquired: bool) -> String {
    if reacquired {
        return format!(
            "this runs inside `Python::{}`: do the heavy part before taking the GIL again and keep only the \
             Python calls inside",
            if name == ReleaseName::AllowThreads {
                "with_gil"
            } else {
                "attach"
            }
        );
    }
    let call = name.call();
    let token = params
        .iter()
        .find(|p| p.kind == ParamKind::Token)
        .map(|p| p.name.clone());
    let py = token.clone().unwrap_or_else(|| "py".into());
    let mut out = format!("release the GIL around the heavy part: `{py}.{call}(move || ...)`");
    if name == ReleaseName::Either {
        out.push_str(" (`allow_threads` before pyo3 0.26)");
    }
    if token.is_none() {
        out.push_str(&format!(
            "; take `{py}: Python<'_>` as a parameter to get the token"
        ));
    }
    let mut copy = Vec::new();
    let mut send = Vec::new();
    let mut objects = Vec::new();
    for p in params {
        let named = format!("`{}: {}`", p.name, p.ty);
        match p.kind {
            ParamKind::Token => {}
            ParamKind::Borrowed => copy.push(named),
            ParamKind::SelfRef => copy.push("`self` (the fields you need)".to_string()),
            ParamKind::PyObject => objects.push(named),
            ParamKind::Owned => send.push(named),
        }
    }
    out.push_str("; what moves into the closure must be `Send` (pyo3's `Ungil`)");
    if !send.is_empty() {
        out.push_str(&format!(": {}", send.join(", ")));
    }
    if !copy.is_empty() {
        out.push_str(&format!(
            "; borrowed from a Python object, copy out first (`.to_vec()`, `.to_owned()`, `.clone()`): {}",
            copy.join(", ")
        ));
    }
    if !objects.is_empty() {
        out.push_str(&format!(
            "; Python objects cannot go in: extract their values (or hold a `Py<T>`) first: {}",
            objects.join(", ")
        ));
    }
    out
}

fn short(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_follows_the_locked_version() {
        assert_eq!(
            ReleaseName::for_version(Some("0.21.2")),
            ReleaseName::AllowThreads
        );
        assert_eq!(
            ReleaseName::for_version(Some("0.25.1")),
            ReleaseName::AllowThreads
        );
        assert_eq!(
            ReleaseName::for_version(Some("0.26.0")),
            ReleaseName::Detach
        );
        assert_eq!(
            ReleaseName::for_version(Some("0.27.2")),
            ReleaseName::Detach
        );
        assert_eq!(ReleaseName::for_version(Some("1.0.0")), ReleaseName::Detach);
        assert_eq!(ReleaseName::for_version(None), ReleaseName::Either);
        assert_eq!(ReleaseName::for_version(Some("x")), ReleaseName::Either);
    }

    #[test]
    fn help_names_what_must_move() {
        let p = |name: &str, ty: &str, kind| PyParam {
            name: name.into(),
            ty: ty.into(),
            kind,
        };
        let params = [
            p("py", "Python<'_>", ParamKind::Token),
            p("data", "&[u8]", ParamKind::Borrowed),
            p("job", "usize", ParamKind::Owned),
            p("obj", "Bound<'_, PyAny>", ParamKind::PyObject),
        ];
        let h = help(ReleaseName::Detach, &params, false);
        assert!(h.contains("`py.detach(move || ...)`"), "{h}");
        assert!(
            h.contains("`job: usize`") && h.contains("copy out first"),
            "{h}"
        );
        assert!(
            h.contains("`data: &[u8]`") && h.contains("`obj: Bound<'_, PyAny>`"),
            "{h}"
        );
        let h = help(ReleaseName::AllowThreads, &params[1..2], false);
        assert!(
            h.contains("`py.allow_threads(move || ...)`") && h.contains("`py: Python<'_>`"),
            "{h}"
        );
        assert!(help(ReleaseName::Detach, &[], true).contains("Python::attach"));
    }
}

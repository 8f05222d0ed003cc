//! Python workload declarations: `[[package.metadata.concur.python-workload]]` in a PyO3 extension's
//! `Cargo.toml`, checked before anything is built (keys, types, a module name, a `pass` mode).

use serde::{Deserialize, Serialize};

use super::{relative, valid_name, Project, ProjectPackage, WorkloadSpec};
use crate::error::{Error, Result};

/// How `setup`'s value reaches the jobs in worker processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    /// Each worker process builds it once (threads share the one value).
    #[default]
    Shared,
    /// The parent builds it once and every job receives it pickled.
    Pickle,
}

impl Pass {
    pub fn as_str(self) -> &'static str {
        match self {
            Pass::Shared => "shared",
            Pass::Pickle => "pickle",
        }
    }
}

/// A validated Python workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonWorkload {
    /// `kind` is `python`; `run` holds the `call` expression.
    pub spec: WorkloadSpec,
    /// The extension module to import (`python_ext`, `pkg.native`).
    pub module: String,
    /// A Python expression with `job`, `data` and the module (as `m` and by name) in scope.
    pub call: String,
    pub setup: Option<String>,
    pub pass: Pass,
}

impl PythonWorkload {
    /// The names the `call` expression calls (`m.hash_block(data, job)` → `hash_block`): the Python entry
    /// points whose Rust functions are on the workload's path.
    pub fn called_names(call: &str) -> Vec<String> {
        let mut out = Vec::new();
        let chars: Vec<char> = call.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_alphabetic() || chars[i] == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && chars[j] == ' ' {
                    j += 1;
                }
                if chars.get(j) == Some(&'(') && !out.contains(&word) {
                    out.push(word);
                }
            } else {
                i += 1;
            }
        }
        out
    }
}

const KEYS: [&str; 6] = ["name", "module", "call", "setup", "pass", "jobs"];

/// Every Python workload of the selected packages.
pub fn declared(project: &Project) -> Result<Vec<PythonWorkload>> {
    let mut out: Vec<PythonWorkload> = Vec::new();
    for package in &project.packages {
        let table = &package.metadata["concur"]["python-workload"];
        let where_ = relative(&package.manifest_path, &project.root);
        let items = match table {
            serde_json::Value::Null => continue,
            serde_json::Value::Array(items) => items,
            _ => {
                return Err(Error::usage(format!(
                    "{where_}: `python-workload` must be an array of tables; write \
                     [[package.metadata.concur.python-workload]]"
                )))
            }
        };
        for item in items {
            let Some(entry) = item.as_object() else {
                return Err(Error::usage(format!(
                    "{where_}: each `python-workload` entry must be a table; write \
                     [[package.metadata.concur.python-workload]]"
                )));
            };
            let w = validate(entry, package, &where_)?;
            if out
                .iter()
                .any(|o| o.spec.package == w.spec.package && o.spec.name == w.spec.name)
            {
                return Err(Error::usage(format!(
                    "{where_}: python workload `{}` is declared twice; give each workload a unique `name`",
                    w.spec.name
                )));
            }
            out.push(w);
        }
    }
    Ok(out)
}

fn validate(
    entry: &serde_json::Map<String, serde_json::Value>,
    package: &ProjectPackage,
    where_: &str,
) -> Result<PythonWorkload> {
    let text = |key: &str, example: &str| -> Result<Option<String>> {
        match entry.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(Error::usage(format!(
                "{where_}: python workload key `{key}` must be a non-empty string, e.g. {key} = {example}"
            ))),
        }
    };
    let Some(name) = text("name", "\"hash\"")? else {
        return Err(Error::usage(format!(
            "{where_}: a python workload has no `name`; add name = \"...\" (unique within the package)"
        )));
    };
    if !valid_name(&name) {
        return Err(Error::usage(format!(
            "{where_}: python workload name `{name}`: use letters, digits, `_` and `-` only"
        )));
    }
    let ctx = format!("{where_}: python workload `{name}`");
    if let Some(key) = entry.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::usage(format!(
            "{ctx}: unknown key `{key}`; the keys are name, module, call, setup, pass, jobs"
        )));
    }
    let Some(module) = text("module", "\"my_ext\"")? else {
        return Err(Error::usage(format!(
            "{ctx}: missing key `module`; add module = \"...\" naming the extension module to import"
        )));
    };
    let module_ok = module.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    if !module_ok {
        return Err(Error::usage(format!(
            "{ctx}: module = \"{module}\" is not a Python module name (e.g. \"my_ext\" or \"pkg.native\")"
        )));
    }
    let Some(call) = text("call", "\"m.hash_block(data, job)\"")? else {
        return Err(Error::usage(format!(
            "{ctx}: missing key `call`; add call = \"m.function(job)\" (a Python expression; `job`, `data` \
             and the module `m` are in scope)"
        )));
    };
    let setup = text("setup", "\"bytes(1 << 20)\"")?;
    let pass = match text("pass", "\"pickle\"")?.as_deref() {
        None | Some("shared") => Pass::Shared,
        Some("pickle") => Pass::Pickle,
        Some(other) => {
            return Err(Error::usage(format!(
                "{ctx}: pass = \"{other}\": use \"shared\" (each worker builds `setup`) or \"pickle\" (every \
                 job receives it pickled)"
            )))
        }
    };
    if pass == Pass::Pickle && setup.is_none() {
        return Err(Error::usage(format!(
            "{ctx}: pass = \"pickle\" needs a `setup` whose value is pickled to each job"
        )));
    }
    let jobs = match entry.get("jobs").map(serde_json::Value::as_u64) {
        Some(Some(n)) if n >= 1 => n as usize,
        Some(_) => {
            return Err(Error::usage(format!(
                "{ctx}: key `jobs` must be a positive integer, e.g. jobs = 64"
            )))
        }
        None => {
            return Err(Error::usage(format!(
                "{ctx}: missing key `jobs`; add jobs = N (the number of independent jobs)"
            )))
        }
    };
    if package.lib.is_none() {
        return Err(Error::usage(format!(
            "{ctx}: package {} has no library target to build as a Python extension",
            package.name
        )));
    }
    Ok(PythonWorkload {
        spec: WorkloadSpec {
            name,
            package: package.name.clone(),
            kind: super::WorkloadKind::Python,
            setup: setup.clone(),
            run: Some(call.clone()),
            jobs,
            declared_in: where_.to_string(),
        },
        module,
        call,
        setup,
        pass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(metadata: serde_json::Value) -> Project {
        Project {
            root: "/ws".into(),
            target_dir: "/ws/target".into(),
            packages: vec![ProjectPackage {
                name: "ext".into(),
                manifest_path: "/ws/Cargo.toml".into(),
                root: "/ws".into(),
                lib: Some(super::super::project::LibTarget {
                    crate_name: "ext".into(),
                    src_path: "/ws/src/lib.rs".into(),
                }),
                metadata,
                has_tests: true,
                features: Vec::new(),
                test_targets: Vec::new(),
                cargo_pkg_env: Vec::new(),
            }],
            workspace_metadata: serde_json::Value::Null,
            cargo: Default::default(),
        }
    }

    fn check(entry: serde_json::Value, expect: std::result::Result<(&str, Pass), &str>) {
        let project = package(serde_json::json!({"concur": {"python-workload": [entry]}}));
        match (declared(&project), expect) {
            (Ok(ws), Ok((call, pass))) => {
                assert_eq!(ws[0].call, call);
                assert_eq!(ws[0].pass, pass);
                assert_eq!(ws[0].spec.kind, super::super::WorkloadKind::Python);
            }
            (Err(e), Err(fragment)) => {
                assert!(e.message.contains(fragment), "{}", e.message);
                assert!(!e.message.contains('\n'));
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn declarations() {
        use serde_json::json;
        let ok = |e| check(e, Ok(("m.f(job)", Pass::Shared)));
        ok(json!({"name": "a", "module": "ext", "call": "m.f(job)", "jobs": 4}));
        ok(json!({"name": "a", "module": "pkg.ext", "call": "m.f(job)", "setup": "1", "jobs": 4}));
        check(
            json!({"name": "a", "module": "ext", "call": "m.f(job)", "setup": "b'x'", "pass": "pickle", "jobs": 4}),
            Ok(("m.f(job)", Pass::Pickle)),
        );
        let err = |e, f| check(e, Err(f));
        err(
            json!({"module": "ext", "call": "x", "jobs": 1}),
            "has no `name`",
        );
        err(
            json!({"name": "a", "call": "x", "jobs": 1}),
            "missing key `module`",
        );
        err(
            json!({"name": "a", "module": "1ext", "call": "x", "jobs": 1}),
            "not a Python module name",
        );
        err(
            json!({"name": "a", "module": "ext", "jobs": 1}),
            "missing key `call`",
        );
        err(
            json!({"name": "a", "module": "ext", "call": "x", "jobs": 0}),
            "positive integer",
        );
        err(
            json!({"name": "a", "module": "ext", "call": "x"}),
            "missing key `jobs`",
        );
        err(
            json!({"name": "a", "module": "ext", "call": "x", "jobs": 1, "run": "y"}),
            "unknown key `run`",
        );
        err(
            json!({"name": "a", "module": "ext", "call": "x", "jobs": 1, "pass": "copy"}),
            "pass = \"copy\"",
        );
        err(
            json!({"name": "a", "module": "ext", "call": "x", "jobs": 1, "pass": "pickle"}),
            "needs a `setup`",
        );
        err(
            json!({"name": "a b", "module": "ext", "call": "x", "jobs": 1}),
            "letters, digits",
        );
    }

    #[test]
    fn called_names_are_the_calls_of_the_expression() {
        assert_eq!(
            PythonWorkload::called_names("m.hash_block(data, job)"),
            ["hash_block"]
        );
        assert_eq!(
            PythonWorkload::called_names("m.total(m.load (job), len(data))"),
            ["total", "load", "len"]
        );
        assert!(PythonWorkload::called_names("data[job]").is_empty());
    }
}

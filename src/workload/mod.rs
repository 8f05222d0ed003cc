//! Workload declarations: read `[[package.metadata.concur.workload]]` (and the workspace table), validate
//! them against the parsed source, and discover libtest binaries as workloads (`cargo test --no-run`, then
//! each binary with `--list`). It never measures a workload and never prints (warnings are typed [`Event`]s).

pub mod project;
pub mod python;
pub mod signature;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::discover::PackageSelection;
use crate::error::{Error, Result};
pub use project::{Project, ProjectPackage, TestTarget};

/// What a workload is (its `kind` in the JSON, by these wire names).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// `[[package.metadata.concur.workload]]`, run by the generated harness.
    #[default]
    Declared,
    /// A libtest binary (named `test:<target>`, see [`TestTarget::workload_name`]), one job per test.
    Test,
    /// `[[package.metadata.concur.python-workload]]`, run by the Python runner.
    Python,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Declared => "declared",
            WorkloadKind::Test => "test",
            WorkloadKind::Python => "python",
        }
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workload as declared or discovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    pub name: String,
    pub package: String,
    pub kind: WorkloadKind,
    pub setup: Option<String>,
    pub run: Option<String>,
    pub jobs: usize,
    /// Where it comes from: `path/Cargo.toml` or `test target NAME`.
    pub declared_in: String,
}

/// A validated declared workload, with what the harness generator needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub spec: WorkloadSpec,
    /// Library crate name of the package (`-` as `_`).
    pub crate_name: String,
    /// `setup` and `run` with a leading `crate::` replaced by the crate name.
    pub setup_path: Option<String>,
    pub run_path: String,
    /// Where `run` and `setup` really are, through `pub use` re-exports (the analysis's function paths).
    pub run_resolved: String,
    pub setup_resolved: Option<String>,
    /// `run` is an `async fn`: its jobs are futures, also run as tasks on a tokio runtime.
    pub run_async: bool,
}

/// A libtest binary of a package, profiled as a workload (one job per test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestWorkload {
    pub spec: WorkloadSpec,
    pub target: TestTarget,
    pub executable: PathBuf,
    pub tests: Vec<String>,
    /// The package root: cargo runs test binaries from there.
    pub package_root: PathBuf,
    pub manifest_path: PathBuf,
    /// `CARGO_PKG_*` of the package.
    pub cargo_pkg_env: Vec<(String, String)>,
    /// The package's binaries (`CARGO_BIN_EXE_<name>` for integration tests).
    pub bins: Vec<(String, PathBuf)>,
}

const KEYS: [&str; 4] = ["name", "setup", "run", "jobs"];

/// Every declared workload of the selected packages, validated against the source (nothing is built).
/// Returns the workloads and warnings (paths through re-exports that could not be followed).
pub fn declared(project: &Project) -> Result<(Vec<Declared>, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for package in &project.packages {
        let table = &package.metadata["concur"]["workload"];
        let where_ = relative(&package.manifest_path, &project.root);
        for entry in entries(table, &format!("{where_} [package.metadata.concur]"))? {
            let (w, warn) = validate(&entry, package, &where_)?;
            warnings.extend(warn);
            out.push(w);
        }
    }
    // `[workspace.metadata.concur]`: each workload belongs to the package whose crate its `run` names.
    let ws_table = &project.workspace_metadata["concur"]["workload"];
    let ws_manifest = relative(&project.root.join("Cargo.toml"), &project.root);
    for entry in entries(
        ws_table,
        &format!("{ws_manifest} [workspace.metadata.concur]"),
    )? {
        let run = entry.get("run").and_then(|v| v.as_str()).unwrap_or("");
        let first = run.split("::").next().unwrap_or("");
        let package = project
            .packages
            .iter()
            .find(|p| p.lib.as_ref().is_some_and(|l| l.crate_name == first));
        let Some(package) = package else {
            // A workload of a package that is not selected: skipped, as cargo skips unselected packages.
            if project.packages.len() == 1 || first.is_empty() || first == "crate" {
                return Err(Error::usage(format!(
                    "{ws_manifest}: workspace workload `run = \"{run}\"`: the path must start with the library \
                     crate name of a workspace package (e.g. `mycrate::function`)"
                )));
            }
            continue;
        };
        let (w, warn) = validate(&entry, package, &ws_manifest)?;
        warnings.extend(warn);
        out.push(w);
    }
    let mut seen = std::collections::BTreeSet::new();
    for w in &out {
        if !seen.insert((w.spec.package.clone(), w.spec.name.clone())) {
            return Err(Error::usage(format!(
                "{}: workload `{}` is declared twice in package {}; give each workload a unique `name`",
                w.spec.declared_in, w.spec.name, w.spec.package
            )));
        }
    }
    Ok((out, warnings))
}

/// The workload array of a metadata table (absent: none).
fn entries(
    table: &serde_json::Value,
    where_: &str,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>> {
    match table {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::Object(m) => Ok(m.clone()),
                _ => Err(Error::usage(format!(
                    "{where_}: each `workload` entry must be a table; write [[package.metadata.concur.workload]]"
                ))),
            })
            .collect(),
        _ => Err(Error::usage(format!(
            "{where_}: `workload` must be an array of tables; write [[package.metadata.concur.workload]]"
        ))),
    }
}

fn validate(
    entry: &serde_json::Map<String, serde_json::Value>,
    package: &ProjectPackage,
    where_: &str,
) -> Result<(Declared, Vec<String>)> {
    let name = match entry.get("name") {
        Some(serde_json::Value::String(s)) if valid_name(s) => s.clone(),
        Some(serde_json::Value::String(s)) => {
            return Err(Error::usage(format!(
                "{where_}: workload name `{s}`: use letters, digits, `_` and `-` only"
            )))
        }
        Some(_) => {
            return Err(Error::usage(format!(
                "{where_}: workload key `name` must be a string, e.g. name = \"lookup\""
            )))
        }
        None => {
            return Err(Error::usage(format!(
                "{where_}: a workload has no `name`; add name = \"...\" (unique within the package)"
            )))
        }
    };
    let ctx = format!("{where_}: workload `{name}`");
    for key in entry.keys() {
        if !KEYS.contains(&key.as_str()) {
            return Err(Error::usage(format!(
                "{ctx}: unknown key `{key}`; the keys are name, setup, run, jobs"
            )));
        }
    }
    let string_key = |key: &str| -> Result<Option<String>> {
        match entry.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::usage(format!(
                "{ctx}: key `{key}` must be a path string, e.g. {key} = \"mycrate::function\""
            ))),
        }
    };
    let setup = string_key("setup")?;
    let Some(run) = string_key("run")? else {
        return Err(Error::usage(format!(
            "{ctx}: missing key `run`; add run = \"mycrate::function\" naming a `pub fn(usize) -> R`"
        )));
    };
    let jobs = match entry.get("jobs") {
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n as usize,
            _ => {
                return Err(Error::usage(format!(
                    "{ctx}: key `jobs` must be a positive integer, e.g. jobs = 64"
                )))
            }
        },
        None => {
            return Err(Error::usage(format!(
                "{ctx}: missing key `jobs`; add jobs = N (the number of independent jobs)"
            )))
        }
    };
    let Some(lib) = &package.lib else {
        return Err(Error::usage(format!(
            "{ctx}: package {} has no library target; workloads call `pub fn`s of the library (src/lib.rs)",
            package.name
        )));
    };
    let mut warnings = Vec::new();
    let mut setup_resolved = None;
    let setup_path = match &setup {
        Some(s) => {
            let p = absolute_path(s, &lib.crate_name, &ctx, "setup")?;
            let c = signature::check(lib, &p, signature::Role::Setup, &ctx)?;
            warnings.extend(c.warning);
            setup_resolved = Some(c.resolved);
            Some(p)
        }
        None => None,
    };
    let run_path = absolute_path(&run, &lib.crate_name, &ctx, "run")?;
    let role = if setup.is_some() {
        signature::Role::RunWithSetup
    } else {
        signature::Role::Run
    };
    let checked = signature::check(lib, &run_path, role, &ctx)?;
    warnings.extend(checked.warning);
    Ok((
        Declared {
            spec: WorkloadSpec {
                name,
                package: package.name.clone(),
                kind: WorkloadKind::Declared,
                setup,
                run: Some(run),
                jobs,
                declared_in: where_.split(' ').next().unwrap_or(where_).to_string(),
            },
            crate_name: lib.crate_name.clone(),
            setup_path,
            run_path,
            run_async: checked.is_async,
            run_resolved: checked.resolved,
            setup_resolved,
        },
        warnings,
    ))
}

pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `crate::a::f` → `mycrate::a::f`; the path must name an item of the package's own library.
fn absolute_path(path: &str, crate_name: &str, ctx: &str, key: &str) -> Result<String> {
    let segments: Vec<&str> = path.trim().split("::").collect();
    let well_formed = segments.len() >= 2
        && segments
            .iter()
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if !well_formed {
        return Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\" is not a path; write {key} = \"{crate_name}::function\""
        )));
    }
    match segments[0] {
        "crate" => Ok(format!("{crate_name}::{}", segments[1..].join("::"))),
        first if first == crate_name => Ok(segments.join("::")),
        first => Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\" starts with `{first}`, not this package's library crate; write \
             {key} = \"{crate_name}::{}\"",
            segments[1..].join("::")
        ))),
    }
}

pub(crate) fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What `workload` reports while it works; the front prints it (`render::status::workload`).
#[derive(Debug)]
pub enum Event<'a> {
    /// A declaration is questionable (it is still used) or was skipped: why.
    Warning(&'a str),
    /// The test targets of a package are being built (`cargo test --no-run`).
    BuildingTests { package: &'a str },
}

/// Declared workloads and the libtest targets, as listed by `cargo concur workloads`. Nothing is built: test
/// targets come from the manifest and their tests are counted when they are profiled (`jobs` 0 here).
pub fn list(
    selection: &PackageSelection,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<WorkloadSpec>> {
    let project = Project::load(selection, &Default::default())?;
    let (declared, warnings) = declared(&project)?;
    for w in &warnings {
        on(Event::Warning(w));
    }
    let mut specs: Vec<WorkloadSpec> = declared.into_iter().map(|d| d.spec).collect();
    specs.extend(python::declared(&project)?.into_iter().map(|p| p.spec));
    for package in &project.packages {
        for t in &package.test_targets {
            specs.push(test_spec(package, t, 0));
        }
    }
    Ok(specs)
}

fn test_spec(package: &ProjectPackage, t: &TestTarget, jobs: usize) -> WorkloadSpec {
    WorkloadSpec {
        name: t.workload_name(),
        package: package.name.clone(),
        kind: WorkloadKind::Test,
        setup: None,
        run: None,
        jobs,
        declared_in: t.describe(),
    }
}

/// Libtest binaries of the selected packages as workloads (`test:<target>`, `test:lib:<name>`...); `only`
/// (workload names) restricts which are built and listed (empty: all). Builds with `cargo test --no-run`
/// only the packages that have test targets.
pub fn test_workloads(
    project: &Project,
    only: &[String],
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<TestWorkload>> {
    let mut out = Vec::new();
    for package in &project.packages {
        let wanted: Vec<&TestTarget> = package
            .test_targets
            .iter()
            .filter(|t| only.is_empty() || only.contains(&t.workload_name()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        on(Event::BuildingTests {
            package: &package.name,
        });
        let built = project.test_binaries(package)?;
        for (target, exe) in &built.tests {
            if !wanted.contains(&target) {
                continue;
            }
            let tests = list_tests(exe, &package.root)?;
            if tests.is_empty() {
                continue;
            }
            out.push(TestWorkload {
                spec: test_spec(package, target, tests.len()),
                target: target.clone(),
                executable: exe.clone(),
                tests,
                package_root: package.root.clone(),
                manifest_path: package.manifest_path.clone(),
                cargo_pkg_env: package.cargo_pkg_env.clone(),
                bins: built.bins.clone(),
            });
        }
    }
    Ok(out)
}

/// `BINARY --list --format terse`, from the package root: the names of its tests (benches excluded;
/// ignored tests are listed and stay ignored when run).
fn list_tests(exe: &Path, root: &Path) -> Result<Vec<String>> {
    let out = std::process::Command::new(exe)
        .args(["--list", "--format", "terse"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::internal(format!("cannot run {}: {e}", exe.display())))?;
    let mut tests: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect();
    tests.sort();
    Ok(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_prefix_is_rewritten_and_foreign_crates_rejected() {
        assert_eq!(
            absolute_path("crate::a::f", "demo", "ctx", "run").unwrap(),
            "demo::a::f"
        );
        assert_eq!(
            absolute_path("demo::f", "demo", "ctx", "run").unwrap(),
            "demo::f"
        );
        let e = absolute_path("other::f", "demo", "ctx", "run").unwrap_err();
        assert!(e.message.contains("demo::f"), "{}", e.message);
        assert!(absolute_path("f", "demo", "ctx", "run").is_err());
        assert!(absolute_path("demo::f(1)", "demo", "ctx", "run").is_err());
    }

    /// The `workloads` fixture as a project, with `package` and `workspace` metadata tables given.
    fn fixture_project(package: serde_json::Value, workspace: serde_json::Value) -> Project {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/workloads");
        Project {
            root: root.clone(),
            target_dir: root.join("target"),
            packages: vec![ProjectPackage {
                name: "workloads".into(),
                manifest_path: root.join("Cargo.toml"),
                root: root.clone(),
                lib: Some(project::LibTarget {
                    crate_name: "workloads".into(),
                    src_path: root.join("src/lib.rs"),
                }),
                metadata: package,
                has_tests: false,
                test_targets: Vec::new(),
                cargo_pkg_env: Vec::new(),
                features: Vec::new(),
            }],
            workspace_metadata: workspace,
            cargo: Default::default(),
        }
    }

    #[test]
    fn workspace_table_workloads_belong_to_the_crate_they_name() {
        let ws = serde_json::json!({"concur": {"workload": [
            {"name": "cpu", "run": "workloads::independent_cpu_job", "jobs": 4},
            {"name": "lookup", "setup": "crate::shared_input_setup", "run": "crate::shared_input_job", "jobs": 2}
        ]}});
        let project = fixture_project(serde_json::Value::Null, ws.clone());
        // `crate::` in a workspace table names no package.
        let e = declared(&project).unwrap_err();
        assert!(e.message.contains("library crate name"), "{}", e.message);

        let ws = serde_json::json!({"concur": {"workload": [ws["concur"]["workload"][0].clone()]}});
        let project = fixture_project(serde_json::Value::Null, ws);
        let (list, warnings) = declared(&project).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].spec.package, "workloads");
        assert_eq!(list[0].run_path, "workloads::independent_cpu_job");
        assert_eq!(list[0].spec.declared_in, "Cargo.toml");
    }

    #[test]
    fn duplicate_names_and_bad_tables_are_rejected() {
        let pkg = serde_json::json!({"concur": {"workload": [
            {"name": "a", "run": "workloads::sleepy_job", "jobs": 4},
            {"name": "a", "run": "crate::sleepy_job", "jobs": 4}
        ]}});
        let e = declared(&fixture_project(pkg, serde_json::Value::Null)).unwrap_err();
        assert!(e.message.contains("declared twice"), "{}", e.message);
        let pkg = serde_json::json!({"concur": {"workload": {"name": "a"}}});
        let e = declared(&fixture_project(pkg, serde_json::Value::Null)).unwrap_err();
        assert!(e.message.contains("array of tables"), "{}", e.message);
        let pkg = serde_json::json!({"concur": {"workload": [{"name": "a", "run": "workloads::sleepy_job", "jobs": 0}]}});
        let e = declared(&fixture_project(pkg, serde_json::Value::Null)).unwrap_err();
        assert!(e.message.contains("positive integer"), "{}", e.message);
    }

    #[test]
    fn names_are_restricted() {
        assert!(valid_name("global_lock-2"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(""));
    }
}

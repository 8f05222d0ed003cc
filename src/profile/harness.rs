//! The harness package: generated under `<target-dir>/concur/harness/<package>/` from the embedded
//! runtime template plus a dispatch table naming the user's `setup`/`run` functions, then built with
//! `cargo build --release` in the user's target directory (dependencies compile once and are shared).
//! Files are only rewritten when their content changes, so cargo's fingerprints make a rebuild a no-op.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::workload::{Declared, Project, ProjectPackage};

/// The embedded runtime of every harness.
pub const TEMPLATE: &str = include_str!("harness_template.rs");
/// The protocol's names, shared with the host (`super::protocol`), embedded as the harness's `mod protocol`.
pub const PROTOCOL: &str = include_str!("protocol.rs");
/// The async part, appended when some workload's `run` is an `async fn` (needs tokio).
pub const ASYNC_TEMPLATE: &str = include_str!("harness_async_template.rs");
/// Appended instead of [`ASYNC_TEMPLATE`] when no workload is async: the harness stays std-only.
pub const NO_ASYNC: &str = "\n/// No workload of this harness is async.\n\
fn run_async(entry: &Entry, _: usize, _: &str, _: usize, _: usize) -> (Report, Option<Failure>) {\n    \
usage(&format!(\"workload {} is not async\", entry.name))\n}\n";
/// The tokio version of a harness when the user's lock file has none (the user's crate does not use tokio).
pub const DEFAULT_TOKIO: &str = "1.54.1";
/// The tokio features the async part of the harness uses.
pub const TOKIO_FEATURES: [&str; 3] = ["rt", "rt-multi-thread", "time"];

/// Which tokio the harness depends on, and why that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokioDep {
    pub version: String,
    /// True: the version in the user's `Cargo.lock`; false: [`DEFAULT_TOKIO`].
    pub from_lock: bool,
}

impl TokioDep {
    /// The tokio 1.x of a `Cargo.lock` (the highest when several), else the default.
    pub fn from_lock_text(lock: Option<&str>) -> TokioDep {
        let locked = lock
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|doc| {
                let packages = doc.get("package")?.as_array()?.clone();
                packages
                    .iter()
                    .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some("tokio"))
                    .filter_map(|p| {
                        p.get("version")?
                            .as_str()?
                            .parse::<cargo_metadata::semver::Version>()
                            .ok()
                    })
                    .filter(|v| v.major == 1)
                    .max()
            });
        match locked {
            Some(v) => TokioDep {
                version: v.to_string(),
                from_lock: true,
            },
            None => TokioDep {
                version: DEFAULT_TOKIO.to_string(),
                from_lock: false,
            },
        }
    }
}

/// A built harness binary for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Harness {
    pub package: String,
    pub dir: PathBuf,
    pub executable: PathBuf,
}

/// Name of the generated package (and binary) for a user package.
pub fn harness_name(package: &str) -> String {
    format!("concur-harness-{package}")
}

/// The `main.rs` of the harness: template (with its async part only when a workload is async) + dispatch
/// table.
pub fn main_source(workloads: &[&Declared]) -> String {
    let mut s = String::from(TEMPLATE);
    s.push_str("#[allow(dead_code)]\nmod protocol {\n");
    s.push_str(PROTOCOL);
    s.push_str("}\n\n");
    s.push_str(&if workloads.iter().any(|w| w.run_async) {
        appended(ASYNC_TEMPLATE)
    } else {
        NO_ASYNC.to_string()
    });
    s.push_str("\nfn entries() -> Vec<Entry> {\n    vec![\n");
    for w in workloads {
        let run = &w.run_path;
        let (make, make_async) = match (&w.setup_path, w.run_async) {
            (Some(setup), false) => (
                format!("|| Box::new(Shared::new(::{setup}(), ::{run}))"),
                "None".to_string(),
            ),
            (None, false) => (format!("|| Box::new(Plain(::{run}))"), "None".to_string()),
            (Some(setup), true) => {
                let instance = format!("leak(AsyncShared::new(::{setup}(), ::{run}))");
                (
                    format!("|| blocking({instance})"),
                    format!("Some(|| {instance})"),
                )
            }
            (None, true) => {
                let instance = format!("leak(AsyncPlain(::{run}))");
                (
                    format!("|| blocking({instance})"),
                    format!("Some(|| {instance})"),
                )
            }
        };
        s.push_str(&format!(
            "        Entry {{ name: {:?}, jobs: {}, make: {make}, make_async: {make_async} }},\n",
            w.spec.name, w.spec.jobs
        ));
    }
    s.push_str("    ]\n}\n");
    s
}

/// A template part appended after items: its `//!` header becomes a plain comment.
pub fn appended(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 1);
    out.push('\n');
    for line in part.lines() {
        match line.strip_prefix("//!") {
            Some(rest) => out.push_str(&format!("//{rest}")),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The harness `Cargo.toml`: own empty workspace, path dependency on the user's package under its
/// library crate name, the user's `[profile.release]`.
/// With `tokio` (some workload is async), a dependency on that tokio with [`TOKIO_FEATURES`], pinned to
/// the exact version so that the user's lock file is kept.
pub fn manifest(
    package: &ProjectPackage,
    crate_name: &str,
    release: Option<&toml::Table>,
    tokio: Option<&TokioDep>,
) -> String {
    let mut doc = toml::Table::new();
    let mut pkg = toml::Table::new();
    pkg.insert("name".into(), harness_name(&package.name).into());
    pkg.insert("version".into(), "0.0.0".into());
    pkg.insert("edition".into(), "2021".into());
    pkg.insert("publish".into(), false.into());
    doc.insert("package".into(), pkg.into());
    doc.insert("workspace".into(), toml::Table::new().into());
    let mut dep = toml::Table::new();
    dep.insert("path".into(), package.root.display().to_string().into());
    dep.insert("package".into(), package.name.clone().into());
    // The features the user selected, exactly (`default` is listed when it is on).
    dep.insert("default-features".into(), false.into());
    if !package.features.is_empty() {
        let list: toml::value::Array = package.features.iter().map(|f| f.clone().into()).collect();
        dep.insert("features".into(), list.into());
    }
    let mut deps = toml::Table::new();
    deps.insert(crate_name.into(), dep.into());
    if let Some(t) = tokio {
        let mut dep = toml::Table::new();
        dep.insert("version".into(), format!("={}", t.version).into());
        let features: Vec<toml::Value> = TOKIO_FEATURES.iter().map(|f| (*f).into()).collect();
        dep.insert("features".into(), features.into());
        deps.insert("tokio".into(), dep.into());
    }
    doc.insert("dependencies".into(), deps.into());
    if let Some(r) = release {
        let mut profile = toml::Table::new();
        profile.insert("release".into(), r.clone().into());
        doc.insert("profile".into(), profile.into());
    }
    format!(
        "# Generated by cargo-concur; rewritten when the workloads change. Do not edit.\n{}",
        toml::to_string(&doc).unwrap_or_default()
    )
}

/// `[profile.release]` of the workspace root manifest, if any.
fn user_release_profile(project: &Project) -> Result<Option<toml::Table>> {
    let path = project.root.join("Cargo.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) => return Ok(None),
    };
    let doc: toml::Table = text
        .parse()
        .map_err(|e| Error::usage(format!("{}: does not parse: {e}", path.display())))?;
    Ok(doc
        .get("profile")
        .and_then(|p| p.get("release"))
        .and_then(|r| r.as_table())
        .cloned())
}

/// Writes `content` to `path` unless it already holds exactly that (keeps the mtime for cargo).
fn write_if_changed(path: &Path, content: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content)
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))
}

/// Generates and builds the harness of one package. Cargo's output goes to stderr.
pub fn build(
    project: &Project,
    package: &ProjectPackage,
    workloads: &[&Declared],
    events: &mut dyn FnMut(super::Event<'_>),
) -> Result<Harness> {
    let Some(first) = workloads.first() else {
        return Err(Error::internal("harness: no workloads to build"));
    };
    let dir = project
        .target_dir
        .join("concur")
        .join("harness")
        .join(&package.name);
    let src = dir.join("src");
    std::fs::create_dir_all(&src)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", src.display())))?;
    let release = user_release_profile(project)?;
    let user_lock = project.root.join("Cargo.lock");
    if project.cargo.lock_exact() && !user_lock.is_file() {
        // As cargo does: a lock file that must stay exact cannot be created either.
        return Err(Error::usage(format!(
            "--locked: {} does not exist, and --locked forbids creating it (run `cargo generate-lockfile` \
             first, or run without --locked)",
            user_lock.display()
        )));
    }
    let tokio = workloads.iter().any(|w| w.run_async).then(|| {
        let t = TokioDep::from_lock_text(std::fs::read_to_string(&user_lock).ok().as_deref());
        events(super::Event::UsingTokio {
            version: &t.version,
            from_lock: t.from_lock,
        });
        t
    });
    write_if_changed(
        &dir.join("Cargo.toml"),
        &manifest(package, &first.crate_name, release.as_ref(), tokio.as_ref()),
    )?;
    write_if_changed(&src.join("main.rs"), &main_source(workloads))?;
    let lock = dir.join("Cargo.lock");
    if !lock.exists() && user_lock.exists() {
        // Same dependency versions as the user's build, so the shared target directory is reused.
        std::fs::copy(&user_lock, &lock)
            .map_err(|e| Error::internal(format!("cannot copy {}: {e}", user_lock.display())))?;
    }
    events(super::Event::BuildingHarness {
        package: &package.name,
    });
    let out = Command::new(crate::workload::project::cargo())
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&project.target_dir)
        .args(project.cargo.harness_args())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Error::internal(format!("cannot run cargo build: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // cargo's own diagnostics, as cargo printed them, then the tool's one line.
        eprint!("{stderr}");
        return Err(Error::internal(format!(
            "the harness for package {} did not build (cargo's errors are above); check that the declared \
             functions' results implement Debug, that setup values are Sync and that async runs' futures \
             are Send",
            package.name
        )));
    }
    if project.cargo.lock_exact() {
        lock_unchanged(&user_lock, &lock)?;
    }
    let warnings = user_warnings(&stderr);
    if warnings > 0 {
        events(super::Event::PackageWarnings {
            package: &package.name,
            count: warnings,
        });
    }
    let executable = project
        .target_dir
        .join("release")
        .join(harness_name(&package.name));
    if !executable.is_file() {
        return Err(Error::internal(format!(
            "harness built but {} is missing",
            executable.display()
        )));
    }
    Ok(Harness {
        package: package.name.clone(),
        dir,
        executable,
    })
}

/// Under `--locked`: every package of the user's lock file has the same version in the harness's.
fn lock_unchanged(user: &Path, harness: &Path) -> Result<()> {
    let read = |p: &Path| -> Result<std::collections::BTreeSet<(String, String)>> {
        let text = std::fs::read_to_string(p)
            .map_err(|e| Error::internal(format!("cannot read {}: {e}", p.display())))?;
        let v: toml::Value = toml::from_str(&text)
            .map_err(|e| Error::usage(format!("{}: not a lock file: {e}", p.display())))?;
        Ok(v.get("package")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|p| {
                        Some((
                            p.get("name")?.as_str()?.to_string(),
                            p.get("version")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default())
    };
    let mine = read(user)?;
    let theirs = read(harness)?;
    if let Some((name, version)) = mine.iter().find(|p| !theirs.contains(*p)) {
        return Err(Error::usage(format!(
            "--locked: the harness build would not use {name} {version} from {} (run without --locked to \
             let cargo update the harness's copy)",
            user.display()
        )));
    }
    Ok(())
}

/// The warnings cargo reported for the build (its `generated N warnings` summaries, else `warning:` lines).
fn user_warnings(stderr: &str) -> usize {
    let summaries: Vec<usize> = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("warning: `")?;
            let (_, tail) = rest.split_once(" generated ")?;
            tail.split_whitespace().next()?.parse().ok()
        })
        .collect();
    if summaries.is_empty() {
        stderr
            .lines()
            .filter(|l| l.starts_with("warning:") || l.starts_with("warning["))
            .count()
    } else {
        summaries.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadSpec;

    #[test]
    fn user_warnings_are_counted_from_cargo_summaries() {
        let s = "warning: unused variable: `x`\n --> src/lib.rs:1:1\nwarning: `demo` (lib) generated 2 warnings\n";
        assert_eq!(user_warnings(s), 2);
        assert_eq!(user_warnings("warning: unused import\n"), 1);
        assert_eq!(user_warnings(""), 0);
    }

    fn declared_async(name: &str, setup: Option<&str>, run: &str) -> Declared {
        Declared {
            run_async: true,
            ..declared(name, setup, run)
        }
    }

    fn declared(name: &str, setup: Option<&str>, run: &str) -> Declared {
        Declared {
            spec: WorkloadSpec {
                name: name.into(),
                package: "demo".into(),
                kind: crate::workload::WorkloadKind::Declared,
                setup: setup.map(str::to_string),
                run: Some(run.into()),
                jobs: 8,
                declared_in: "Cargo.toml".into(),
            },
            crate_name: "demo".into(),
            setup_path: setup.map(str::to_string),
            run_path: run.into(),
            run_resolved: run.into(),
            setup_resolved: setup.map(str::to_string),
            run_async: false,
        }
    }

    #[test]
    fn dispatch_table_names_every_workload() {
        let a = declared("a", None, "demo::job");
        let b = declared("b", Some("demo::load"), "demo::m::lookup");
        let src = main_source(&[&a, &b]);
        assert!(src.starts_with(TEMPLATE));
        assert!(src.contains(
            "Entry { name: \"a\", jobs: 8, make: || Box::new(Plain(::demo::job)), make_async: None }"
        ));
        assert!(src.contains("Box::new(Shared::new(::demo::load(), ::demo::m::lookup))"));
        // No async workload: std only, no tokio anywhere in the source.
        assert!(src.contains(NO_ASYNC));
        assert!(
            !src.contains("tokio::"),
            "a sync harness must not use tokio"
        );
    }

    #[test]
    fn async_workloads_get_the_tokio_part_and_both_constructors() {
        let a = declared_async("timers", None, "demo::wait");
        let b = declared_async("lookups", Some("demo::load"), "demo::fetch");
        let c = declared("cpu", None, "demo::job");
        let src = main_source(&[&a, &b, &c]);
        assert!(src.contains(&appended(ASYNC_TEMPLATE)) && !src.contains(NO_ASYNC));
        // Inner doc comments only at the top of the file (and of `mod protocol`).
        let inner = |t: &str| t.lines().filter(|l| l.starts_with("//!")).count();
        assert_eq!(inner(&src), inner(TEMPLATE) + inner(PROTOCOL));
        assert!(src.contains(
            "Entry { name: \"timers\", jobs: 8, make: || blocking(leak(AsyncPlain(::demo::wait))), \
             make_async: Some(|| leak(AsyncPlain(::demo::wait))) }"
        ));
        assert!(src.contains(
            "make: || blocking(leak(AsyncShared::new(::demo::load(), ::demo::fetch))), \
             make_async: Some(|| leak(AsyncShared::new(::demo::load(), ::demo::fetch)))"
        ));
        assert!(src.contains("make: || Box::new(Plain(::demo::job)), make_async: None"));
        // The protocol reaches the async runner, and the async part defines what the table uses.
        assert!(src
            .contains("\"async\" => run_async(&entry, jobs, &runtime, workers, in_flight.max(1))"));
        for item in [
            "fn run_async(",
            "pub fn leak<",
            "pub fn blocking(",
            "struct AsyncShared",
        ] {
            assert!(src.contains(item), "{item}");
        }
        assert!(
            src.contains("new_current_thread()") && src.contains("worker_threads(workers.max(1))")
        );
    }

    #[test]
    fn tokio_comes_from_the_users_lock_file_else_the_default() {
        let lock = "version = 4\n\n[[package]]\nname = \"tokio\"\nversion = \"0.2.25\"\n\n\
                    [[package]]\nname = \"tokio\"\nversion = \"1.38.2\"\n\n\
                    [[package]]\nname = \"tokio-util\"\nversion = \"1.99.0\"\n";
        let t = TokioDep::from_lock_text(Some(lock));
        assert_eq!((t.version.as_str(), t.from_lock), ("1.38.2", true));
        for none in [None, Some("not toml ["), Some("version = 4\n")] {
            let t = TokioDep::from_lock_text(none);
            assert_eq!((t.version.as_str(), t.from_lock), (DEFAULT_TOKIO, false));
        }
    }

    #[test]
    fn manifest_has_own_workspace_and_release_profile() {
        let package = ProjectPackage {
            name: "my-demo".into(),
            manifest_path: "/x/Cargo.toml".into(),
            root: "/x".into(),
            lib: None,
            metadata: serde_json::Value::Null,
            has_tests: false,
            test_targets: Vec::new(),
            cargo_pkg_env: Vec::new(),
            features: vec!["default".into(), "fast".into()],
        };
        let release: toml::Table = "lto = true\nopt-level = 2".parse().unwrap();
        let text = manifest(&package, "my_demo", Some(&release), None);
        let doc: toml::Table = text.parse().unwrap();
        assert!(doc["dependencies"].get("tokio").is_none());
        let tokio = TokioDep {
            version: "1.38.2".into(),
            from_lock: true,
        };
        let with: toml::Table = manifest(&package, "my_demo", None, Some(&tokio))
            .parse()
            .unwrap();
        assert_eq!(
            with["dependencies"]["tokio"]["version"].as_str(),
            Some("=1.38.2")
        );
        let features = with["dependencies"]["tokio"]["features"]
            .as_array()
            .unwrap();
        assert_eq!(features.len(), TOKIO_FEATURES.len());
        assert!(doc["workspace"].as_table().unwrap().is_empty());
        assert_eq!(
            doc["dependencies"]["my_demo"]["package"].as_str(),
            Some("my-demo")
        );
        assert_eq!(doc["dependencies"]["my_demo"]["path"].as_str(), Some("/x"));
        // Built with exactly the selected features.
        assert_eq!(
            doc["dependencies"]["my_demo"]["default-features"].as_bool(),
            Some(false)
        );
        let features: Vec<&str> = doc["dependencies"]["my_demo"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(features, ["default", "fast"]);
        assert_eq!(doc["profile"]["release"]["lto"].as_bool(), Some(true));
        assert_eq!(
            doc["package"]["name"].as_str(),
            Some("concur-harness-my-demo")
        );
    }
}

//! The packages `profile` and `workloads` work on, from `crate::discover`, reduced to what workloads need
//! (library target, manifest, target directory, metadata tables), and their libtest executables.

use std::path::PathBuf;
use std::process::Command;

use crate::discover::PackageSelection;
use crate::error::{Error, Result};

/// The library target of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibTarget {
    /// Crate name as written in paths (`-` replaced by `_`).
    pub crate_name: String,
    pub src_path: PathBuf,
}

/// One selected package.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectPackage {
    pub name: String,
    pub manifest_path: PathBuf,
    /// Directory holding the manifest.
    pub root: PathBuf,
    pub lib: Option<LibTarget>,
    /// `package.metadata` as cargo reports it (JSON).
    pub metadata: serde_json::Value,
    /// Whether the package has libtest targets (a library or `[[test]]` targets).
    pub has_tests: bool,
    /// The targets `cargo test` runs as libtest binaries, from the manifest (nothing built).
    pub test_targets: Vec<TestTarget>,
    /// `CARGO_PKG_*` as cargo sets them for the package's tests.
    pub cargo_pkg_env: Vec<(String, String)>,
    /// The features enabled by `--features`/`--all-features`/`--no-default-features`, resolved (`default`
    /// included when on): the harness and the test binaries are built with exactly these.
    pub features: Vec<String>,
}

impl ProjectPackage {
    /// cargo arguments that build the package with exactly [`ProjectPackage::features`] (`default`, itself a
    /// feature, is listed when it is on).
    pub fn feature_args(&self) -> Vec<String> {
        let mut args = vec!["--no-default-features".to_string()];
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(","));
        }
        args
    }
}

/// How the name of every test workload starts (`test:suite`, `test:lib:demo`).
pub const TEST_PREFIX: &str = "test:";

/// A target that `cargo test` builds into a libtest binary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TestTarget {
    /// `lib`, `bin`, `test`, `example`, `bench`.
    pub kind: String,
    pub name: String,
}

impl TestTarget {
    /// The workload name: `test:<name>` for a `tests/<name>.rs` target, `test:lib:<name>` for the
    /// library's unit tests, `test:bin:<name>` for a binary's, so a library and a test target of the
    /// same name are never confused.
    pub fn workload_name(&self) -> String {
        match self.kind.as_str() {
            "test" => format!("{TEST_PREFIX}{}", self.name),
            kind => format!("{TEST_PREFIX}{kind}:{}", self.name),
        }
    }

    /// The part after `test:` of a name meant as a test workload's (whether or not such a target exists).
    pub fn requested(name: &str) -> Option<&str> {
        name.strip_prefix(TEST_PREFIX)
    }

    /// The target a workload name names (the inverse of [`TestTarget::workload_name`]); `None` when it
    /// does not name a test target. Cargo target names hold no `:`, so the split is exact.
    pub fn from_workload_name(name: &str) -> Option<TestTarget> {
        let rest = TestTarget::requested(name)?;
        let (kind, name) = match rest.split_once(':') {
            Some((kind @ ("lib" | "bin" | "example" | "bench"), name)) => (kind, name),
            Some(_) => return None,
            None => ("test", rest),
        };
        (!name.is_empty()).then(|| TestTarget {
            kind: kind.to_string(),
            name: name.to_string(),
        })
    }

    /// `tests/suite.rs target suite`, `library unit tests of demo`.
    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "test" => format!("test target {}", self.name),
            "lib" => format!("library unit tests of {}", self.name),
            kind => format!("{kind} unit tests of {}", self.name),
        }
    }
}

/// What `cargo test --no-run` built for a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestBuild {
    /// Each libtest binary with its target, sorted.
    pub tests: Vec<(TestTarget, PathBuf)>,
    /// The package's binaries, for `CARGO_BIN_EXE_<name>`.
    pub bins: Vec<(String, PathBuf)>,
}

/// The workspace and its selected packages.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub packages: Vec<ProjectPackage>,
    pub workspace_metadata: serde_json::Value,
    /// Cargo flags from the command line, passed to the cargo commands run for workloads.
    pub cargo: CargoFlags,
}

/// `--locked`, `--offline`, `--frozen` as given to `profile`/`report`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CargoFlags {
    pub locked: bool,
    pub offline: bool,
    pub frozen: bool,
}

impl CargoFlags {
    /// The flags for a cargo command on the user's own package (its own lock file).
    pub fn args(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.locked {
            v.push("--locked");
        }
        if self.offline {
            v.push("--offline");
        }
        if self.frozen {
            v.push("--frozen");
        }
        v
    }

    /// Whether the user's lock file must stay exact.
    pub fn lock_exact(&self) -> bool {
        self.locked || self.frozen
    }

    /// The flags for the harness build: its lock file is a copy of the user's plus the harness package, so
    /// `--locked` is checked by comparing versions afterwards instead of being passed on.
    pub fn harness_args(&self) -> Vec<&'static str> {
        if self.offline || self.frozen {
            vec!["--offline"]
        } else {
            Vec::new()
        }
    }
}

impl Project {
    /// The selected packages, as `crate::discover` finds them (`cargo metadata --no-deps`).
    /// Features as `features` says; targets and cfg do not matter here (no `rustc --print cfg`).
    pub fn load(
        selection: &PackageSelection,
        features: &crate::discover::scope::FeatureSelection,
    ) -> Result<Project> {
        let scope = crate::discover::Scope {
            features: features.clone(),
            cfg: crate::discover::scope::CfgSelection {
                target: None,
                all_cfgs: true,
            },
            ..Default::default()
        };
        Ok(Project::from_workspace(crate::discover::load(
            selection, &scope,
        )?))
    }

    /// The part of a discovered workspace that workloads need.
    pub fn from_workspace(ws: crate::discover::Workspace) -> Project {
        use crate::discover::TargetKind;
        let packages = ws
            .packages
            .iter()
            .map(|p| ProjectPackage {
                name: p.name.clone(),
                manifest_path: p.manifest_path.clone(),
                root: p.root.clone(),
                lib: p.lib().map(|t| LibTarget {
                    crate_name: t.crate_name.clone(),
                    src_path: t.src_path.clone(),
                }),
                metadata: p.metadata.clone(),
                has_tests: p
                    .targets
                    .iter()
                    .any(|t| matches!(t.kind, TargetKind::Lib | TargetKind::Test)),
                test_targets: {
                    let mut v: Vec<TestTarget> = p
                        .targets
                        .iter()
                        .filter(|t| t.tested)
                        .filter(|t| {
                            matches!(
                                t.kind,
                                TargetKind::Lib
                                    | TargetKind::Bin
                                    | TargetKind::Test
                                    | TargetKind::Example
                                    | TargetKind::Bench
                            )
                        })
                        .map(|t| TestTarget {
                            kind: t.kind.as_str().to_string(),
                            name: t.name.clone(),
                        })
                        .collect();
                    v.sort();
                    v
                },
                cargo_pkg_env: p.cargo_pkg_env.clone(),
                features: p.features.iter().cloned().collect(),
            })
            .collect();
        Project {
            root: ws.root,
            target_dir: ws.target_dir,
            packages,
            workspace_metadata: ws.workspace_metadata,
            cargo: CargoFlags::default(),
        }
    }

    /// Runs `cargo test --no-run` for one package and returns its libtest executables and binaries.
    pub fn test_binaries(&self, package: &ProjectPackage) -> Result<TestBuild> {
        let out = Command::new(cargo())
            .args([
                "test",
                "--no-run",
                "--message-format=json",
                "--manifest-path",
            ])
            .arg(&package.manifest_path)
            .arg("--package")
            .arg(&package.name)
            .args(package.feature_args())
            .arg("--target-dir")
            .arg(&self.target_dir)
            .args(self.cargo.args())
            .stderr(std::process::Stdio::piped())
            .output()
            .map_err(|e| Error::internal(format!("cannot run cargo test --no-run: {e}")))?;
        if !out.status.success() {
            // The compiler's errors (JSON messages on stdout) and cargo's own, as they were printed.
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                if v["reason"] == "compiler-message" && v["message"]["level"] == "error" {
                    eprint!("{}", v["message"]["rendered"].as_str().unwrap_or_default());
                }
            }
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            return Err(Error::internal(format!(
                "cargo test --no-run failed for package {}",
                package.name
            )));
        }
        let mut found = TestBuild::default();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["reason"] != "compiler-artifact" {
                continue;
            }
            if v["package_id"]
                .as_str()
                .is_some_and(|id| !id.contains(&package.name))
            {
                continue;
            }
            let (Some(exe), Some(name)) = (v["executable"].as_str(), v["target"]["name"].as_str())
            else {
                continue;
            };
            let kind = match v["target"]["kind"][0].as_str() {
                Some("lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro") => "lib",
                Some(k) => k,
                None => continue,
            };
            if v["profile"]["test"] == true {
                let target = TestTarget {
                    kind: kind.to_string(),
                    name: name.to_string(),
                };
                found.tests.push((target, PathBuf::from(exe)));
            } else if kind == "bin" {
                found.bins.push((name.to_string(), PathBuf::from(exe)));
            }
        }
        found.tests.sort();
        found.tests.dedup();
        found.bins.sort();
        found.bins.dedup();
        Ok(found)
    }
}

/// The cargo to run: `$CARGO` when cargo launched us, else `cargo` from PATH.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::TestTarget;

    fn target(kind: &str, name: &str) -> TestTarget {
        TestTarget {
            kind: kind.into(),
            name: name.into(),
        }
    }

    #[test]
    fn test_workload_names_read_back_as_their_targets() {
        for (t, wire) in [
            (target("test", "suite"), "test:suite"),
            (target("test", "lib"), "test:lib"),
            (target("lib", "my-lib"), "test:lib:my-lib"),
            (target("bin", "tool"), "test:bin:tool"),
            (target("example", "ex"), "test:example:ex"),
            (target("bench", "b"), "test:bench:b"),
        ] {
            assert_eq!(t.workload_name(), wire);
            assert_eq!(TestTarget::from_workload_name(wire), Some(t), "{wire}");
        }
        for not_a_test in ["fetch", "test:", "test:lib:", "test:weird:x", "tests:suite"] {
            assert_eq!(
                TestTarget::from_workload_name(not_a_test),
                None,
                "{not_a_test}"
            );
        }
    }
}

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

/// The workspace and its selected packages.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub packages: Vec<ProjectPackage>,
    pub workspace_metadata: serde_json::Value,
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
                features: p.features.iter().cloned().collect(),
            })
            .collect();
        Project {
            root: ws.root,
            target_dir: ws.target_dir,
            packages,
            workspace_metadata: ws.workspace_metadata,
        }
    }

    /// Runs `cargo test --no-run` for one package and returns its libtest executables as
    /// (target name, executable path), sorted by name.
    pub fn test_binaries(&self, package: &ProjectPackage) -> Result<Vec<(String, PathBuf)>> {
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
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| Error::internal(format!("cannot run cargo test --no-run: {e}")))?;
        if !out.status.success() {
            return Err(Error::internal(format!(
                "cargo test --no-run failed for package {}",
                package.name
            )));
        }
        let mut found = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["reason"] != "compiler-artifact" || v["profile"]["test"] != true {
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
            found.push((name.to_string(), PathBuf::from(exe)));
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}

/// The cargo to run: `$CARGO` when cargo launched us, else `cargo` from PATH.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

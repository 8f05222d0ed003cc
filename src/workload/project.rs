//! The packages `profile` and `workloads` work on: `cargo metadata --no-deps`, selected as cargo selects
//! them, reduced to what workloads need (library target, manifest, target directory, metadata tables).
//!
//! A small local reader until `crate::discover` lands; it keeps to the fields discover will provide.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::PackageSelection;
use crate::error::{Error, Result};

/// The library target of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibTarget {
    /// Crate name as written in paths (`-` replaced by `_`).
    pub crate_name: String,
    pub src_path: PathBuf,
    /// Edition of the package (`2021`, `2024`, ...).
    pub edition: String,
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
    /// Names of the package's libtest targets (`[[test]]` and the lib's unit tests when present).
    pub has_tests: bool,
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
    /// Runs `cargo metadata --no-deps` for the selection.
    pub fn load(selection: &PackageSelection) -> Result<Project> {
        let mut cmd = cargo_metadata::MetadataCommand::new();
        cmd.no_deps();
        if let Some(p) = &selection.manifest_path {
            if !p.exists() {
                return Err(Error::usage(format!(
                    "--manifest-path {}: no such file",
                    p.display()
                )));
            }
            cmd.manifest_path(p);
        }
        let meta = cmd.exec().map_err(|e| {
            let text = e.to_string();
            let line = text
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or_else(|| text.lines().next().unwrap_or("cargo metadata failed"));
            Error::usage(format!("cargo metadata: {}", line.trim()))
        })?;
        let chosen: Vec<&cargo_metadata::Package> = if selection.workspace {
            meta.workspace_packages()
        } else if !selection.packages.is_empty() {
            let mut v = Vec::new();
            for spec in &selection.packages {
                let found = meta
                    .workspace_packages()
                    .into_iter()
                    .find(|p| p.name.as_str() == spec.as_str());
                match found {
                    Some(p) => v.push(p),
                    None => {
                        return Err(Error::usage(format!(
                            "-p {spec}: no package `{spec}` in the workspace at {}",
                            meta.workspace_root
                        )))
                    }
                }
            }
            v
        } else {
            let defaults = meta.workspace_default_packages();
            if defaults.is_empty() {
                meta.workspace_packages()
            } else {
                defaults
            }
        };
        let packages = chosen
            .into_iter()
            .map(|p| {
                let manifest_path = PathBuf::from(p.manifest_path.as_std_path());
                let root = manifest_path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let lib = p
                    .targets
                    .iter()
                    .find(|t| {
                        t.kind.iter().any(|k| {
                            matches!(
                                k,
                                cargo_metadata::TargetKind::Lib | cargo_metadata::TargetKind::RLib
                            )
                        })
                    })
                    .map(|t| LibTarget {
                        crate_name: t.name.replace('-', "_"),
                        src_path: PathBuf::from(t.src_path.as_std_path()),
                        edition: p.edition.as_str().to_string(),
                    });
                let has_tests = p.targets.iter().any(|t| {
                    t.test
                        && t.kind.iter().any(|k| {
                            matches!(
                                k,
                                cargo_metadata::TargetKind::Lib
                                    | cargo_metadata::TargetKind::RLib
                                    | cargo_metadata::TargetKind::Test
                            )
                        })
                });
                ProjectPackage {
                    name: p.name.to_string(),
                    manifest_path,
                    root,
                    lib,
                    metadata: p.metadata.clone(),
                    has_tests,
                }
            })
            .collect();
        Ok(Project {
            root: PathBuf::from(meta.workspace_root.as_std_path()),
            target_dir: PathBuf::from(meta.target_directory.as_std_path()),
            packages,
            workspace_metadata: meta.workspace_metadata.clone(),
        })
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

//! Discovery: `cargo metadata --no-deps`, package selection as cargo does it, targets, and the module tree
//! of each target (files, `#[path]`, inline modules, `mod` inside macro calls).
//!
//! Only `load` runs a process (`cargo metadata --no-deps --offline`): nothing of the analyzed crate is built,
//! downloaded or run.

pub mod modtree;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::parse::Edition;

pub use modtree::ModuleFile;

/// Which packages to process, as cargo decides it (`--manifest-path`, `-p SPEC`, `--workspace`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSelection {
    pub manifest_path: Option<PathBuf>,
    /// Package specs (`-p`); empty: the default members (or every member with `workspace`).
    pub packages: Vec<String>,
    pub workspace: bool,
}

/// The selected part of a cargo workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// Selected packages, in cargo's member order.
    pub packages: Vec<Package>,
    /// `[workspace.metadata]` of the root manifest.
    pub workspace_metadata: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub manifest_path: PathBuf,
    /// The directory holding the manifest.
    pub root: PathBuf,
    pub edition: Edition,
    pub targets: Vec<Target>,
    /// `[package.metadata]`.
    pub metadata: serde_json::Value,
}

impl Package {
    pub fn lib(&self) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == TargetKind::Lib)
    }

    /// The crate name files outside any target are attributed to: the lib's, else the package's.
    pub fn default_crate_name(&self) -> String {
        self.lib()
            .map(|t| t.crate_name.clone())
            .unwrap_or_else(|| self.name.replace('-', "_"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// The target's name with `-` replaced by `_`.
    pub crate_name: String,
    pub src_path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    Lib,
    Bin,
    Example,
    Test,
    Bench,
    BuildScript,
    Other,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Lib => "lib",
            TargetKind::Bin => "bin",
            TargetKind::Example => "example",
            TargetKind::Test => "test",
            TargetKind::Bench => "bench",
            TargetKind::BuildScript => "custom-build",
            TargetKind::Other => "other",
        }
    }

    fn from_cargo(kinds: &[cargo_metadata::TargetKind]) -> TargetKind {
        use cargo_metadata::TargetKind as K;
        let first = kinds.first();
        match first {
            Some(K::Lib | K::RLib | K::DyLib | K::CDyLib | K::StaticLib | K::ProcMacro) => {
                TargetKind::Lib
            }
            Some(K::Bin) => TargetKind::Bin,
            Some(K::Example) => TargetKind::Example,
            Some(K::Test) => TargetKind::Test,
            Some(K::Bench) => TargetKind::Bench,
            Some(K::CustomBuild) => TargetKind::BuildScript,
            _ => TargetKind::Other,
        }
    }
}

/// Runs `cargo metadata --no-deps --offline` and selects packages as cargo would.
pub fn load(selection: &PackageSelection) -> Result<Workspace> {
    let mut cmd = cargo_metadata::MetadataCommand::new();
    cmd.no_deps().other_options(vec!["--offline".to_string()]);
    if let Some(path) = &selection.manifest_path {
        if !path.exists() {
            return Err(Error::usage(format!(
                "manifest path `{}` does not exist",
                path.display()
            )));
        }
        if path.is_dir() || path.file_name().is_some_and(|n| n != "Cargo.toml") {
            return Err(Error::usage(format!(
                "the manifest path must be a path to a Cargo.toml file: `{}`",
                path.display()
            )));
        }
        cmd.manifest_path(path);
    }
    let meta = cmd.exec().map_err(metadata_error)?;

    let members: Vec<&cargo_metadata::Package> = meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .collect();
    let selected: Vec<&cargo_metadata::Package> = if !selection.packages.is_empty() {
        let mut out = Vec::new();
        for want in &selection.packages {
            match members.iter().find(|p| p.name == *want) {
                Some(p) => out.push(*p),
                None => {
                    let names: Vec<String> = members.iter().map(|p| p.name.to_string()).collect();
                    return Err(Error::usage(format!(
                        "package `{want}` not found in workspace (members: {})",
                        names.join(", ")
                    )));
                }
            }
        }
        out
    } else if selection.workspace {
        members.clone()
    } else if let Some(root) = meta.root_package() {
        vec![root]
    } else {
        // A virtual manifest: its default members (all members unless `default-members` says otherwise).
        let defaults: Vec<&cargo_metadata::Package> =
            if meta.workspace_default_members.is_available() {
                members
                    .iter()
                    .copied()
                    .filter(|p| meta.workspace_default_members.contains(&p.id))
                    .collect()
            } else {
                Vec::new()
            };
        if defaults.is_empty() {
            members.clone()
        } else {
            defaults
        }
    };

    let packages = selected.into_iter().map(convert_package).collect();
    Ok(Workspace {
        root: meta.workspace_root.clone().into_std_path_buf(),
        target_dir: meta.target_directory.clone().into_std_path_buf(),
        packages,
        workspace_metadata: meta.workspace_metadata.clone(),
    })
}

fn convert_package(p: &cargo_metadata::Package) -> Package {
    let manifest_path = p.manifest_path.clone().into_std_path_buf();
    let root = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut targets: Vec<Target> = p
        .targets
        .iter()
        .map(|t| Target {
            name: t.name.clone(),
            kind: TargetKind::from_cargo(&t.kind),
            crate_name: t.name.replace('-', "_"),
            src_path: t.src_path.clone().into_std_path_buf(),
        })
        .collect();
    // Lib first, so a file shared with a bin is attributed to the lib.
    targets.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Package {
        name: p.name.to_string(),
        manifest_path,
        root,
        edition: Edition::parse(p.edition.as_str()),
        targets,
        metadata: p.metadata.clone(),
    }
}

/// Turns cargo's multi-line stderr into one line: its first `error:` message, plus the first `Caused by` cause.
fn metadata_error(e: cargo_metadata::Error) -> Error {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let lines: Vec<&str> = stderr
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let first = lines
                .iter()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or_else(|| lines.first().copied().unwrap_or("cargo metadata failed"));
            let cause = lines
                .iter()
                .position(|l| l.starts_with("Caused by:"))
                .and_then(|i| lines.get(i + 1))
                .filter(|c| !first.contains(**c));
            let at = lines
                .iter()
                .find_map(|l| l.strip_prefix("--> "))
                .map(|loc| format!(" (at {loc})"));
            let at = at.unwrap_or_default();
            match cause {
                Some(c) => Error::usage(format!("{first}: {c}{at}")),
                None => Error::usage(format!("{first}{at}")),
            }
        }
        other => Error::usage(format!("cannot run `cargo metadata`: {other}")),
    }
}

/// Every `.rs` file under the package's directory, except `target/`, hidden directories and directories
/// holding another package (their own `Cargo.toml`). Sorted.
pub fn package_rs_files(package: &Package) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![package.root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if name.starts_with('.') || name == "target" || path.join("Cargo.toml").exists() {
                    continue;
                }
                stack.push(path);
            } else if ft.is_file() && name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Module path of a file that no target reaches, from its place under the package: `src/a/b.rs` → `[a, b]`,
/// `src/a/mod.rs` → `[a]`, `tests/x.rs` → `[x]`.
pub fn module_path_from_file(package_root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(package_root).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "src") {
        parts.remove(0);
    }
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" && stem != "lib" && stem != "main" {
            parts.push(stem);
        }
    }
    parts.into_iter().map(|p| p.replace('-', "_")).collect()
}

/// `/`-separated path of `file` relative to `root` (or the path itself when outside).
pub fn rel_path(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.iter()
        .map(|s| s.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

//! Discovery: `cargo metadata --no-deps`, package selection as cargo does it, targets, and the module tree
//! of each target (files, `#[path]`, inline modules, `mod` inside macro calls).
//!
//! Only `load` runs processes (`cargo metadata --no-deps --offline`, and `rustc --print cfg` unless every cfg
//! branch is analyzed): nothing of the analyzed crate is built, downloaded or run.

pub mod cache;
pub mod modtree;
pub mod scope;
mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::parse::Edition;

pub use modtree::ModuleFile;
pub use scope::Scope;
pub use source::{read_source, read_source_with_meta};

use crate::parse::cfg::CfgSet;

/// Which packages to process, as cargo decides it (`--manifest-path`, `-p SPEC`, `--workspace`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSelection {
    pub manifest_path: Option<PathBuf>,
    /// Package specs (`-p`); empty: the default members (or every member with `workspace`).
    pub packages: Vec<String>,
    pub workspace: bool,
    /// `--exclude SPEC` (with `--workspace`).
    pub exclude: Vec<String>,
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
    /// The scope it was loaded with (targets, features, cfg).
    pub scope: Scope,
    /// The target's cfg values without features and `test` (`None` with `--all-cfgs`: nothing is pruned).
    pub cfg: Option<CfgSet>,
    /// Where `cfg` came from.
    pub cfg_source: Option<scope::CfgSource>,
    /// `cargo metadata`'s and `rustc --print cfg`'s answers came from the discovery cache ([`cache`]).
    pub from_cache: bool,
}

impl Workspace {
    /// The cfg values a file of `package` is compiled with, in a test build or not; `None` with `--all-cfgs`.
    pub fn cfg_for(&self, package: &Package, test: bool) -> Option<CfgSet> {
        let mut set = self.cfg.clone()?;
        for f in &package.features {
            set.insert("feature", Some(f));
        }
        if test {
            set.insert("test", None);
        }
        Some(set)
    }
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub manifest_path: PathBuf,
    /// The directory holding the manifest.
    pub root: PathBuf,
    pub edition: Edition,
    pub targets: Vec<Target>,
    /// `[package.metadata]`.
    pub metadata: serde_json::Value,
    /// The `CARGO_PKG_*` variables cargo sets for the package's tests and build scripts, from its manifest.
    pub cargo_pkg_env: Vec<(String, String)>,
    /// The `[features]` table, implicit features of optional dependencies included.
    pub feature_table: BTreeMap<String, Vec<String>>,
    /// The features enabled by the scope's feature selection.
    pub features: BTreeSet<String>,
    /// Set when the package depends on pyo3 (a Python extension): the version `Cargo.lock` pins, if any.
    pub pyo3: Option<Pyo3Dep>,
}

/// A dependency on pyo3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pyo3Dep {
    /// The version in the workspace's `Cargo.lock` (`0.27.2`), when there is one.
    pub locked: Option<String>,
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
    /// `cargo test` builds and runs it as a test binary (`test = true`, cargo's default for lib, bins and tests).
    pub tested: bool,
    /// Whether the scope's target selection picks it (what `analyze` walks).
    pub selected: bool,
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

/// Runs `cargo metadata --no-deps --offline`, selects packages as cargo would, then targets and features by
/// `scope`, and reads the target's cfg values (`rustc --print cfg`) unless `--all-cfgs`.
pub fn load(selection: &PackageSelection, scope: &Scope) -> Result<Workspace> {
    load_with(selection, scope, false)
}

/// [`load`]; with `cached`, both answers come from the discovery cache when nothing they depend on changed
/// (and a fresh pair is stored there): see [`cache`].
pub fn load_with(selection: &PackageSelection, scope: &Scope, cached: bool) -> Result<Workspace> {
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
    let mut metadata_cmd = cmd.cargo_command();
    // `rustc --print cfg` runs from the manifest's directory, so rustup picks the toolchain cargo picks.
    let rustc_cmd = (!scope.cfg.all_cfgs).then(|| {
        let dir = selection
            .manifest_path
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        scope::rustc_cfg_command(&dir, scope.cfg.target.as_deref())
    });
    // A target given as a JSON file is read by rustc: its answer is not cached.
    let custom_target = scope
        .cfg
        .target
        .as_deref()
        .is_some_and(|t| t.ends_with(".json"));
    let question = (cached && !custom_target)
        .then(|| cache::Question::new(&metadata_cmd, rustc_cmd.as_ref()))
        .flatten();
    let (metadata, cfg, from_cache) = match question.as_ref().and_then(cache::Question::lookup) {
        Some(answer) => {
            let cfg = answer.cfg.as_deref().map(|printed| scope::TargetCfg {
                set: CfgSet::from_rustc_print(printed),
                source: scope::CfgSource::Rustc,
                printed: Some(printed.to_string()),
            });
            (answer.metadata, cfg, true)
        }
        None => {
            // Both are process start-ups: rustc runs while cargo reads the manifests (unless it is the rustc
            // that built cargo-concur, whose answer is known).
            let known = rustc_cmd.as_ref().and_then(scope::known_host_cfg);
            let cfg_job = rustc_cmd
                .filter(|_| known.is_none())
                .map(|mut c| std::thread::spawn(move || c.output()));
            let metadata = run_metadata(&mut metadata_cmd)?;
            let cfg = match cfg_job {
                None => known,
                Some(job) => Some(scope::cfg_from_output(
                    job.join().map_err(|_| {
                        Error::internal("running `rustc --print cfg` failed".to_string())
                    })?,
                    scope.cfg.target.as_deref(),
                )?),
            };
            (metadata, cfg, false)
        }
    };
    let meta = cargo_metadata::MetadataCommand::parse(&metadata)
        .map_err(|e| Error::usage(format!("cannot read `cargo metadata`'s answer: {e}")))?;
    // A fresh pair is stored only when every process asked answered (not with built-in cfg values).
    if let (Some(q), false) = (&question, from_cache) {
        match &cfg {
            Some(scope::TargetCfg { printed: None, .. }) => {}
            _ => q.store(
                &cache::cache_dir(meta.target_directory.as_std_path()),
                &cache::Answer {
                    metadata: metadata.clone(),
                    cfg: cfg.as_ref().and_then(|c| c.printed.clone()),
                },
                &meta,
            ),
        }
    }
    let (cfg, cfg_source) = match cfg {
        Some(c) => (Some(c.set), Some(c.source)),
        None => (None, None),
    };

    let members: Vec<&cargo_metadata::Package> = meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .collect();
    let selected = select_packages(&meta, &members, selection)?;
    // The lock file is read (and parsed: it can be big) only for a package that depends on pyo3.
    let lock = selected
        .iter()
        .any(|p| p.dependencies.iter().any(|d| d.name == "pyo3"))
        .then(|| std::fs::read_to_string(meta.workspace_root.as_std_path().join("Cargo.lock")).ok())
        .flatten()
        .and_then(|text| locked_version(&text, "pyo3"));
    let mut packages: Vec<Package> = selected
        .into_iter()
        .map(|p| {
            let mut pkg = convert_package(p);
            if p.dependencies.iter().any(|d| d.name == "pyo3") {
                pkg.pyo3 = Some(Pyo3Dep {
                    locked: lock.clone(),
                });
            }
            pkg
        })
        .collect();
    let tables: Vec<(&str, &BTreeMap<String, Vec<String>>)> = packages
        .iter()
        .map(|p| (p.name.as_str(), &p.feature_table))
        .collect();
    scope.features.check(&tables)?;
    scope
        .targets
        .check_names(packages.iter().flat_map(|p| p.targets.iter()))?;
    for p in &mut packages {
        p.features = scope.features.resolve(&p.name, &p.feature_table);
        for t in &mut p.targets {
            t.selected = scope.targets.selects(t);
        }
    }
    let root = meta.workspace_root.clone().into_std_path_buf();
    Ok(Workspace {
        root,
        target_dir: meta.target_directory.clone().into_std_path_buf(),
        packages,
        workspace_metadata: meta.workspace_metadata.clone(),
        scope: scope.clone(),
        cfg,
        cfg_source,
        from_cache,
    })
}

/// Runs `cargo metadata`: its JSON line, or cargo's error as one line.
fn run_metadata(cmd: &mut std::process::Command) -> Result<String> {
    let out = cmd
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| metadata_error(cargo_metadata::Error::Io(e)))?;
    if !out.status.success() {
        return Err(metadata_error(cargo_metadata::Error::CargoMetadata {
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .map(str::to_string)
        .ok_or_else(|| Error::usage("`cargo metadata` printed no JSON".to_string()))
}

/// `-p SPEC` (names, `name@version`, globs, pkgid URLs), `--workspace` with `--exclude SPEC`, else the root
/// package or the virtual manifest's default members, as cargo selects them.
fn select_packages<'m>(
    meta: &'m cargo_metadata::Metadata,
    members: &[&'m cargo_metadata::Package],
    selection: &PackageSelection,
) -> Result<Vec<&'m cargo_metadata::Package>> {
    let matches = |spec: &str, p: &cargo_metadata::Package| {
        let dir = p
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_path_buf())
            .unwrap_or_default();
        scope::spec_matches(spec, &p.name, &p.version.to_string(), &dir)
    };
    if !selection.exclude.is_empty() && !selection.workspace {
        return Err(Error::usage(
            "--exclude can only be used together with --workspace",
        ));
    }
    if !selection.packages.is_empty() {
        let mut out: Vec<&cargo_metadata::Package> = Vec::new();
        for want in &selection.packages {
            let found: Vec<&cargo_metadata::Package> = members
                .iter()
                .copied()
                .filter(|p| matches(want, p))
                .collect();
            if found.is_empty() {
                let names: Vec<String> = members.iter().map(|p| p.name.to_string()).collect();
                let what = if scope::is_glob(want) {
                    format!("package pattern `{want}` matches no package")
                } else {
                    format!("package `{want}` not found in workspace")
                };
                return Err(Error::usage(format!(
                    "{what} (members: {})",
                    names.join(", ")
                )));
            }
            for p in found {
                if !out.iter().any(|q| q.id == p.id) {
                    out.push(p);
                }
            }
        }
        // cargo's member order, whatever the order of the flags.
        out.sort_by_key(|p| members.iter().position(|m| m.id == p.id));
        return Ok(out);
    }
    if selection.workspace {
        for spec in &selection.exclude {
            if !scope::is_glob(spec) && !members.iter().any(|p| matches(spec, p)) {
                let names: Vec<String> = members.iter().map(|p| p.name.to_string()).collect();
                return Err(Error::usage(format!(
                    "--exclude {spec}: no such package in the workspace (members: {})",
                    names.join(", ")
                )));
            }
        }
        return Ok(members
            .iter()
            .copied()
            .filter(|p| !selection.exclude.iter().any(|spec| matches(spec, p)))
            .collect());
    }
    if let Some(root) = meta.root_package() {
        return Ok(vec![root]);
    }
    // A virtual manifest: its default members (all members unless `default-members` says otherwise).
    let defaults: Vec<&cargo_metadata::Package> = if meta.workspace_default_members.is_available() {
        members
            .iter()
            .copied()
            .filter(|p| meta.workspace_default_members.contains(&p.id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(if defaults.is_empty() {
        members.to_vec()
    } else {
        defaults
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
            tested: t.test,
            selected: true,
        })
        .collect();
    // Lib first, so a file shared with a bin is attributed to the lib.
    targets.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Package {
        name: p.name.to_string(),
        version: p.version.to_string(),
        manifest_path,
        root,
        edition: Edition::parse(p.edition.as_str()),
        targets,
        metadata: p.metadata.clone(),
        cargo_pkg_env: cargo_pkg_env(p),
        feature_table: p
            .features
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        features: BTreeSet::new(),
        pyo3: None,
    }
}

/// The version of package `name` in a `Cargo.lock` text (the highest, when several are locked).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let doc: toml::Value = toml::from_str(lock).ok()?;
    let mut found: Vec<(Vec<u64>, String)> = doc
        .get("package")?
        .as_array()?
        .iter()
        .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))
        .filter_map(|p| p.get("version")?.as_str().map(str::to_string))
        .map(|v| {
            let key = v.split('.').map(|x| x.parse().unwrap_or(0)).collect();
            (key, v)
        })
        .collect();
    found.sort();
    found.pop().map(|(_, v)| v)
}

/// What cargo sets as `CARGO_PKG_*` for a package (empty strings where the manifest has no value).
fn cargo_pkg_env(p: &cargo_metadata::Package) -> Vec<(String, String)> {
    let v = &p.version;
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let path = |o: &Option<cargo_metadata::camino::Utf8PathBuf>| {
        o.as_ref().map(|p| p.to_string()).unwrap_or_default()
    };
    [
        ("CARGO_PKG_NAME", p.name.to_string()),
        ("CARGO_PKG_VERSION", v.to_string()),
        ("CARGO_PKG_VERSION_MAJOR", v.major.to_string()),
        ("CARGO_PKG_VERSION_MINOR", v.minor.to_string()),
        ("CARGO_PKG_VERSION_PATCH", v.patch.to_string()),
        ("CARGO_PKG_VERSION_PRE", v.pre.to_string()),
        ("CARGO_PKG_AUTHORS", p.authors.join(":")),
        ("CARGO_PKG_DESCRIPTION", opt(&p.description)),
        ("CARGO_PKG_HOMEPAGE", opt(&p.homepage)),
        ("CARGO_PKG_REPOSITORY", opt(&p.repository)),
        ("CARGO_PKG_LICENSE", opt(&p.license)),
        ("CARGO_PKG_LICENSE_FILE", path(&p.license_file)),
        ("CARGO_PKG_README", path(&p.readme)),
        (
            "CARGO_PKG_RUST_VERSION",
            p.rust_version
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
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

/// The root of the repository holding `dir`: the nearest ancestor with a `.git` (directory, or file for a
/// worktree or submodule), `None` outside any repository. Looks at the file system only.
pub fn repo_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `/`-separated path of `file` relative to `root` (or the path itself when outside).
pub fn rel_path(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.iter()
        .map(|s| s.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::locked_version;

    #[test]
    fn locked_version_takes_the_highest_of_a_name() {
        let lock = r#"
version = 4

[[package]]
name = "pyo3"
version = "0.9.2"

[[package]]
name = "pyo3-ffi"
version = "0.27.2"

[[package]]
name = "pyo3"
version = "0.27.2"
"#;
        assert_eq!(locked_version(lock, "pyo3").as_deref(), Some("0.27.2"));
        assert_eq!(locked_version(lock, "serde"), None);
        assert_eq!(locked_version("not toml [", "pyo3"), None);
    }
}

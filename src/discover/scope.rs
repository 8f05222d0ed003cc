//! What of each package is analyzed, as cargo decides it: target selection (`--lib`, `--bins`, `--bin NAME`,
//! `--tests`, `--all-targets`...), features (`--features`, `--all-features`, `--no-default-features`, resolved
//! through the package's `[features]` table) and the cfg values of the compilation target (`rustc --print cfg`).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Target, TargetKind};
use crate::error::{Error, Result};
use crate::parse::cfg::CfgSet;

/// Which targets of each package, as cargo's target selection flags say. Nothing selected means cargo check's
/// default: the library and the binaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetSelection {
    pub lib: bool,
    pub bins: Names,
    pub tests: Names,
    pub benches: Names,
    pub examples: Names,
    pub all_targets: bool,
}

/// Targets of one kind: none, all (`--tests`), or by name (`--test NAME`, repeatable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Names {
    #[default]
    None,
    All,
    Some(Vec<String>),
}

impl Names {
    pub fn from_flags(all: bool, names: &[String]) -> Names {
        if all {
            Names::All
        } else if names.is_empty() {
            Names::None
        } else {
            Names::Some(names.to_vec())
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Names::None => false,
            Names::All => true,
            Names::Some(list) => list.iter().any(|n| n == name),
        }
    }

    fn is_none(&self) -> bool {
        matches!(self, Names::None)
    }
}

impl TargetSelection {
    /// No flag given: cargo check's default (lib and bins).
    pub fn is_default(&self) -> bool {
        !self.lib
            && !self.all_targets
            && self.bins.is_none()
            && self.tests.is_none()
            && self.benches.is_none()
            && self.examples.is_none()
    }

    /// Every target (`--all-targets`, with build scripts).
    pub fn everything() -> TargetSelection {
        TargetSelection {
            all_targets: true,
            ..TargetSelection::default()
        }
    }

    /// Also every test target (for `report`, whose `test:` workloads run them).
    pub fn with_tests(mut self) -> TargetSelection {
        if self.is_default() {
            self.lib = true;
            self.bins = Names::All;
        }
        if !self.all_targets {
            self.tests = Names::All;
        }
        self
    }

    pub fn selects(&self, t: &Target) -> bool {
        if self.all_targets {
            return true;
        }
        if self.is_default() {
            return matches!(t.kind, TargetKind::Lib | TargetKind::Bin);
        }
        // `--tests` also checks the library and binaries as unit tests, as cargo does.
        let unit = matches!(self.tests, Names::All);
        match t.kind {
            TargetKind::Lib => self.lib || unit,
            TargetKind::Bin => unit || self.bins.matches(&t.name),
            TargetKind::Test => self.tests.matches(&t.name),
            TargetKind::Bench => self.benches.matches(&t.name),
            TargetKind::Example => self.examples.matches(&t.name),
            TargetKind::BuildScript | TargetKind::Other => false,
        }
    }

    /// Whether the library and binaries are compiled as unit tests (`cfg(test)`, `#[test]` functions): with
    /// `--tests` or `--all-targets`, as cargo does.
    pub fn unit_tests(&self) -> bool {
        self.all_targets || matches!(self.tests, Names::All)
    }

    /// `--bin NAME` and the like must name a target of some selected package, as cargo requires.
    pub fn check_names<'a>(&self, targets: impl Iterator<Item = &'a Target> + Clone) -> Result<()> {
        for (names, kind, flag) in [
            (&self.bins, TargetKind::Bin, "bin"),
            (&self.tests, TargetKind::Test, "test"),
            (&self.benches, TargetKind::Bench, "bench"),
            (&self.examples, TargetKind::Example, "example"),
        ] {
            let Names::Some(list) = names else { continue };
            for name in list {
                if !targets.clone().any(|t| t.kind == kind && &t.name == name) {
                    let mut have: Vec<&str> = targets
                        .clone()
                        .filter(|t| t.kind == kind)
                        .map(|t| t.name.as_str())
                        .collect();
                    have.sort_unstable();
                    have.dedup();
                    let have = if have.is_empty() {
                        "none".to_string()
                    } else {
                        have.join(", ")
                    };
                    return Err(Error::usage(format!(
                        "--{flag} {name}: no {flag} target named `{name}` (available: {have})"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `--features`, `--all-features`, `--no-default-features`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureSelection {
    /// As given: comma- or space-separated lists, `feat` or `package/feat`.
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

impl FeatureSelection {
    fn requested(&self) -> Vec<String> {
        self.features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Checks that every requested feature exists in one of the selected packages (cargo's error otherwise).
    pub fn check(&self, packages: &[(&str, &BTreeMap<String, Vec<String>>)]) -> Result<()> {
        for f in self.requested() {
            let ok = match f.split_once('/') {
                Some((pkg, feat)) => packages
                    .iter()
                    .any(|(name, table)| *name == pkg && table.contains_key(feat)),
                None => packages.iter().any(|(_, table)| table.contains_key(&f)),
            };
            if !ok {
                let names: Vec<&str> = packages.iter().map(|(n, _)| *n).collect();
                return Err(Error::usage(format!(
                    "--features: none of the selected packages ({}) has a feature `{f}`",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The features enabled for `package`, closed over its `[features]` table (`a = ["b", "dep/x"]` enables
    /// `b`, and `dep` when `dep` is an optional dependency's implicit feature; `dep:x` and `x?/y` enable none).
    pub fn resolve(
        &self,
        package: &str,
        table: &BTreeMap<String, Vec<String>>,
    ) -> BTreeSet<String> {
        let mut todo: Vec<String> = Vec::new();
        if self.all_features {
            todo.extend(table.keys().cloned());
        }
        if !self.no_default_features && table.contains_key("default") {
            todo.push("default".to_string());
        }
        for f in self.requested() {
            match f.split_once('/') {
                Some((pkg, feat)) if pkg == package => todo.push(feat.to_string()),
                Some(_) => {}
                None => todo.push(f),
            }
        }
        let mut on = BTreeSet::new();
        while let Some(f) = todo.pop() {
            if !table.contains_key(&f) || !on.insert(f.clone()) {
                continue;
            }
            for entry in &table[&f] {
                if entry.starts_with("dep:") {
                    continue;
                }
                match entry.split_once('/') {
                    Some((dep, _)) if !dep.ends_with('?') => todo.push(dep.to_string()),
                    Some(_) => {}
                    None => todo.push(entry.clone()),
                }
            }
        }
        on
    }
}

/// How cfg predicates are decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CfgSelection {
    /// `--target TRIPLE`: that target's cfg values instead of the host's.
    pub target: Option<String>,
    /// `--all-cfgs`: every branch is analyzed, whatever its predicate (no pruning).
    pub all_cfgs: bool,
}

/// Everything that decides what of a package is analyzed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub targets: TargetSelection,
    pub features: FeatureSelection,
    pub cfg: CfgSelection,
}

impl Scope {
    /// Today's widest view: every target, every cfg branch, every feature.
    pub fn everything() -> Scope {
        Scope {
            targets: TargetSelection::everything(),
            features: FeatureSelection {
                all_features: true,
                ..FeatureSelection::default()
            },
            cfg: CfgSelection {
                target: None,
                all_cfgs: true,
            },
        }
    }
}

/// Where the base cfg values came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfgSource {
    /// `rustc --print cfg` (with `--target` when given).
    Rustc,
    /// rustc could not be run: the values cargo-concur itself was built for (the message says why).
    BuiltIn(String),
}

/// The rustc to ask: `$RUSTC` when set, as cargo does; else, when cargo launched us (`$CARGO`, the toolchain's
/// own cargo, as rustup resolved it), the `rustc` beside it, which is the toolchain's own rustc, not rustup's
/// proxy (the proxy resolves the toolchain again: about 20 ms of a run); else `rustc` from PATH.
fn rustc_for(rustc: Option<OsString>, cargo: Option<OsString>) -> OsString {
    if let Some(r) = rustc.filter(|r| !r.is_empty()) {
        return r;
    }
    cargo
        .map(PathBuf::from)
        .and_then(|c| {
            Some(
                c.parent()?
                    .join(format!("rustc{}", std::env::consts::EXE_SUFFIX)),
            )
        })
        .filter(|r| r.is_file())
        .map_or_else(|| "rustc".into(), PathBuf::into_os_string)
}

/// What the build script recorded of the rustc that built cargo-concur (`build.rs`).
mod build {
    include!(concat!(env!("OUT_DIR"), "/host_cfg.rs"));
}

/// A program's canonical path, size and modification time (the same text `build.rs` makes): what tells one
/// build of a program from another.
pub(crate) fn program_identity(program: &Path) -> Option<String> {
    let path = std::fs::canonicalize(program).ok()?;
    let meta = std::fs::metadata(&path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}.{:09}",
        path.display(),
        meta.len(),
        modified.as_secs(),
        modified.subsec_nanos()
    ))
}

/// The host's cfg values without running rustc, when the rustc `command` would run (for the host: no
/// `--target`) is the very binary that built cargo-concur: what it printed then (`build.rs`). The answer is a
/// function of that binary, and running it again costs about 10 ms a run (half the fixed cost of analyzing a
/// small crate).
pub fn known_host_cfg(command: &std::process::Command) -> Option<TargetCfg> {
    if build::BUILD_RUSTC.is_empty() || command.get_args().any(|a| a == "--target") {
        return None;
    }
    let program = Path::new(command.get_program());
    if !program.is_absolute() || program_identity(program)? != build::BUILD_RUSTC {
        return None;
    }
    Some(TargetCfg {
        set: CfgSet::from_rustc_print(build::BUILD_RUSTC_CFG),
        source: CfgSource::Rustc,
        printed: Some(build::BUILD_RUSTC_CFG.to_string()),
    })
}

/// `rustc --print cfg [--target T]`, run in `dir` (see [`rustc_for`] for which rustc).
pub fn rustc_cfg_command(dir: &Path, target: Option<&str>) -> std::process::Command {
    let rustc = rustc_for(std::env::var_os("RUSTC"), std::env::var_os("CARGO"));
    let mut cmd = std::process::Command::new(&rustc);
    cmd.args(["--print", "cfg"]).current_dir(dir);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    cmd
}

/// The target's cfg values, where they came from, and what rustc printed (when it answered).
#[derive(Debug, Clone)]
pub struct TargetCfg {
    pub set: CfgSet,
    pub source: CfgSource,
    pub printed: Option<String>,
}

/// The target's cfg values from the run of [`rustc_cfg_command`]. When rustc cannot be run, the host values
/// cargo-concur was built for (an error for `--target`).
pub fn cfg_from_output(
    run: std::io::Result<std::process::Output>,
    target: Option<&str>,
) -> Result<TargetCfg> {
    let built_in = |why: String| TargetCfg {
        set: built_in_cfg(),
        source: CfgSource::BuiltIn(why),
        printed: None,
    };
    match run {
        Ok(out) if out.status.success() => {
            let printed = String::from_utf8_lossy(&out.stdout).into_owned();
            Ok(TargetCfg {
                set: CfgSet::from_rustc_print(&printed),
                source: CfgSource::Rustc,
                printed: Some(printed),
            })
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("failed")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            match target {
                Some(t) => Err(Error::usage(format!("--target {t}: rustc says: {first}"))),
                None => Ok(built_in(first)),
            }
        }
        Err(e) => {
            let rustc = rustc_for(std::env::var_os("RUSTC"), std::env::var_os("CARGO"));
            match target {
                Some(t) => Err(Error::usage(format!(
                    "--target {t}: cannot run `{}`: {e}",
                    rustc.to_string_lossy()
                ))),
                None => Ok(built_in(format!(
                    "cannot run `{}`: {e}",
                    rustc.to_string_lossy()
                ))),
            }
        }
    }
}

/// The cfg values of the platform cargo-concur was compiled for (the fallback when rustc cannot be run).
pub fn built_in_cfg() -> CfgSet {
    let mut set = CfgSet::default();
    let c = std::env::consts::FAMILY;
    if !c.is_empty() {
        set.insert("target_family", Some(c));
        if c == "unix" || c == "windows" {
            set.insert(c, None);
        }
    }
    set.insert("target_os", Some(std::env::consts::OS));
    set.insert("target_arch", Some(std::env::consts::ARCH));
    set.insert("target_pointer_width", Some(&(usize::BITS).to_string()));
    set.insert(
        "target_endian",
        Some(if cfg!(target_endian = "little") {
            "little"
        } else {
            "big"
        }),
    );
    set.insert("panic", Some("unwind"));
    set.insert("debug_assertions", None);
    if cfg!(target_env = "gnu") {
        set.insert("target_env", Some("gnu"));
    } else if cfg!(target_env = "musl") {
        set.insert("target_env", Some("musl"));
    } else if cfg!(target_env = "msvc") {
        set.insert("target_env", Some("msvc"));
    }
    for w in ["8", "16", "32", "64", "ptr"] {
        set.insert("target_has_atomic", Some(w));
    }
    set
}

/// Whether a package spec (`name`, `name@version`, `name:version`, a glob such as `tokio-*`, or a pkgid URL
/// ending in `#name@version` / `#version`) matches the package.
pub fn spec_matches(spec: &str, name: &str, version: &str, manifest_dir: &Path) -> bool {
    let spec = spec.trim();
    // pkgid URL: `path+file:///dir#name@1.0`, `file:///dir#1.0`, `registry+...#name@1.0`.
    if spec.contains("://") {
        let (url, frag) = spec.split_once('#').unwrap_or((spec, ""));
        {
            let url_ok = url
                .strip_prefix("path+file://")
                .or_else(|| url.strip_prefix("file://"))
                .is_none_or(|p| Path::new(p) == manifest_dir);
            let (fname, fver) = match frag.split_once('@') {
                Some((n, v)) => (Some(n), Some(v)),
                None if frag.is_empty() => (None, None),
                None if frag.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                    (None, Some(frag))
                }
                None => (Some(frag), None),
            };
            return url_ok
                && fname.is_none_or(|n| n == name)
                && fver.is_none_or(|v| version_matches(v, version));
        }
    }
    let (spec_name, spec_ver) = match spec.split_once('@').or_else(|| spec.split_once(':')) {
        Some((n, v)) => (n, Some(v)),
        None => (spec, None),
    };
    glob_matches(spec_name, name) && spec_ver.is_none_or(|v| version_matches(v, version))
}

/// `1`, `1.2` and `1.2.3` match as prefixes of the version's components, as cargo's partial versions do.
fn version_matches(spec: &str, version: &str) -> bool {
    let want: Vec<&str> = spec.split('.').collect();
    let have: Vec<&str> = version.split(['.', '-', '+']).collect();
    want.len() <= have.len() && want.iter().zip(&have).all(|(a, b)| a == b)
}

/// Whether `spec` contains glob characters (`*`, `?`, `[`).
pub fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

/// Shell-style glob: `*` any run, `?` one character, `[abc]` / `[a-z]` a class.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|&c| c == ']') else {
                    return t.first() == Some(&'[') && go(&p[1..], &t[1..]);
                };
                let class = &p[1..end];
                let Some(&c) = t.first() else { return false };
                let mut ok = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        ok |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        ok |= class[i] == c;
                        i += 1;
                    }
                }
                ok && go(&p[end + 1..], &t[1..])
            }
            Some(&c) => t.first() == Some(&c) && go(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn target(kind: TargetKind, name: &str) -> Target {
        Target {
            name: name.into(),
            kind,
            crate_name: name.replace('-', "_"),
            src_path: PathBuf::from(format!("{name}.rs")),
            selected: true,
            tested: true,
        }
    }

    #[test]
    fn target_selection_follows_cargo() {
        let all = [
            target(TargetKind::Lib, "lib"),
            target(TargetKind::Bin, "a"),
            target(TargetKind::Bin, "b"),
            target(TargetKind::Test, "it"),
            target(TargetKind::Bench, "speed"),
            target(TargetKind::Example, "demo"),
            target(TargetKind::BuildScript, "build-script-build"),
        ];
        let picked = |s: &TargetSelection| -> Vec<&str> {
            all.iter()
                .filter(|t| s.selects(t))
                .map(|t| t.name.as_str())
                .collect()
        };
        let default = TargetSelection::default();
        assert_eq!(picked(&default), ["lib", "a", "b"]);
        assert!(!default.unit_tests());
        let lib = TargetSelection {
            lib: true,
            ..Default::default()
        };
        assert_eq!(picked(&lib), ["lib"]);
        let bin = TargetSelection {
            bins: Names::Some(vec!["b".into()]),
            ..Default::default()
        };
        assert_eq!(picked(&bin), ["b"]);
        let tests = TargetSelection {
            tests: Names::All,
            ..Default::default()
        };
        assert_eq!(picked(&tests), ["lib", "a", "b", "it"]);
        let one_test = TargetSelection {
            tests: Names::Some(vec!["it".into()]),
            ..Default::default()
        };
        assert_eq!(picked(&one_test), ["it"]);
        assert!(!one_test.unit_tests());
        assert!(tests.unit_tests());
        assert_eq!(picked(&TargetSelection::everything()).len(), all.len());
        assert_eq!(
            picked(&TargetSelection::default().with_tests()),
            ["lib", "a", "b", "it"]
        );
        let bad = TargetSelection {
            bins: Names::Some(vec!["nope".into()]),
            ..Default::default()
        };
        let e = bad.check_names(all.iter()).unwrap_err();
        assert!(
            e.to_string()
                .contains("no bin target named `nope` (available: a, b)"),
            "{e}"
        );
        assert!(bin.check_names(all.iter()).is_ok());
    }

    #[test]
    fn features_resolve_through_the_table() {
        let table: BTreeMap<String, Vec<String>> = [
            ("default", vec!["fast"]),
            ("fast", vec![]),
            ("slow", vec!["dep:zstd"]),
            ("extra", vec!["slow", "serde/derive", "log?/std"]),
            ("serde", vec!["dep:serde"]),
            ("log", vec!["dep:log"]),
            ("zstd", vec!["dep:zstd"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
        let on =
            |f: FeatureSelection| -> Vec<String> { f.resolve("me", &table).into_iter().collect() };
        assert_eq!(on(FeatureSelection::default()), ["default", "fast"]);
        assert_eq!(
            on(FeatureSelection {
                no_default_features: true,
                ..Default::default()
            }),
            Vec::<String>::new()
        );
        assert_eq!(
            on(FeatureSelection {
                features: vec!["extra".into()],
                no_default_features: true,
                ..Default::default()
            }),
            ["extra", "serde", "slow"]
        );
        assert_eq!(
            on(FeatureSelection {
                features: vec!["me/slow,other/x".into()],
                ..Default::default()
            }),
            ["default", "fast", "slow"]
        );
        assert_eq!(
            on(FeatureSelection {
                all_features: true,
                ..Default::default()
            })
            .len(),
            table.len()
        );
        let sel = FeatureSelection {
            features: vec!["nope".into()],
            ..Default::default()
        };
        assert!(sel.check(&[("me", &table)]).is_err());
        assert!(FeatureSelection {
            features: vec!["fast slow".into()],
            ..Default::default()
        }
        .check(&[("me", &table)])
        .is_ok());
    }

    #[test]
    fn package_specs_follow_cargo() {
        let dir = Path::new("/w/alpha");
        for (spec, ok) in [
            ("alpha", true),
            ("alpha@0.1.0", true),
            ("alpha@0.1", true),
            ("alpha:0.1.0", true),
            ("alpha@0.2", false),
            ("beta", false),
            ("al*", true),
            ("?lpha", true),
            ("[ab]lpha", true),
            ("[b-z]lpha", false),
            ("path+file:///w/alpha#alpha@0.1.0", true),
            ("path+file:///w/alpha#0.1.0", true),
            ("path+file:///w/other#alpha@0.1.0", false),
            ("file:///w/alpha", true),
        ] {
            assert_eq!(spec_matches(spec, "alpha", "0.1.0", dir), ok, "{spec}");
        }
        assert!(is_glob("a*") && !is_glob("alpha@1"));
    }

    #[test]
    fn rustc_is_rustc_env_then_cargo_s_sibling_then_path() {
        use super::rustc_for;
        let dir = std::env::temp_dir().join(format!("concur-rustc-for-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cargo = dir.join("cargo");
        let os = |s: &str| Some(std::ffi::OsString::from(s));
        // No sibling rustc beside $CARGO: PATH's.
        assert_eq!(rustc_for(None, Some(cargo.clone().into())), "rustc");
        std::fs::write(dir.join("rustc"), "").unwrap();
        let sibling = rustc_for(None, Some(cargo.clone().into()));
        let rustc_env_wins = rustc_for(os("/opt/my-rustc"), Some(cargo.into()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(sibling, dir.join("rustc").into_os_string());
        assert_eq!(rustc_env_wins, "/opt/my-rustc");
        // An empty $RUSTC counts as unset; no $CARGO: PATH's.
        assert_eq!(rustc_for(os(""), None), "rustc");
        assert_eq!(rustc_for(None, None), "rustc");
    }

    fn target_cfg(dir: &Path, target: Option<&str>) -> Result<(CfgSet, CfgSource)> {
        let c = cfg_from_output(rustc_cfg_command(dir, target).output(), target)?;
        assert_eq!(c.printed.is_some(), c.source == CfgSource::Rustc);
        Ok((c.set, c.source))
    }

    /// The rustc beside the cargo that built the tests is the rustc that built cargo-concur: its host cfg is
    /// known without running it, and is what running it prints; with `--target`, or a rustc found through
    /// PATH, it is not.
    #[test]
    fn the_building_rustc_s_host_cfg_is_known_and_right() {
        let rustc = rustc_for(None, Some(env!("CARGO").into()));
        let cmd = |args: &[&str]| {
            let mut c = std::process::Command::new(&rustc);
            c.args(args);
            c
        };
        let known = known_host_cfg(&cmd(&["--print", "cfg"])).expect("the building rustc");
        let ran = cfg_from_output(cmd(&["--print", "cfg"]).output(), None).unwrap();
        assert_eq!(known.printed, ran.printed);
        assert_eq!(known.source, CfgSource::Rustc);
        assert!(known_host_cfg(&cmd(&[
            "--print",
            "cfg",
            "--target",
            "x86_64-pc-windows-msvc"
        ]))
        .is_none());
        let mut through_path = std::process::Command::new("rustc");
        through_path.args(["--print", "cfg"]);
        assert!(known_host_cfg(&through_path).is_none());
    }

    #[test]
    fn rustc_gives_the_host_cfg_and_a_missing_rustc_falls_back() {
        let (set, source) = target_cfg(Path::new("."), None).unwrap();
        assert_eq!(source, CfgSource::Rustc);
        assert!(set.contains("target_os", Some(std::env::consts::OS)));
        let (set, _) = target_cfg(Path::new("."), Some("x86_64-pc-windows-msvc")).unwrap();
        assert!(set.contains("windows", None) && !set.contains("unix", None));
        assert!(target_cfg(Path::new("."), Some("no-such-target")).is_err());
        let b = built_in_cfg();
        assert!(b.contains("target_os", Some(std::env::consts::OS)));
        assert!(b.contains("debug_assertions", None));
    }
}

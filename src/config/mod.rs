//! Configuration in `[package.metadata.concur]` and `[workspace.metadata.concur]`: per-kind levels, path
//! excludes (globs), `fail-on`, extra API table entries. Package over workspace, command line over both.
//! Unknown keys and bad values are errors naming the key, the table and the manifest.

use std::collections::BTreeMap;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::discover::Workspace;
use crate::error::{Error, Result};
use crate::vocab::{FindingKind, Level};

/// Keys of the `concur` table; `workload` and `python-workload` are read by the workload layer.
pub const KEYS: &[&str] = &[
    "workload",
    "python-workload",
    "fail-on",
    "exclude",
    "levels",
    "apis",
];

/// What a kind is set to: dropped, or reported at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LevelSetting {
    Allow,
    Report(Level),
}

impl LevelSetting {
    pub fn parse(s: &str) -> Option<LevelSetting> {
        Some(match s {
            "allow" => LevelSetting::Allow,
            "note" => LevelSetting::Report(Level::Note),
            "warning" | "warn" => LevelSetting::Report(Level::Warning),
            "error" | "deny" => LevelSetting::Report(Level::Error),
            _ => return None,
        })
    }
}

/// `fail-on`: the lowest level that fails the run, `None` for `never`.
pub fn parse_fail_on(s: &str) -> Option<Option<Level>> {
    Some(match s {
        "never" => None,
        "note" => Some(Level::Note),
        "warning" => Some(Level::Warning),
        "error" => Some(Level::Error),
        _ => return None,
    })
}

/// API categories a user may add entries to.
pub const API_CATEGORIES: &[&str] = &[
    "io",
    "sleep",
    "process-global",
    "spawn",
    "channel",
    "ffi",
    "cpu",
    "lock",
];

/// One user-declared API table entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExtraApi {
    /// Resolved path, e.g. `mycrate::db::query` (a trailing `*` matches a prefix).
    pub path: String,
    /// One of [`API_CATEGORIES`].
    pub category: String,
}

/// The API entries of one table: per category, whether the defaults stay (`".."`) and what is added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiTable {
    pub entries: Vec<ExtraApi>,
    /// Categories listed as arrays without `".."`: their default entries are replaced.
    pub replaced: Vec<String>,
}

/// One `concur` table, validated.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub fail_on: Option<Option<Level>>,
    pub levels: BTreeMap<FindingKind, LevelSetting>,
    /// Globs, matched against paths relative to `base` (the manifest's directory, relative to the workspace
    /// root, `""` for the root).
    pub exclude: Vec<String>,
    pub base: String,
    pub apis: ApiTable,
}

/// The effective settings of one package.
#[derive(Debug, Clone, Default)]
pub struct PackageConfig {
    pub fail_on: Option<Option<Level>>,
    pub levels: BTreeMap<FindingKind, LevelSetting>,
    /// (base, globs) pairs from the workspace and the package table.
    excludes: Vec<(String, GlobSet)>,
    pub apis: ApiTable,
}

impl PackageConfig {
    /// The level a finding of `kind` in `file` (relative to the workspace root) is reported at; `None` when
    /// the kind is allowed or the file excluded.
    pub fn decide(&self, kind: FindingKind, file: &str, default: Level) -> Option<Level> {
        if self.excluded(file) {
            return None;
        }
        match self.levels.get(&kind) {
            Some(LevelSetting::Allow) => None,
            Some(LevelSetting::Report(l)) => Some(*l),
            None => Some(default),
        }
    }

    pub fn excluded(&self, file: &str) -> bool {
        self.excludes.iter().any(|(base, set)| {
            let rel = if base.is_empty() {
                Some(file)
            } else {
                file.strip_prefix(base.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            rel.is_some_and(|r| set.is_match(r))
        })
    }
}

/// Settings of the whole run: per package, after command-line overrides.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    pub packages: BTreeMap<String, PackageConfig>,
    /// `--fail-on` from the command line, over every table.
    pub fail_on_cli: Option<Option<Level>>,
}

impl ProjectConfig {
    /// The settings of `package` (defaults for an unknown one).
    pub fn package(&self, package: &str) -> std::borrow::Cow<'_, PackageConfig> {
        match self.packages.get(package) {
            Some(p) => std::borrow::Cow::Borrowed(p),
            None => std::borrow::Cow::Owned(PackageConfig::default()),
        }
    }

    /// The `fail-on` threshold for findings of `package`: command line, else package, else workspace.
    pub fn fail_on(&self, package: &str) -> Option<Level> {
        if let Some(cli) = self.fail_on_cli {
            return cli;
        }
        self.packages
            .get(package)
            .and_then(|p| p.fail_on)
            .unwrap_or(None)
    }

    /// The strictest threshold of any package (for findings outside a package, such as parse errors).
    pub fn any_fail_on(&self) -> Option<Level> {
        if let Some(cli) = self.fail_on_cli {
            return cli;
        }
        self.packages
            .values()
            .filter_map(|p| p.fail_on.flatten())
            .min()
    }
}

impl ProjectConfig {
    /// The API catalogue of the run: the built-in one, with every package's extra entries added and the
    /// categories a table lists without `".."` emptied of their defaults first (clippy's semantics).
    pub fn apis(&self) -> crate::rules::apis::Apis {
        use crate::rules::apis::{Api, CallEntry, Catalogue, TypeEntry, TypeKind};
        let replaced: Vec<&str> = self
            .packages
            .values()
            .flat_map(|p| p.apis.replaced.iter().map(String::as_str))
            .collect();
        let extra: Vec<&ExtraApi> = self
            .packages
            .values()
            .flat_map(|p| &p.apis.entries)
            .collect();
        if replaced.is_empty() && extra.is_empty() {
            return crate::rules::apis::Apis::builtin();
        }
        let api_of = |category: &str| match category {
            "io" => Some(Api::Io),
            "sleep" => Some(Api::Sleep),
            "process-global" => Some(Api::ProcessGlobal),
            "spawn" => Some(Api::Spawn),
            "channel" => Some(Api::Channel),
            "ffi" => Some(Api::Ffi),
            "cpu" => Some(Api::Cpu),
            _ => None,
        };
        let mut defaults = Catalogue::builtin();
        for cat in &replaced {
            match api_of(cat) {
                Some(api) => defaults.call.retain(|c| !c.is.contains(&api)),
                None => defaults.types.retain(|t| t.is != TypeKind::Lock),
            }
        }
        let mut added = Catalogue::default();
        for e in extra {
            let why = format!(
                "declared as `{}` in the project's [metadata.concur.apis]",
                e.category
            );
            match api_of(&e.category) {
                Some(api) => added.call.push(CallEntry {
                    path: e.path.clone(),
                    is: vec![api],
                    not: Vec::new(),
                    returns: None,
                    why,
                }),
                None => added.types.push(TypeEntry {
                    path: e.path.clone(),
                    is: TypeKind::Lock,
                    reentrant: false,
                    why,
                }),
            }
        }
        crate::rules::apis::Apis::new(&crate::rules::apis::merge(defaults, added, true))
    }
}

/// Command-line settings that override the tables: `-A/-W/-D KIND` in the order given, and `--fail-on`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub levels: Vec<(FindingKind, LevelSetting)>,
    pub fail_on: Option<Option<Level>>,
}

/// Reads and validates the tables of the workspace and of every selected package.
pub fn load(ws: &Workspace, overrides: &Overrides) -> Result<ProjectConfig> {
    let root_manifest = ws.root.join("Cargo.toml");
    let ws_table = parse_table(
        &ws.workspace_metadata["concur"],
        &root_manifest,
        "workspace.metadata.concur",
        String::new(),
    )?;
    let mut packages = BTreeMap::new();
    for p in &ws.packages {
        let base = crate::discover::rel_path(&ws.root, &p.root);
        let base = if base == "." { String::new() } else { base };
        let t = parse_table(
            &p.metadata["concur"],
            &p.manifest_path,
            "package.metadata.concur",
            base,
        )?;
        let mut cfg = PackageConfig {
            fail_on: t.fail_on.or(ws_table.fail_on),
            levels: ws_table.levels.clone(),
            excludes: Vec::new(),
            apis: ws_table.apis.clone(),
        };
        cfg.levels.extend(t.levels.iter().map(|(k, v)| (*k, *v)));
        for table in [&ws_table, &t] {
            if !table.exclude.is_empty() {
                cfg.excludes
                    .push((table.base.clone(), globs(&table.exclude)?));
            }
        }
        // Package entries over workspace ones: a category the package replaces drops the workspace's too.
        cfg.apis
            .entries
            .retain(|e| !t.apis.replaced.contains(&e.category));
        cfg.apis.entries.extend(t.apis.entries.iter().cloned());
        cfg.apis.replaced.extend(t.apis.replaced.iter().cloned());
        cfg.apis.entries.sort();
        cfg.apis.entries.dedup();
        for (kind, setting) in &overrides.levels {
            cfg.levels.insert(*kind, *setting);
        }
        packages.insert(p.name.clone(), cfg);
    }
    Ok(ProjectConfig {
        packages,
        fail_on_cli: overrides.fail_on,
    })
}

fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        // Already validated by `parse_table`.
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build()
        .map_err(|e| Error::usage(format!("exclude globs: {e}")))
}

/// Validates one `concur` table. `name` is the table's dotted name, for messages.
pub fn parse_table(v: &Value, manifest: &Path, name: &str, base: String) -> Result<Table> {
    let mut t = Table {
        base,
        ..Table::default()
    };
    let at = |key: &str, what: String| {
        Error::usage(format!("{}: [{name}] `{key}`: {what}", manifest.display()))
    };
    let obj = match v {
        Value::Null => return Ok(t),
        Value::Object(o) => o,
        _ => {
            return Err(Error::usage(format!(
                "{}: `{name}` must be a table",
                manifest.display()
            )))
        }
    };
    for (key, value) in obj {
        match key.as_str() {
            "workload" | "python-workload" => {}
            "fail-on" => {
                let s = value.as_str().unwrap_or("");
                t.fail_on = Some(parse_fail_on(s).ok_or_else(|| {
                    at(
                        key,
                        format!("{value} is not one of never, note, warning, error"),
                    )
                })?);
            }
            "exclude" => {
                let Some(list) = value.as_array() else {
                    return Err(at(key, "must be an array of glob strings".into()));
                };
                for g in list {
                    let Some(s) = g.as_str() else {
                        return Err(at(key, format!("{g} is not a string")));
                    };
                    Glob::new(s).map_err(|e| at(key, format!("bad glob `{s}`: {e}")))?;
                    t.exclude.push(s.to_string());
                }
            }
            "levels" => {
                let Some(levels) = value.as_object() else {
                    return Err(at(key, "must be a table of `kind = \"level\"`".into()));
                };
                for (kind, level) in levels {
                    let k = FindingKind::from_id(kind).ok_or_else(|| {
                        Error::usage(format!(
                            "{}: [{name}.levels] `{kind}`: not a finding kind (see `cargo concur rules`)",
                            manifest.display()
                        ))
                    })?;
                    let l = level.as_str().and_then(LevelSetting::parse).ok_or_else(|| {
                        Error::usage(format!(
                            "{}: [{name}.levels] `{kind}`: {level} is not one of allow, note, warning, error",
                            manifest.display()
                        ))
                    })?;
                    t.levels.insert(k, l);
                }
            }
            "apis" => t.apis = parse_apis(value, manifest, name)?,
            other => {
                return Err(at(
                    other,
                    format!("unknown key (known: {})", KEYS.join(", ")),
                ))
            }
        }
    }
    Ok(t)
}

/// `[..concur.apis]`: `category = ["..", "path", ...]` (clippy-style: with `".."` the defaults stay, without
/// it they are replaced) or `"path" = "category"` (always added).
fn parse_apis(v: &Value, manifest: &Path, name: &str) -> Result<ApiTable> {
    let err = |key: &str, what: String| {
        Error::usage(format!(
            "{}: [{name}.apis] `{key}`: {what}",
            manifest.display()
        ))
    };
    let Some(obj) = v.as_object() else {
        return Err(Error::usage(format!(
            "{}: [{name}] `apis`: must be a table",
            manifest.display()
        )));
    };
    let mut t = ApiTable::default();
    let check_path = |key: &str, p: &str| -> Result<()> {
        let body = p.strip_suffix('*').unwrap_or(p);
        let ok = !body.is_empty()
            && body
                .trim_end_matches("::")
                .split("::")
                .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if ok {
            Ok(())
        } else {
            Err(err(
                key,
                format!("`{p}` is not a path like `mycrate::db::query`"),
            ))
        }
    };
    for (key, value) in obj {
        if API_CATEGORIES.contains(&key.as_str()) {
            let Some(list) = value.as_array() else {
                return Err(err(
                    key,
                    "must be an array of paths (start it with \"..\" to keep the defaults)".into(),
                ));
            };
            let mut extend = false;
            for item in list {
                let Some(s) = item.as_str() else {
                    return Err(err(key, format!("{item} is not a string")));
                };
                if s == ".." {
                    extend = true;
                    continue;
                }
                check_path(key, s)?;
                t.entries.push(ExtraApi {
                    path: s.to_string(),
                    category: key.clone(),
                });
            }
            if !extend {
                t.replaced.push(key.clone());
            }
        } else if key.contains("::") {
            check_path(key, key)?;
            let cat = value.as_str().unwrap_or("");
            if !API_CATEGORIES.contains(&cat) {
                return Err(err(
                    key,
                    format!("{value} is not a category ({})", API_CATEGORIES.join(", ")),
                ));
            }
            t.entries.push(ExtraApi {
                path: key.clone(),
                category: cat.to_string(),
            });
        } else {
            return Err(err(
                key,
                format!(
                    "neither a category ({}) nor a path like `mycrate::db::query`",
                    API_CATEGORIES.join(", ")
                ),
            ));
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> std::result::Result<Table, String> {
        parse_table(
            &v,
            Path::new("/w/Cargo.toml"),
            "package.metadata.concur",
            String::new(),
        )
        .map_err(|e| e.message)
    }

    #[test]
    fn good_tables_parse() {
        let t = check(json!({
            "fail-on": "warning",
            "exclude": ["tests/**"],
            "levels": {"io": "allow", "static-mut": "error"},
            "apis": {"io": ["..", "mycrate::db::query"], "mycrate::env::set": "process-global", "lock": ["my::Lock"]},
            "workload": []
        }))
        .unwrap();
        assert_eq!(t.fail_on, Some(Some(Level::Warning)));
        assert_eq!(t.levels[&FindingKind::Io], LevelSetting::Allow);
        assert_eq!(
            t.levels[&FindingKind::StaticMut],
            LevelSetting::Report(Level::Error)
        );
        assert_eq!(t.apis.entries.len(), 3);
        assert_eq!(t.apis.replaced, vec!["lock".to_string()]);
    }

    #[test]
    fn broken_tables_name_key_table_and_file() {
        for (v, want) in [
            (json!({"levels": {"io": "loud"}}), "/w/Cargo.toml: [package.metadata.concur.levels] `io`: \"loud\" is not one of allow, note, warning, error"),
            (json!({"levels": {"bogus": "allow"}}), "[package.metadata.concur.levels] `bogus`: not a finding kind"),
            (json!({"fail_on": "warning"}), "[package.metadata.concur] `fail_on`: unknown key"),
            (json!({"fail-on": "loud"}), "[package.metadata.concur] `fail-on`: \"loud\" is not one of never"),
            (json!({"exclude": "tests"}), "`exclude`: must be an array"),
            (json!({"exclude": ["a[b"]}), "`exclude`: bad glob `a[b`"),
            (json!({"apis": {"mycrate::q": "disk"}}), "[package.metadata.concur.apis] `mycrate::q`: \"disk\" is not a category"),
            (json!({"apis": {"io": ["not a path"]}}), "`io`: `not a path` is not a path"),
            (json!({"apis": {"q": "io"}}), "`q`: neither a category"),
        ] {
            let got = check(v).unwrap_err();
            assert!(got.contains(want), "{got}\n  wanted: {want}");
        }
    }

    #[test]
    fn excludes_are_relative_to_their_table() {
        let cfg = PackageConfig {
            excludes: vec![
                ("".into(), globs(&["benches/**".into()]).unwrap()),
                ("crates/a".into(), globs(&["tests/*.rs".into()]).unwrap()),
            ],
            ..Default::default()
        };
        assert!(cfg.excluded("benches/x.rs"));
        assert!(cfg.excluded("crates/a/tests/t.rs"));
        assert!(!cfg.excluded("tests/t.rs"));
        assert!(!cfg.excluded("crates/a/src/lib.rs"));
    }
}

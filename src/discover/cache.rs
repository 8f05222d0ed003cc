//! The discovery cache: what `cargo metadata --no-deps` and `rustc --print cfg` answered, kept beside the facts
//! cache (`<target-dir>/concur/facts-cache`, or `CARGO_CONCUR_CACHE_DIR`) together with the state of every
//! input they read, so that a warm run starts neither process (together about 14 ms of a 40 ms warm run
//! on tokio).
//!
//! An entry answers one question: the exact commands (programs by canonical path, size and modification time;
//! arguments; working directory) and every `CARGO*`/`RUSTUP*` variable of the environment. It is used only
//! when nothing it watches has changed: each `Cargo.toml` from the manifest's directory up to the root (the
//! workspace is searched upwards), cargo's configuration files from the working directory up and in
//! `$CARGO_HOME`, `rust-toolchain` files, the directories the workspace's member globs list, and for every
//! member its manifest, its build script and readme (present or not), and the listings of the directories
//! cargo discovers targets in (`src`, `src/bin`, `examples`, `tests`, `benches` and their subdirectories).
//! Programs named without a path (rustup's proxies pick a toolchain each time) are never cached.
//!
//! Entries are found without knowing the target directory (that is what `cargo metadata` says): under
//! `CARGO_CONCUR_CACHE_DIR`, `$CARGO_TARGET_DIR`, or `target/` in the manifest's directory or one above it;
//! an entry elsewhere is simply not found.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// Bumped whenever an entry changes shape.
const FORMAT: &str = "concur-discovery-1";

/// A question both processes answer, when its answer may be cached.
#[derive(Debug, Clone)]
pub struct Question {
    key: u128,
    /// The directory holding the manifest (the working directory without `--manifest-path`).
    manifest_dir: PathBuf,
    working_dir: PathBuf,
}

/// The two answers (the first JSON line of `cargo metadata`, the output of `rustc --print cfg` when it was
/// asked and ran).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub metadata: String,
    pub cfg: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    format: String,
    key: String,
    answer: Answer,
    watched: Vec<Watched>,
}

/// One input and its state when the answer was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Watched {
    path: PathBuf,
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum State {
    Absent,
    /// A file's contents (digest).
    File(String),
    /// A directory's entries (names and whether each is a directory), digested.
    Dir(String),
    /// Something else (not readable as either).
    Other,
}

impl Question {
    /// The question `metadata` (a `cargo metadata` command) and `rustc` (a `rustc --print cfg` command, when
    /// one is asked) ask; `None` when a program is named without a path or cannot be looked at.
    pub fn new(metadata: &Command, rustc: Option<&Command>) -> Option<Question> {
        let working_dir = std::env::current_dir().ok()?;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut field = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(FORMAT.as_bytes());
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(working_dir.as_os_str().as_encoded_bytes());
        let mut manifest_dir = working_dir.clone();
        for cmd in std::iter::once(metadata).chain(rustc) {
            // A program found through `PATH` (rustup's proxy) is not cached: it may pick another toolchain.
            let program = Path::new(cmd.get_program());
            if !program.is_absolute() {
                return None;
            }
            field(super::scope::program_identity(program)?.as_bytes());
            let mut args = cmd.get_args();
            while let Some(a) = args.next() {
                field(a.as_encoded_bytes());
                if a == "--manifest-path" {
                    let path = working_dir.join(args.next()?);
                    field(path.as_os_str().as_encoded_bytes());
                    manifest_dir = path.parent()?.to_path_buf();
                }
            }
            field(b"\0dir");
            if let Some(dir) = cmd.get_current_dir() {
                field(working_dir.join(dir).as_os_str().as_encoded_bytes());
            }
        }
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
            .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUSTUP") || k == "RUSTC")
            .collect();
        vars.sort();
        for (k, v) in &vars {
            field(k.as_bytes());
            field(v.as_bytes());
        }
        Some(Question {
            key: h.digest128(),
            manifest_dir,
            working_dir,
        })
    }

    fn file_name(&self) -> String {
        format!("{:032x}.discovery", self.key)
    }

    /// Where an entry may be, in order: `CARGO_CONCUR_CACHE_DIR`; else `$CARGO_TARGET_DIR`'s (or
    /// `$CARGO_BUILD_TARGET_DIR`'s) cache, then `target/`'s in the manifest's directory and each one above.
    fn places(&self) -> Vec<PathBuf> {
        if std::env::var_os("CARGO_CONCUR_CACHE_DIR").is_some() {
            return vec![cache_dir(Path::new(""))];
        }
        let facts = |target: PathBuf| cache_dir(&target);
        let mut out: Vec<PathBuf> = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
            .iter()
            .filter_map(std::env::var_os)
            .map(|d| facts(self.working_dir.join(d)))
            .collect();
        out.extend(
            self.manifest_dir
                .ancestors()
                .map(|a| facts(a.join("target"))),
        );
        out
    }

    /// The cached answer, if an entry for this question exists and nothing it watches changed.
    pub fn lookup(&self) -> Option<Answer> {
        let name = self.file_name();
        let bytes = self
            .places()
            .iter()
            .find_map(|dir| std::fs::read(dir.join(&name)).ok())?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.format != FORMAT || entry.key != format!("{:032x}", self.key) {
            return None;
        }
        entry
            .watched
            .iter()
            .all(|w| state_of(&w.path) == w.state)
            .then_some(entry.answer)
    }

    /// Stores `answer` in the cache directory `dir`, watching what cargo read to give `metadata`. Best effort:
    /// a cache that cannot be written is only slower.
    pub fn store(&self, dir: &Path, answer: &Answer, metadata: &cargo_metadata::Metadata) {
        let watched = self
            .inputs(metadata)
            .into_iter()
            .map(|path| Watched {
                state: state_of(&path),
                path,
            })
            .collect();
        let entry = Entry {
            format: FORMAT.into(),
            key: format!("{:032x}", self.key),
            answer: answer.clone(),
            watched,
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = dir.join(format!(".{}.{}.tmp", self.file_name(), std::process::id()));
        if std::fs::write(&tmp, bytes).is_err()
            || std::fs::rename(&tmp, dir.join(self.file_name())).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// Every file and directory whose change may change the answer.
    fn inputs(&self, metadata: &cargo_metadata::Metadata) -> Vec<PathBuf> {
        let mut out = Vec::new();
        // The workspace is found upwards from the manifest; toolchain files, likewise.
        for a in self.manifest_dir.ancestors() {
            for name in ["Cargo.toml", "rust-toolchain", "rust-toolchain.toml"] {
                out.push(a.join(name));
            }
        }
        // Configuration: from the working directory up, and in cargo's home.
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        for a in self
            .working_dir
            .ancestors()
            .map(|a| a.join(".cargo"))
            .chain(home)
        {
            out.push(a.join("config"));
            out.push(a.join("config.toml"));
        }
        let ws_root = metadata.workspace_root.as_std_path();
        out.push(ws_root.join("Cargo.toml"));
        // Members matched by a glob appear and vanish in the directories the glob lists.
        out.extend(glob_dirs(ws_root));
        for p in metadata
            .packages
            .iter()
            .filter(|p| metadata.workspace_members.contains(&p.id))
        {
            out.push(p.manifest_path.as_std_path().to_path_buf());
            let Some(root) = p.manifest_path.as_std_path().parent() else {
                continue;
            };
            // What cargo looks for in a package: a build script, a readme, and targets in these directories
            // (a binary, example, test or bench may be a directory of its own).
            for name in ["build.rs", "README.md", "README.txt", "README", "src"] {
                out.push(root.join(name));
            }
            for dir in ["src/bin", "examples", "tests", "benches"] {
                let dir = root.join(dir);
                if let Ok(entries) = std::fs::read_dir(&dir) {
                    out.extend(
                        entries
                            .flatten()
                            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                            .map(|e| e.path()),
                    );
                }
                out.push(dir);
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The directories the `members` and `exclude` globs of the workspace manifest in `root` list: for `crates/*`,
/// `crates`; for `a/*/b/*`, `a` and each directory below it down to the last wildcard.
fn glob_dirs(root: &Path) -> Vec<PathBuf> {
    let Some(table) = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return Vec::new();
    };
    let Some(ws) = table.get("workspace").and_then(|w| w.as_table()) else {
        return Vec::new();
    };
    let patterns = ["members", "exclude"]
        .iter()
        .filter_map(|k| ws.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|v| v.as_str());
    let mut out = Vec::new();
    for pattern in patterns {
        let parts: Vec<&str> = pattern
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some(first_glob) = parts.iter().position(|p| p.contains(['*', '?', '['])) else {
            continue;
        };
        let last_glob = parts
            .iter()
            .rposition(|p| p.contains(['*', '?', '[']))
            .unwrap_or(first_glob);
        let mut level = vec![parts[..first_glob]
            .iter()
            .fold(root.to_path_buf(), |d, p| d.join(p))];
        for _ in first_glob..=last_glob {
            out.extend(level.iter().cloned());
            level = level
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flat_map(|entries| entries.flatten())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect();
        }
    }
    out
}

/// The cache directory of a target directory: `<target-dir>/concur/facts-cache`, or `CARGO_CONCUR_CACHE_DIR`
/// (the facts cache and the discovery cache share it).
pub fn cache_dir(target_dir: &Path) -> PathBuf {
    std::env::var_os("CARGO_CONCUR_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir.join("concur").join("facts-cache"))
}

fn digest(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// What `path` holds now.
fn state_of(path: &Path) -> State {
    match std::fs::metadata(path) {
        Err(_) => State::Absent,
        Ok(m) if m.is_file() => {
            std::fs::read(path).map_or(State::Other, |b| State::File(digest(&b)))
        }
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut names: Vec<(std::ffi::OsString, bool)> = entries
                    .flatten()
                    .map(|e| (e.file_name(), e.file_type().is_ok_and(|t| t.is_dir())))
                    .collect();
                names.sort();
                let mut listing = Vec::new();
                for (name, is_dir) in names {
                    listing.extend_from_slice(name.as_encoded_bytes());
                    listing.extend_from_slice(if is_dir { b"/\n" } else { b"\n" });
                }
                State::Dir(digest(&listing))
            }
            Err(_) => State::Other,
        },
        Ok(_) => State::Other,
    }
}

#[cfg(test)]
mod tests;

//! Build script: records which rustc binary builds cargo-concur and what it prints for `--print cfg` (the host's
//! cfg values), so that `analyze` does not run rustc again when the rustc it would ask is that very binary
//! (`discover::scope::known_host_cfg`; nothing is recorded when rustc cannot be asked: `analyze` then runs it);
//! and turns the API catalogue (`src/rules/apis.toml`, what people edit) into JSON, which parses about ten times
//! faster than TOML (0.12 ms against 1.3 ms) at every start (`rules::apis::Catalogue::builtin_ref`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/rules/apis.toml");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    catalogue_as_json(&out);
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let (identity, cfg) = probe(Path::new(&rustc)).unwrap_or_default();
    let text = format!(
        "/// The rustc binary that built cargo-concur (`program_identity`), empty when unknown.\n\
         pub const BUILD_RUSTC: &str = {identity:?};\n\
         /// What it printed for `--print cfg`.\n\
         pub const BUILD_RUSTC_CFG: &str = {cfg:?};\n"
    );
    if let Err(e) = std::fs::write(out.join("host_cfg.rs"), text) {
        println!("cargo:warning=cannot write host_cfg.rs: {e}");
    }
}

/// `src/rules/apis.toml` as JSON, in `OUT_DIR/apis.json`. A catalogue that does not parse stops the build (a unit
/// test says which entry is at fault).
fn catalogue_as_json(out: &Path) {
    let text =
        std::fs::read_to_string("src/rules/apis.toml").expect("src/rules/apis.toml is readable");
    let value: toml::Value = toml::from_str(&text).expect("src/rules/apis.toml is TOML");
    let json = serde_json::to_string(&value).expect("TOML values are JSON values");
    std::fs::write(out.join("apis.json"), json).expect("OUT_DIR is writable");
}

/// The real rustc binary behind `rustc` (rustup's proxy resolves to the toolchain's), and its `--print cfg`.
fn probe(rustc: &Path) -> Option<(String, String)> {
    let ask = |args: &[&str]| -> Option<String> {
        let out = Command::new(rustc).args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).ok())
            .flatten()
    };
    let sysroot = ask(&["--print", "sysroot"])?;
    let real = Path::new(sysroot.trim())
        .join("bin")
        .join(format!("rustc{}", std::env::consts::EXE_SUFFIX));
    let identity = program_identity(&real)?;
    let cfg = ask(&["--print", "cfg"])?;
    Some((identity, cfg))
}

/// A program's canonical path, size and modification time: the same text `discover::scope` makes at run time.
fn program_identity(program: &Path) -> Option<String> {
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

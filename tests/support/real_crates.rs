//! Fetches real crates through cargo (a scratch package depending on them, `cargo metadata` to find their
//! sources in the registry) for the real-crate test and the benchmark. Needs crates.io once; cached after.

use std::path::{Path, PathBuf};

/// The crates checked, with version requirements (the benchmark uses only tokio).
#[allow(dead_code)]
pub const REAL_CRATES: &[(&str, &str)] = &[
    ("tokio", "1"),
    ("crossbeam-channel", "0.5"),
    ("rayon-core", "1"),
    ("parking_lot", "0.12"),
    ("tempfile", "3"),
];

/// Returns `(name, manifest path)` of each crate in `crates`, fetching them if needed.
pub fn fetch(scratch: &Path, crates: &[(&str, &str)]) -> Result<Vec<(String, PathBuf)>, String> {
    std::fs::create_dir_all(scratch.join("src")).map_err(|e| e.to_string())?;
    let mut manifest = String::from(
        "[package]\nname = \"concur-real-crates\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n",
    );
    for (name, req) in crates {
        manifest.push_str(&format!("{name} = \"{req}\"\n"));
    }
    let path = scratch.join("Cargo.toml");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(manifest.as_str()) {
        std::fs::write(&path, manifest).map_err(|e| e.to_string())?;
    }
    std::fs::write(scratch.join("src/lib.rs"), "").map_err(|e| e.to_string())?;
    let meta = cargo_metadata::MetadataCommand::new()
        .manifest_path(&path)
        .exec()
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (name, _) in crates {
        let p = meta
            .packages
            .iter()
            .find(|p| p.name.as_str() == *name)
            .ok_or_else(|| format!("{name} not in the scratch package's metadata"))?;
        out.push((
            name.to_string(),
            p.manifest_path.clone().into_std_path_buf(),
        ));
    }
    Ok(out)
}

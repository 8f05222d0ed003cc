//! The discovery cache against real `cargo metadata` answers on scratch packages.

use super::*;

/// A scratch package `name` (a library) in a fresh directory.
fn package(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concur-discovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    dir
}

/// `cargo metadata --no-deps --offline` of the package in `dir`, with cargo named by its path.
fn metadata_command(dir: &Path) -> Command {
    let mut c = cargo_metadata::MetadataCommand::new();
    c.cargo_path(env!("CARGO"))
        .manifest_path(dir.join("Cargo.toml"))
        .no_deps()
        .other_options(vec!["--offline".to_string()]);
    c.cargo_command()
}

/// Asks cargo, and stores its answer where a lookup finds it (`target/` beside the manifest).
fn ask_and_store(q: &Question, dir: &Path) -> Answer {
    let out = metadata_command(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).unwrap();
    let line = json
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap()
        .to_string();
    let meta = cargo_metadata::MetadataCommand::parse(&line).unwrap();
    let answer = Answer {
        metadata: line,
        cfg: None,
    };
    q.store(
        &cache_dir(meta.target_directory.as_std_path()),
        &answer,
        &meta,
    );
    answer
}

#[test]
fn an_answer_is_used_until_something_cargo_reads_changes() {
    if std::env::var_os("CARGO_CONCUR_CACHE_DIR").is_some() {
        return; // the places under test are the default ones
    }
    let dir = package("watch");
    let q = Question::new(&metadata_command(&dir), None).expect("cargo is named by its path");
    assert_eq!(q.lookup(), None, "nothing stored yet");
    let answer = ask_and_store(&q, &dir);
    assert_eq!(
        q.lookup(),
        Some(answer),
        "stored under target/ beside the manifest, found again"
    );
    assert!(dir
        .join("target/concur/facts-cache")
        .join(q.file_name())
        .is_file());

    // Each change cargo would see makes the stored answer stale; a fresh one is then stored.
    type Change<'a> = (&'a str, &'a dyn Fn(&Path));
    let changes: [Change; 6] = [
        ("a binary in src/bin", &|d| {
            std::fs::create_dir_all(d.join("src/bin")).unwrap();
            std::fs::write(d.join("src/bin/tool.rs"), "fn main() {}").unwrap();
        }),
        ("a binary with its own directory", &|d| {
            std::fs::create_dir_all(d.join("src/bin/multi")).unwrap();
            std::fs::write(d.join("src/bin/multi/main.rs"), "fn main() {}").unwrap();
        }),
        ("a file in that directory", &|d| {
            std::fs::write(d.join("src/bin/multi/helper.rs"), "").unwrap();
        }),
        ("the manifest", &|d| {
            let m = std::fs::read_to_string(d.join("Cargo.toml")).unwrap();
            std::fs::write(d.join("Cargo.toml"), m + "\n[features]\nfast = []\n").unwrap();
        }),
        ("a test target", &|d| {
            std::fs::create_dir_all(d.join("tests")).unwrap();
            std::fs::write(d.join("tests/it.rs"), "").unwrap();
        }),
        ("a build script", &|d| {
            std::fs::write(d.join("build.rs"), "fn main() {}").unwrap()
        }),
    ];
    for (what, change) in changes {
        change(&dir);
        assert_eq!(q.lookup(), None, "after {what}");
        let fresh = ask_and_store(&q, &dir);
        assert_eq!(q.lookup(), Some(fresh), "stored again after {what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_or_foreign_entry_is_not_used() {
    if std::env::var_os("CARGO_CONCUR_CACHE_DIR").is_some() {
        return;
    }
    let dir = package("broken");
    let q = Question::new(&metadata_command(&dir), None).unwrap();
    ask_and_store(&q, &dir);
    let entry = dir.join("target/concur/facts-cache").join(q.file_name());
    let good = std::fs::read(&entry).unwrap();
    for bad in [
        good[..good.len() / 2].to_vec(),
        b"garbage".to_vec(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace(&format!("{:032x}", q.key), &format!("{:032x}", q.key ^ 1))
            .into_bytes(),
    ] {
        std::fs::write(&entry, bad).unwrap();
        assert_eq!(q.lookup(), None);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn questions_are_told_apart_and_path_lookups_are_never_cached() {
    let (a, b) = (package("qa"), package("qb"));
    let qa = Question::new(&metadata_command(&a), None).unwrap();
    let qb = Question::new(&metadata_command(&b), None).unwrap();
    assert_ne!(qa.file_name(), qb.file_name(), "another manifest");
    let mut rustc = Command::new(env!("CARGO"));
    rustc.args(["--print", "cfg"]);
    let with_rustc = Question::new(&metadata_command(&a), Some(&rustc)).unwrap();
    assert_ne!(
        qa.file_name(),
        with_rustc.file_name(),
        "another pair of commands"
    );
    let mut through_path = Command::new("cargo");
    through_path.arg("metadata");
    assert!(
        Question::new(&through_path, None).is_none(),
        "rustup's proxy may pick another toolchain"
    );
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_member_a_glob_would_add_makes_the_answer_stale() {
    if std::env::var_os("CARGO_CONCUR_CACHE_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("concur-discovery-glob-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let member = |name: &str| {
        let d = dir.join("crates").join(name);
        std::fs::create_dir_all(d.join("src")).unwrap();
        std::fs::write(
            d.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        std::fs::write(d.join("src/lib.rs"), "").unwrap();
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    member("one");
    let q = Question::new(&metadata_command(&dir), None).unwrap();
    ask_and_store(&q, &dir);
    assert!(q.lookup().is_some());
    member("two");
    assert_eq!(q.lookup(), None, "crates/two is a new member");
    let fresh = ask_and_store(&q, &dir);
    assert!(fresh.metadata.contains("\"two\""), "cargo sees it");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Benchmark: `analyze` on a real crate (tokio by default) against a parse-only baseline — the same files
//! read and `syn::parse_file`d in parallel with rayon, nothing else. Prints both medians and the ratio.
//!
//! Run: `cargo bench --bench analyze` (fetches tokio through cargo once), or
//! `cargo bench --bench analyze -- /path/to/crate/Cargo.toml [iterations]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rayon::prelude::*;

#[path = "../tests/support/real_crates.rs"]
mod support;

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let manifest = match args.first() {
        Some(p) => PathBuf::from(p),
        None => {
            let scratch = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/real-crates");
            match support::fetch(&scratch, &[("tokio", "1")]) {
                Ok(v) => v[0].1.clone(),
                Err(e) => {
                    eprintln!("error: cannot fetch tokio: {e}");
                    std::process::exit(2);
                }
            }
        }
    };
    let iterations: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let selection = cargo_concur::discover::PackageSelection {
        manifest_path: Some(manifest.clone()),
        packages: Vec::new(),
        workspace: false,
        exclude: Vec::new(),
    };
    // Every file, as parse-only reads them: all targets, every cfg branch.
    let scope = cargo_concur::discover::Scope::everything();
    let ws = cargo_concur::discover::load(&selection, &scope).expect("cargo metadata");
    let files: Vec<PathBuf> = ws
        .packages
        .iter()
        .flat_map(cargo_concur::discover::package_rs_files)
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();

    let parse_only = || {
        let start = Instant::now();
        let ok: usize = files
            .par_iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                usize::from(syn::parse_file(&text).is_ok())
            })
            .sum();
        (start.elapsed(), ok)
    };
    let analyze = || {
        let start = Instant::now();
        let ws = cargo_concur::discover::load(&selection, &scope).expect("cargo metadata");
        let doc = cargo_concur::analyze::analyze_workspace(&ws);
        (start.elapsed(), doc)
    };

    // Warm-up (page cache, rayon pool), then interleaved rounds so drift hits both alike.
    let (_, parsed) = parse_only();
    let (_, doc) = analyze();
    let mut p = Vec::new();
    let mut a = Vec::new();
    for _ in 0..iterations {
        p.push(parse_only().0);
        a.push(analyze().0);
    }
    let (pm, am) = (median(&mut p), median(&mut a));
    println!("crate:        {}", manifest.display());
    println!(
        "files:        {} ({} parsed, {:.1} MB), {} findings, {} functions",
        files.len(),
        parsed,
        bytes as f64 / 1e6,
        doc.findings.len(),
        doc.functions.len()
    );
    println!("threads:      {}", rayon::current_num_threads());
    println!("iterations:   {iterations} (interleaved, after one warm-up each)");
    println!(
        "parse-only:   median {:>8.1} ms  (min {:.1})",
        ms(pm),
        ms(*p.iter().min().unwrap())
    );
    println!(
        "analyze:      median {:>8.1} ms  (min {:.1})  incl. cargo metadata",
        ms(am),
        ms(*a.iter().min().unwrap())
    );
    println!(
        "ratio:        {:.2}x (analyze / parse-only)",
        am.as_secs_f64() / pm.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

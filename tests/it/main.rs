//! The one integration-test binary: runs the real `cargo-concur` binary on the fixture crates.
//!
//! Tests that measure time take [`exclusive`], every other test takes [`shared`], so that no
//! measurement runs while another test burns CPU on this (2-core) machine.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::new(());

/// Held by tests that do not measure time; many at once.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

/// Held by tests that measure time; alone.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|e| e.into_inner())
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture crate's directory, e.g. `fixture("showcase")`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// The real binary, with colours off and a clean environment for the flags it reads.
pub fn concur() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-concur"));
    c.env("NO_COLOR", "1").env_remove("CARGO_TARGET_DIR");
    c
}

mod analyze;
mod asynchronous;
mod cache;
mod ci;
mod faults;
mod fuzz;
mod hardening;
mod layers;
mod profile;
mod python;
mod real_crates;
mod realtests;
mod report;

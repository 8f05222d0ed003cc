//! The one integration-test binary: runs the real `cargo-concur` binary on the fixture crates.

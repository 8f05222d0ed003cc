//! Discovery: `cargo metadata --no-deps`, package selection as cargo does it, targets, and the module tree
//! of each target (files, `#[path]`, inline modules, `mod` inside macro calls).

#!/usr/bin/env run-cargo-script
fn main() { std::env::set_var("A", "b"); }

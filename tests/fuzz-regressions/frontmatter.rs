---
[package]
edition = "2024"
---
fn f() {}

//! Detector tests on in-memory sources with `// expect:` markers (see `callgraph::check`).

use crate::analyze::model::Edition;
use crate::callgraph::check::{check, check_in};

#[test]
fn static_mut_item_and_accesses() {
    check(
        r#"
static mut COUNTER: u64 = 0; // expect: static-mut
pub fn bump() -> u64 {
    unsafe {
        COUNTER += 1; // expect: static-mut
        COUNTER // expect: static-mut
    }
}
pub const LIMIT: u64 = 3;
pub fn limit() -> u64 { LIMIT }
"#,
    );
}

#[test]
fn smoke_lock_across_io() {
    check(
        r#"
use std::fs;
use std::sync::Mutex;
static CACHE: Mutex<Vec<u8>> = Mutex::new(Vec::new()); // expect: global-state
pub fn slow_log(line: &str) {
    let guard = CACHE.lock().unwrap();
    fs::write("log.txt", line).unwrap(); // expect: io, lock-across-blocking
    drop(guard);
    fs::write("log2.txt", line).unwrap(); // expect: io
}
"#,
    );
}

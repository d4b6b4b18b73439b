//! Coverage-guided fuzz target (libFuzzer): guest paths: the parser,
//! and resolution through an `FsContext` over a sandbox with symlinks to
//! a canary outside the mount.
//! The properties are `yoi_conformance::properties::path`'s; a violated
//! one panics, which libFuzzer saves as a crash. Built and run by `cargo
//! xtask fuzz` (`conformance/fuzz/README.md`).

#![no_main]

use std::sync::{LazyLock, Mutex};

use yoi_conformance::properties::path::PathChecker;

static CHECKER: LazyLock<Mutex<PathChecker>> = LazyLock::new(|| Mutex::new(PathChecker::new()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut checker = CHECKER.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(violation) = checker.check(data) {
        panic!("property violated: {violation}");
    }
});

//! Coverage-guided fuzz target (libFuzzer): `.yoi-plugin` archives: the reader, and installing accepted ones.
//! The properties are `yoi_conformance::properties::archive`'s; a violated
//! one panics, which libFuzzer saves as a crash. Built and run by `cargo
//! xtask fuzz` (`conformance/fuzz/README.md`).

#![no_main]

use std::sync::{LazyLock, Mutex};

use yoi_conformance::properties::archive::ArchiveChecker;

static CHECKER: LazyLock<Mutex<ArchiveChecker>> =
    LazyLock::new(|| Mutex::new(ArchiveChecker::new()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut checker = CHECKER.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(violation) = checker.check(data, false) {
        panic!("property violated: {violation}");
    }
});

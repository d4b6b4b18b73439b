//! Coverage-guided fuzz target (libFuzzer): config bundles: the parser, and storing accepted ones.
//! The properties are `yoi_conformance::properties::bundle`'s; a violated
//! one panics, which libFuzzer saves as a crash. Built and run by `cargo
//! xtask fuzz` (`conformance/fuzz/README.md`).

#![no_main]

use std::sync::{LazyLock, Mutex};

use yoi_conformance::properties::bundle::BundleChecker;

static CHECKER: LazyLock<Mutex<BundleChecker>> = LazyLock::new(|| Mutex::new(BundleChecker::new()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut checker = CHECKER.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(violation) = checker.check(data) {
        panic!("property violated: {violation}");
    }
});

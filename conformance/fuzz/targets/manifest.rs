//! Coverage-guided fuzz target (libFuzzer): `plugin.toml`: the manifest parser.
//! The properties are `yoi_conformance::properties::manifest`'s; a violated
//! one panics, which libFuzzer saves as a crash. Built and run by `cargo
//! xtask fuzz` (`conformance/fuzz/README.md`).

#![no_main]

use yoi_conformance::properties::manifest::check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = check(data) {
        panic!("property violated: {violation}");
    }
});

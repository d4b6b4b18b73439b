//! Test helper: installs a package into a store and crashes on purpose.
//!
//! Usage: crash-installer STORE PACKAGE STEP
//! STEP is one of staged, marked, published, swapped, collected (abort right
//! after that step completes), or `none` (install normally; the caller may
//! SIGKILL it at a random moment).

use yoi_plugin_host::package::Package;
use yoi_plugin_host::store::{PluginStore, Source};

fn main() {
    let mut args = std::env::args().skip(1);
    let store = args.next().expect("STORE");
    let package = args.next().expect("PACKAGE");
    let crash_at = args.next().expect("STEP");
    let bytes = std::fs::read(package).expect("read package");
    let package = Package::from_archive(&bytes).expect("valid package");
    let store = PluginStore::open(store).expect("open store");
    store
        .install_with_hook(&package, Source::User, &mut |step| {
            let name = format!("{step:?}").to_lowercase();
            if name == crash_at {
                // Like a power cut: no unwinding, no cleanup.
                std::process::abort();
            }
        })
        .expect("install");
}

//! Test helper: writes alternating whole-file contents through the fs host
//! API in a loop until killed. The crash-safety test kills it at random
//! moments and checks the target is always exactly one of the contents.
//!
//! Usage: crash-writer DIR SIZE

use std::io::Write;
use std::sync::Arc;

use yoi_plugin_host::fs::WriteOptions;
use yoi_plugin_host::limits::InvocationBudget;
use yoi_plugin_host::{FsContext, GrantSet, GrantSpec, LockRegistry, Operation, PluginIdentity};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("DIR");
    let size: usize = args
        .next()
        .expect("SIZE")
        .parse()
        .expect("SIZE is a number");
    let identity = PluginIdentity::component("crash-writer".parse().unwrap(), b"");
    let grants =
        GrantSet::open(identity, &[GrantSpec::new("m", dir, &[Operation::Write])]).expect("grant");
    let mut fs = FsContext::new(
        Arc::new(grants),
        Arc::new(LockRegistry::new()),
        InvocationBudget::new(u64::MAX, u64::MAX, u64::MAX),
    );
    let contents = [vec![b'A'; size], vec![b'B'; size]];
    let mut announced = false;
    for i in 0usize.. {
        fs.write("m/target.bin", &contents[i % 2], &WriteOptions::default())
            .expect("write");
        if !announced {
            println!("ready");
            std::io::stdout().flush().unwrap();
            announced = true;
        }
    }
}

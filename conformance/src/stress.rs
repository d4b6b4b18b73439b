//! Stress sections, each reporting its counts:
//!
//! * **symlink-swap races** — a swapper thread exchanges, with one atomic
//!   `renameat2(RENAME_EXCHANGE)`, a real entry and a symlink to the
//!   outside directory, as fast as it can, while the conformance guest
//!   reads through it (the `hostile` plugin's `read_loop`, 2000 raw reads
//!   per call). Three positions: the directory holding the file, the file
//!   itself, and an intermediate directory two levels up. Every read must
//!   return the inside content or fail with `symlink`/`not-found`
//!   (spec §7.3); a read of the outside secret is an escape.
//! * **SIGKILL in the middle of writes** — a child process (this binary
//!   with `--crash-writer`) rewrites a 1 MiB file through the host `fs`
//!   API in a loop; it is SIGKILLed at a random moment, and the file must
//!   then hold exactly one whole version (spec §6.4).
//! * **SIGKILL in the middle of installs** — a child (`--crash-installer`)
//!   installs version 0.1.0 or 0.1.1 of the conformance guest's package
//!   into a plugin store and is SIGKILLed at a random moment; the store
//!   must then hold, re-verified, exactly the old or the new version.
//!
//! CI runs shortened counts; `--full` runs 100 000 reads per position,
//! 200 write kills and 100 install kills.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use yoi_plugin_host::fs::WriteOptions;
use yoi_plugin_host::limits::InvocationBudget;
use yoi_plugin_host::package::{Package, PackageFiles};
use yoi_plugin_host::store::{PluginStore, Source};
use yoi_plugin_host::{
    CallLimits, FsContext, GrantSet, GrantSpec, LockRegistry, Operation, Plugin, PluginIdentity,
};

use crate::fixture::SECRET;
use crate::judge::{CaseResult, Verdict};

/// How much stress to run.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Guest reads per swap position.
    pub reads: u64,
    /// Writer kills.
    pub kills: u32,
    /// Installer kills.
    pub install_kills: u32,
}

impl Counts {
    /// The counts CI runs.
    pub const SHORT: Counts = Counts {
        reads: 10_000,
        kills: 25,
        install_kills: 20,
    };
    /// `--full`.
    pub const FULL: Counts = Counts {
        reads: 100_000,
        kills: 200,
        install_kills: 100,
    };
}

/// One swap position: what is exchanged and what the guest reads.
struct Position {
    name: &'static str,
    /// Relative to the mount: the real entry and the symlink it is
    /// exchanged with.
    real: &'static str,
    link: &'static str,
    /// Where the symlink points, relative to the outside directory.
    link_target: &'static str,
    guest_path: &'static str,
}

const POSITIONS: [Position; 3] = [
    Position {
        name: "directory",
        real: "sw",
        link: "sw-alt",
        link_target: "",
        guest_path: "m/sw/secret.txt",
    },
    Position {
        name: "file",
        real: "f",
        link: "f-alt",
        link_target: "secret.txt",
        guest_path: "m/f",
    },
    Position {
        name: "intermediate",
        real: "a",
        link: "a-alt",
        link_target: "tree",
        guest_path: "m/a/b/secret.txt",
    },
];

/// Runs every swap position through `plugin` under `work`.
pub fn swap_races(plugin: &Plugin, work: &Path, reads: u64) -> Vec<CaseResult> {
    POSITIONS
        .iter()
        .map(|p| {
            let started = Instant::now();
            let verdict = swap_race(plugin, &work.join(p.name), p, reads)
                .unwrap_or_else(|e| Verdict::Fail(format!("harness: {e:#}")));
            CaseResult {
                family: "stress".into(),
                name: format!("symlink-swap-{}", p.name),
                spec: "7.3".into(),
                verdict,
                time: started.elapsed(),
            }
        })
        .collect()
}

fn swap_race(plugin: &Plugin, root: &Path, p: &Position, reads: u64) -> anyhow::Result<Verdict> {
    let (mount, outside) = (root.join("mount"), root.join("outside"));
    std::fs::create_dir_all(outside.join("tree/b"))?;
    std::fs::write(outside.join("secret.txt"), SECRET)?;
    std::fs::write(outside.join("tree/b/secret.txt"), SECRET)?;
    std::fs::create_dir_all(mount.join("sw"))?;
    std::fs::write(mount.join("sw/secret.txt"), "inside")?;
    std::fs::write(mount.join("f"), "inside")?;
    std::fs::create_dir_all(mount.join("a/b"))?;
    std::fs::write(mount.join("a/b/secret.txt"), "inside")?;
    symlink(outside.join(p.link_target), mount.join(p.link))?;

    let grants = Arc::new(GrantSet::open(
        plugin.identity().clone(),
        &[GrantSpec::new("m", &mount, &[Operation::Read])],
    )?);
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps) = (stop.clone(), swaps.clone());
        let (a, b) = (mount.join(p.real), mount.join(p.link));
        std::thread::spawn(move || -> std::io::Result<()> {
            while !stop.load(Ordering::Relaxed) {
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &a,
                    rustix::fs::CWD,
                    &b,
                    rustix::fs::RenameFlags::EXCHANGE,
                )?;
                swaps.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    };
    let (mut done, mut inside, mut escapes) = (0u64, 0u64, 0u64);
    let mut codes = BTreeMap::<String, u64>::new();
    let mut other = None;
    let give_up = Instant::now() + Duration::from_secs(120);
    // Go on until both the reads and the race happened (a starved swapper
    // on a loaded CI machine must not pass for a race).
    while done < reads || (swaps.load(Ordering::Relaxed) < 1000 && Instant::now() < give_up) {
        let input = json!({"path": p.guest_path, "iterations": 2000}).to_string();
        let out = plugin
            .call_blocking(grants.clone(), "read_loop", &input, &CallLimits::default())
            .result
            .map_err(|e| anyhow::anyhow!("read_loop: {e}"))?;
        for (text, n) in out["contents"].as_object().into_iter().flatten() {
            let n = n.as_u64().unwrap_or(0);
            done += n;
            match text.as_str() {
                "inside" => inside += n,
                t if t.contains(SECRET) => escapes += n,
                t => other = Some(t.chars().take(40).collect::<String>()),
            }
        }
        for (code, n) in out["errors"].as_object().into_iter().flatten() {
            let n = n.as_u64().unwrap_or(0);
            done += n;
            *codes.entry(code.clone()).or_default() += n;
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper
        .join()
        .map_err(|_| anyhow::anyhow!("swapper panicked"))??;
    let swaps = swaps.load(Ordering::Relaxed);
    let summary = format!(
        "reads={done} inside={inside} escapes={escapes} swaps={swaps} errors={}",
        serde_json::to_value(&codes)?
    );
    println!("  stress symlink-swap-{}: {summary}", p.name);
    let unexpected: Vec<&String> = codes
        .keys()
        .filter(|c| !matches!(c.as_str(), "symlink" | "not-found"))
        .collect();
    Ok(if escapes > 0 {
        Verdict::Fail(format!("ESCAPE: {summary}"))
    } else if let Some(text) = other {
        Verdict::Fail(format!(
            "a read returned unexpected content {text:?}: {summary}"
        ))
    } else if !unexpected.is_empty() {
        Verdict::Fail(format!("a swap was reported as {unexpected:?}: {summary}"))
    } else if swaps < 1000 {
        Verdict::Fail(format!("the swapper hardly ran: {summary}"))
    } else {
        Verdict::Pass
    })
}

/// Size of the file the crash writer rewrites.
const CRASH_FILE_BYTES: usize = 1024 * 1024;

/// Kills `kills` crash writers (`exe --crash-writer DIR`) at random moments
/// and checks the file after each kill.
pub fn killed_writes(exe: &Path, work: &Path, kills: u32) -> CaseResult {
    let started = Instant::now();
    let verdict = killed_writes_inner(exe, work, kills)
        .unwrap_or_else(|e| Verdict::Fail(format!("harness: {e:#}")));
    CaseResult {
        family: "stress".into(),
        name: "sigkill-mid-write".into(),
        spec: "6.4".into(),
        verdict,
        time: started.elapsed(),
    }
}

fn killed_writes_inner(exe: &Path, work: &Path, kills: u32) -> anyhow::Result<Verdict> {
    let dir = work.join("crash");
    std::fs::create_dir_all(&dir)?;
    let (mut whole_a, mut whole_b, mut torn) = (0u32, 0u32, 0u32);
    // A small xorshift: random kill moments without a dependency.
    let mut seed = u64::from(std::process::id()) | 1;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..kills {
        let mut child = Command::new(exe)
            .arg("--crash-writer")
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()?;
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut ready)?;
        std::thread::sleep(Duration::from_micros(next() % 20_000));
        child.kill()?; // SIGKILL
        child.wait()?;
        let content = std::fs::read(dir.join("target.bin"))?;
        match (content.len() == CRASH_FILE_BYTES, content.first()) {
            (true, Some(&c)) if content.iter().all(|&b| b == c) && c == b'A' => whole_a += 1,
            (true, Some(&c)) if content.iter().all(|&b| b == c) && c == b'B' => whole_b += 1,
            _ => torn += 1,
        }
    }
    let temps = std::fs::read_dir(&dir)?
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".yoi-tmp-"))
        })
        .count();
    let summary = format!(
        "kills={kills} whole-old-or-new={} (A={whole_a} B={whole_b}) torn={torn} stray-temp-files={temps}",
        whole_a + whole_b
    );
    println!("  stress sigkill-mid-write: {summary}");
    Ok(if torn == 0 {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("TORN: {summary}"))
    })
}

/// The child of [`killed_writes`]: rewrites `DIR/target.bin` with 1 MiB of
/// `A`, then of `B`, … through the host `fs` API until killed; prints
/// `ready` after the first write.
pub fn crash_writer(dir: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let identity = PluginIdentity::component("crash-writer".parse()?, b"");
    let grants = GrantSet::open(identity, &[GrantSpec::new("m", dir, &[Operation::Write])])?;
    let mut fs = FsContext::new(
        Arc::new(grants),
        Arc::new(LockRegistry::new()),
        InvocationBudget::new(u64::MAX, u64::MAX, u64::MAX),
    );
    let contents = [vec![b'A'; CRASH_FILE_BYTES], vec![b'B'; CRASH_FILE_BYTES]];
    for i in 0usize.. {
        fs.write("m/target.bin", &contents[i % 2], &WriteOptions::default())?;
        if i == 0 {
            println!("ready");
            std::io::stdout().flush()?;
        }
    }
    Ok(())
}

/// Kills `kills` installers (`exe --crash-installer STORE ARCHIVE`) at
/// random moments, alternating two versions of `package`, and checks after
/// each kill that the store holds one of them, whole.
pub fn killed_installs(exe: &Path, work: &Path, package: &Package, kills: u32) -> CaseResult {
    let started = Instant::now();
    let verdict = killed_installs_inner(exe, work, package, kills)
        .unwrap_or_else(|e| Verdict::Fail(format!("harness: {e:#}")));
    CaseResult {
        family: "stress".into(),
        name: "sigkill-mid-install".into(),
        // The store is outside the ABI (§1.1); this checks the reference
        // host's install protocol.
        spec: "1.1".into(),
        verdict,
        time: started.elapsed(),
    }
}

fn killed_installs_inner(
    exe: &Path,
    work: &Path,
    v1: &Package,
    kills: u32,
) -> anyhow::Result<Verdict> {
    let dir = work.join("install");
    std::fs::create_dir_all(&dir)?;
    let v2 = bumped(v1)?;
    let archives = [dir.join("v1.tar.gz"), dir.join("v2.tar.gz")];
    std::fs::write(&archives[0], v1.to_archive())?;
    std::fs::write(&archives[1], v2.to_archive())?;
    let store_dir = dir.join("store");
    PluginStore::open(&store_dir)?.install(v1, Source::User)?;
    let id = "user:hostile".parse()?;
    let installer = |archive: &Path| {
        Command::new(exe)
            .arg("--crash-installer")
            .arg(&store_dir)
            .arg(archive)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    };
    // Kill moments are drawn from the time a whole install takes here (the
    // slowest of three, so late steps get hit too).
    let mut window = 1000u64;
    for archive in [&archives[1], &archives[0], &archives[1]] {
        let timed = Instant::now();
        installer(archive)?.wait()?;
        window = window.max(timed.elapsed().as_micros() as u64);
    }
    let mut seed = u64::from(std::process::id()).rotate_left(17) | 1;
    let (mut killed, mut finished, mut old, mut new, mut broken) = (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut round = 0usize;
    // Go on until `kills` installers were killed mid-install (bounded).
    while killed < kills && round < 20 * kills as usize {
        let mut child = installer(&archives[round % 2])?;
        round += 1;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % window));
        match child.try_wait()? {
            Some(_) => finished += 1,
            None => {
                child.kill()?; // SIGKILL
                killed += 1;
            }
        }
        child.wait()?;
        match PluginStore::open(&store_dir)?.get(&id) {
            Ok(p) if p.digest == v1.digest => old += 1,
            Ok(p) if p.digest == v2.digest => new += 1,
            _ => broken += 1,
        }
    }
    let summary = format!(
        "runs={round} killed-mid-install={killed} finished-first={finished} \
         store-holds-v1={old} store-holds-v2={new} broken={broken} window={window}us"
    );
    println!("  stress sigkill-mid-install: {summary}");
    Ok(if broken > 0 {
        Verdict::Fail(format!("BROKEN STORE: {summary}"))
    } else if killed < kills {
        Verdict::Fail(format!(
            "too few installers were killed mid-install: {summary}"
        ))
    } else {
        Verdict::Pass
    })
}

/// `package` with its manifest version bumped from 0.1.0 to 0.1.1.
fn bumped(package: &Package) -> anyhow::Result<Package> {
    let mut files = PackageFiles::new();
    for (path, content) in package.files.iter() {
        let content = match path {
            "plugin.toml" => String::from_utf8(content.to_vec())?
                .replace("version = \"0.1.0\"", "version = \"0.1.1\"")
                .into_bytes(),
            _ => content.to_vec(),
        };
        files.insert(path, content)?;
    }
    let bumped = Package::from_files(files)?;
    anyhow::ensure!(
        bumped.digest != package.digest,
        "the version bump changed nothing"
    );
    Ok(bumped)
}

/// The child of [`killed_installs`]: installs the package archive into the
/// store, then exits.
pub fn crash_installer(store: &Path, archive: &Path) -> anyhow::Result<()> {
    let package = Package::from_archive(&std::fs::read(archive)?)?;
    PluginStore::open(store)?.install(&package, Source::User)?;
    Ok(())
}

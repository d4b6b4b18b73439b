//! The package-archive harness: [`Package::from_archive`] (gzip, tar, the
//! entry rules, then the package checks) on archives built entry by entry
//! from the `hello` package and hostile entries (links, devices, `..`,
//! absolute and long names, pax and GNU long-name overrides, lying size
//! fields, too many entries), on corpus seeds mutated at the tar level
//! and at the gzip level, and on small compression bombs.
//!
//! The properties are [`crate::properties::archive`]'s.

use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use yoi_plugin_host::package::{Package, check_entry_path};

use super::Config;
use super::mutate::{self, Rng};
use crate::properties::Outcome;
use crate::properties::archive::ArchiveChecker;

/// One tar entry as the generator writes it.
#[derive(Clone)]
struct Entry {
    name: Vec<u8>,
    kind: u8,
    data: Vec<u8>,
    link: Vec<u8>,
    /// The raw size field, when it lies about `data`.
    size_field: Option<Vec<u8>>,
    /// Keep a wrong checksum.
    bad_checksum: bool,
}

impl Entry {
    fn file(name: &[u8], data: Vec<u8>) -> Entry {
        Entry {
            name: name.to_vec(),
            kind: b'0',
            data,
            link: Vec::new(),
            size_field: None,
            bad_checksum: false,
        }
    }
}

fn octal(out: &mut [u8], value: u64) {
    let text = format!("{value:0w$o}\0", w = out.len() - 1);
    let bytes = text.as_bytes();
    if bytes.len() == out.len() {
        out.copy_from_slice(bytes);
    }
}

/// A ustar header for `e`.
fn header(e: &Entry) -> [u8; 512] {
    let mut h = [0u8; 512];
    let name = &e.name[..e.name.len().min(100)];
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    match &e.size_field {
        Some(raw) => {
            let n = raw.len().min(12);
            h[124..136].fill(0);
            h[124..124 + n].copy_from_slice(&raw[..n]);
        }
        None => octal(&mut h[124..136], e.data.len() as u64),
    }
    octal(&mut h[136..148], 0);
    h[156] = e.kind;
    let link = &e.link[..e.link.len().min(100)];
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let sum = if e.bad_checksum { sum + 1 } else { sum };
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(&text.as_bytes()[..8]);
    h
}

fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e));
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// A pax extended header (`x`) carrying `records` for the next entry.
fn pax(records: &[(&str, &[u8])]) -> Entry {
    let mut data = Vec::new();
    for (key, value) in records {
        let body_len = key.len() + value.len() + 3;
        let mut len = body_len + 1;
        while len != body_len + len.to_string().len() {
            len = body_len + len.to_string().len();
        }
        data.extend_from_slice(format!("{len} {key}=").as_bytes());
        data.extend_from_slice(value);
        data.push(b'\n');
    }
    Entry {
        kind: b'x',
        ..Entry::file(b"PaxHeaders/x", data)
    }
}

/// Entry names that must never be accepted as written.
const BAD_NAMES: &[&[u8]] = &[
    b"../plugin.toml",
    b"a/../../x",
    b"..",
    b"/etc/passwd",
    b"/plugin.toml",
    b"C:/x.wasm",
    b"a//b",
    b"./plugin.toml",
    b"a\\..\\b",
    b"x\n.wasm",
    b"x\x1b[2J",
    b"plugin.toml/",
    b"",
];
/// Other names: the package's own, unexpected, odd but safe, secret-like.
const NAMES: &[&[u8]] = &[
    b"plugin.toml",
    b"hello.wasm",
    b"README.md",
    b"LICENSE",
    b"extra.txt",
    b"bin/hello.wasm",
    b"\xff\xfe.wasm",
    b"ghp_CanaryS3cretT0ken0123456789abcdef",
    b"password=Canary-hunter-42/x",
    b"\xe2\x80\xaeREADME.md",
];
/// Entry types other than a regular file: hardlink, symlink, char and
/// block devices, directory, FIFO, global pax, GNU sparse, unknown.
const KINDS: &[u8] = b"123456gSVZ";
/// Lying size fields: too big, base-256, not octal, negative-looking.
const SIZE_FIELDS: &[&[u8]] = &[
    b"77777777777\0",
    b"00200000001\0",
    b"00000000000\0",
    b"\x80\0\0\0\0\0\0\x01\0\0\0\0",
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
    b"zzzz\0",
    b"-1\0",
    b"00000001000\0",
];
const DICT: &[&[u8]] = &[
    b"\0",
    b"ustar",
    b"00",
    b"../",
    b"/",
    b"\x1f\x8b\x08\0",
    b"77777777777",
    b"x",
    b"2",
    b"1",
    b"plugin.toml",
    b"ghp_CanaryS3cretT0ken0123456789abcdef",
];

/// The seed package and what the generator builds from it.
struct Seeds {
    manifest: Vec<u8>,
    component: Vec<u8>,
    /// Every corpus seed, compressed and decompressed.
    gz: Vec<Vec<u8>>,
    tars: Vec<Vec<u8>>,
    bombs: Vec<Vec<u8>>,
}

fn load() -> Seeds {
    let corpus = super::corpus("archive");
    let gz: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let tars: Vec<Vec<u8>> = gz
        .iter()
        .filter_map(|b| {
            let mut out = Vec::new();
            GzDecoder::new(b.as_slice())
                .read_to_end(&mut out)
                .ok()
                .map(|_| out)
        })
        .collect();
    let hello = corpus
        .iter()
        .find(|(n, _)| n == "valid-hello.yoi-plugin")
        .expect("the hello package seed");
    let package = Package::from_archive(&hello.1).expect("the hello seed is valid");
    let manifest = package.files.get("plugin.toml").unwrap().to_vec();
    // A ratio bomb (zeros) and a stored file that claims more than the
    // per-file bound.
    let zeros = vec![0u8; 3 << 20];
    let mut big = tar(&[Entry::file(b"README.md", Vec::new())]);
    big.truncate(512);
    big.extend_from_slice(&zeros);
    let bombs = vec![gzip(&zeros), gzip(&big)];
    Seeds {
        manifest,
        component: package.component().to_vec(),
        gz,
        tars,
        bombs,
    }
}

/// An archive built entry by entry; `true` when it must be refused
/// (a link, special or traversal entry, honest sizes, no byte damage).
fn structured(rng: &mut Rng, s: &Seeds) -> (Vec<u8>, bool) {
    let component = if rng.percent(30) {
        s.component.clone()
    } else {
        b"\0asm\x0d\0\x01\0".to_vec()
    };
    let mut entries = vec![
        Entry::file(b"plugin.toml", s.manifest.clone()),
        Entry::file(b"hello.wasm", component),
    ];
    if rng.percent(30) {
        entries.push(Entry::file(b"README.md", b"# hello\n".to_vec()));
    }
    let mut honest = true;
    for _ in 0..rng.below(4) {
        let i = rng.below(entries.len());
        match rng.below(10) {
            0 | 1 => {
                let name = *rng.pick::<&[u8]>(BAD_NAMES);
                let mut e = Entry::file(name, b"x".to_vec());
                e.kind = *rng.pick(b"05");
                entries.insert(rng.below(entries.len() + 1), e);
            }
            2 | 3 => {
                let kind = *rng.pick(KINDS);
                let name = *rng.pick::<&[u8]>(NAMES);
                let mut e = Entry::file(name, Vec::new());
                e.kind = kind;
                e.link = rng.pick(BAD_NAMES).to_vec();
                entries.insert(rng.below(entries.len() + 1), e);
            }
            4 => {
                // A pax or GNU long name overrides a harmless header name.
                let bad = rng.pick(BAD_NAMES).to_vec();
                let ext = if rng.percent(50) {
                    match rng.below(3) {
                        0 => pax(&[("size", b"99999")]),
                        _ => pax(&[("path", &bad)]),
                    }
                } else {
                    Entry {
                        kind: b'L',
                        ..Entry::file(b"././@LongLink", [bad.as_slice(), b"\0"].concat())
                    }
                };
                entries.insert(i, ext);
            }
            5 => {
                entries[i].size_field = Some(rng.pick(SIZE_FIELDS).to_vec());
                honest = false;
            }
            6 => {
                let copy = entries[i].clone();
                entries.push(copy);
            }
            7 => {
                let long = [&b"d/"[..], &vec![b'a'; 200 + rng.below(400)]].concat();
                entries.insert(i, pax(&[("path", &long)]));
                entries.insert(i + 1, Entry::file(b"long", Vec::new()));
            }
            8 => {
                let n = 60 + rng.below(10);
                for k in 0..n {
                    entries.push(Entry::file(format!("f{k}").as_bytes(), Vec::new()));
                }
            }
            _ => {
                entries[i].name = rng.pick(NAMES).to_vec();
                entries[i].bad_checksum = rng.percent(20);
                honest &= !entries[i].bad_checksum;
            }
        }
    }
    let mut bytes = tar(&entries);
    if rng.percent(10) {
        mutate::bytes(rng, &mut bytes, DICT, &[]);
        honest = false;
    }
    (gzip(&bytes), honest && must_refuse(&entries))
}

/// Whether honest `entries` hold one the reader must refuse: a pax
/// header (the format has none), a link or special entry, or a file
/// (directory: without its trailing `/`s) whose name — a preceding GNU
/// long name's, if any — breaks the path rule.
fn must_refuse(entries: &[Entry]) -> bool {
    let bad_name =
        |name: &[u8]| std::str::from_utf8(name).map_or(true, |n| check_entry_path(n).is_err());
    let mut long: Option<&[u8]> = None;
    for e in entries {
        let name = long.take().unwrap_or(&e.name);
        let refuse = match e.kind {
            b'x' => true,
            b'L' => {
                long = Some(e.data.strip_suffix(b"\0").unwrap_or(&e.data));
                false
            }
            b'0' => bad_name(name),
            b'5' => bad_name(&name[..name.iter().rposition(|b| *b != b'/').map_or(0, |i| i + 1)]),
            _ => true,
        };
        if refuse {
            return true;
        }
    }
    false
}

/// A corpus seed mutated inside its tar headers (then recompressed) or
/// in its gzip bytes.
fn mutated(rng: &mut Rng, s: &Seeds) -> Vec<u8> {
    if rng.percent(50) && !s.tars.is_empty() {
        let mut t = rng.pick(&s.tars).clone();
        let headers = (t.len() / 512).max(1);
        let at = 512 * rng.below(headers);
        for _ in 0..1 + rng.below(3) {
            if t.len() >= at + 512 {
                t[at + rng.below(512)] = rng.next() as u8;
            }
        }
        if rng.percent(30) {
            mutate::bytes(rng, &mut t, DICT, &[]);
        }
        gzip(&t)
    } else {
        let mut g = rng.pick(&s.gz).clone();
        let others: Vec<&[u8]> = s.gz.iter().map(Vec::as_slice).collect();
        mutate::bytes(rng, &mut g, DICT, &others);
        g
    }
}

#[test]
fn archive_reader_holds_its_properties() {
    let cfg = Config::from_env("archive", "ARCHIVE", 3_000, 0x6172_6368);
    let seeds = load();
    let mut checker = ArchiveChecker::new();
    let must_refuse = std::cell::Cell::new(false);
    let report = super::drive(
        &cfg,
        |rng| {
            must_refuse.set(false);
            match rng.below(20) {
                0..=10 => {
                    let (bytes, refuse) = structured(rng, &seeds);
                    must_refuse.set(refuse);
                    bytes
                }
                11 => {
                    let mut b = rng.pick(&seeds.bombs).clone();
                    if rng.percent(50) {
                        mutate::bytes(rng, &mut b, DICT, &[]);
                    }
                    b
                }
                _ => mutated(rng, &seeds),
            }
        },
        |bytes| checker.check(bytes, must_refuse.get()),
    );
    super::assert_clean(&report, 5);
    assert!(checker.installed() > 1, "no package was installed");
}

#[test]
fn every_archive_seed_behaves_as_named() {
    // `valid-*` seeds are accepted (and install); every other seed is
    // refused with a clean error.
    let mut checker = ArchiveChecker::new();
    for (name, bytes) in super::corpus("archive") {
        let outcome = checker
            .check(&bytes, false)
            .unwrap_or_else(|v| panic!("{name}: {v}"));
        let accepted = matches!(outcome, Outcome::Accepted);
        assert_eq!(accepted, name.starts_with("valid-"), "{name}");
    }
}

/// Writes the tricky archive seeds from the hello seed (after changing
/// the generator): `cargo test -p yoi-conformance --lib
/// write_archive_seeds -- --ignored`.
#[test]
#[ignore]
fn write_archive_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/archive");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let hello = Package::from_dir(
        &root.join("example-plugins/hello"),
        Some(&root.join("target/plugins/hello.wasm")),
    )
    .unwrap();
    std::fs::write(dir.join("valid-hello.yoi-plugin"), hello.to_archive()).unwrap();
    let mut files = hello.files.clone();
    files.insert("README.md", b"# Hello\n".to_vec()).unwrap();
    files.insert("LICENSE", b"Apache-2.0\n".to_vec()).unwrap();
    let with_docs = Package::from_files(files).unwrap();
    std::fs::write(
        dir.join("valid-hello-docs.yoi-plugin"),
        with_docs.to_archive(),
    )
    .unwrap();
    let s = load();
    // The tricky seeds carry a stub component (refused before it matters).
    let base = || {
        vec![
            Entry::file(b"plugin.toml", s.manifest.clone()),
            Entry::file(b"hello.wasm", b"\0asm\x0d\0\x01\0".to_vec()),
        ]
    };
    let with = |extra: Entry| {
        let mut e = base();
        e.insert(1, extra);
        gzip(&tar(&e))
    };
    let link = |kind: u8, name: &[u8], target: &[u8]| Entry {
        kind,
        link: target.to_vec(),
        ..Entry::file(name, Vec::new())
    };
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "symlink-escape.yoi-plugin",
            with(link(b'2', b"README.md", b"/etc/passwd")),
        ),
        (
            "hardlink.yoi-plugin",
            with(link(b'1', b"LICENSE", b"../../etc/shadow")),
        ),
        ("fifo.yoi-plugin", with(link(b'6', b"README.md", b""))),
        (
            "absolute-path.yoi-plugin",
            with(Entry::file(b"/etc/cron.d/x", b"x".to_vec())),
        ),
        (
            "parent-traversal.yoi-plugin",
            with(Entry::file(b"a/../../x", b"x".to_vec())),
        ),
        ("pax-path-traversal.yoi-plugin", {
            let mut e = base();
            e.insert(1, pax(&[("path", b"../README.md")]));
            e.insert(2, Entry::file(b"README.md", b"x".to_vec()));
            gzip(&tar(&e))
        }),
        ("oversize-claim.yoi-plugin", {
            let mut e = base();
            e[0].size_field = Some(b"77777777777\0".to_vec());
            gzip(&tar(&e))
        }),
        (
            "duplicate-entry.yoi-plugin",
            with(Entry::file(b"hello.wasm", b"x".to_vec())),
        ),
        ("zeros-bomb.yoi-plugin", s.bombs[0].clone()),
        ("truncated.yoi-plugin", {
            let g = gzip(&tar(&base()));
            g[..g.len() / 2].to_vec()
        }),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

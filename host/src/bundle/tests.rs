//! Tests of the bundle domain: construction, validation, digest stability.

use super::*;
use crate::error::ErrorCode;
use crate::grant::Operation;

pub(crate) const PLUGIN_DIGEST: &str =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A valid, sealed bundle used across the bundle tests.
pub(crate) fn sample() -> ConfigBundle {
    sample_with("team-a", 1)
}

/// A valid, sealed bundle with the given id and revision.
pub(crate) fn sample_with(id: &str, revision: u64) -> ConfigBundle {
    let mut grant = GrantRequest::new("notes", &[Operation::Read, Operation::List]);
    grant.include.push("journal/**".to_owned());
    grant.exclude.push("**/*.key".to_owned());
    let profile = Profile {
        description: Some("journal helper with read/write notes".to_owned()),
        plugins: vec![PluginEnablement {
            id: "user:notes".to_owned(),
            version: "0.1.0".to_owned(),
            digest: PLUGIN_DIGEST.to_owned(),
            grants: vec![grant],
            network: vec![],
            limits: None,
        }],
        capabilities: vec!["capability:fs".to_owned()],
    };
    ConfigBundle::new(
        id,
        revision,
        "ws-1",
        "2026-06-25T16:44:57Z",
        Provenance {
            source: "yoi-plugin bundle create".to_owned(),
            author: Some("alice".to_owned()),
        },
    )
    .with_profile("notes", profile)
    .with_profile("empty", Profile::default())
    .with_declaration(Declaration::new(DeclarationKind::Mount, "notes"))
    .with_declaration(Declaration::new(DeclarationKind::Secret, "github-token"))
    .seal()
}

#[test]
fn sample_is_valid() {
    let b = sample();
    assert_eq!(b.validate(), Ok(()));
    assert_eq!(b.digest.len(), 64);
    assert_eq!(
        b.bundle_ref().to_string(),
        format!("team-a@{}", &b.digest[..12])
    );
}

#[test]
fn digest_ignores_json_key_order_and_whitespace() {
    let b = sample();
    let compact = serde_json::to_string(&b).unwrap();
    let reordered = format!(
        r#"
        {{
          "digest" : "{digest}",
          "declarations": [ {{"reference":"mount:notes","kind":"mount"}},
                            {{"reference":"secret:github-token","kind":"secret"}} ],
          "profiles": {{
            "notes": {{
              "capabilities": ["capability:fs"],
              "plugins": [ {{
                "grants": [ {{ "exclude": ["**/*.key"], "ops": ["read","list"],
                               "include": ["journal/**"], "mount": "notes" }} ],
                "digest": "{plugin}", "version": "0.1.0", "id": "user:notes" }} ],
              "description": "journal helper with read/write notes"
            }},
            "empty": {{ }}
          }},
          "provenance": {{ "author": "alice", "source": "yoi-plugin bundle create" }},
          "workspace_id": "ws-1", "created_at": "2026-06-25T16:44:57Z",
          "revision": 1, "id": "team-a"
        }}"#,
        digest = b.digest,
        plugin = PLUGIN_DIGEST,
    );
    let a = ConfigBundle::from_json(&compact).unwrap();
    let r = ConfigBundle::from_json(&reordered).unwrap();
    assert_eq!(a.compute_digest(), b.digest);
    assert_eq!(r.compute_digest(), b.digest);
    assert_eq!(r, b);
}

#[test]
fn one_character_changes_the_digest() {
    let b = sample();
    let mut changed = b.clone();
    changed.workspace_id = "ws-2".to_owned();
    assert_ne!(changed.compute_digest(), b.digest);
    let err = changed.validate().unwrap_err();
    assert_eq!(err.code(), "digest-mismatch");
    let text = serde_json::to_string(&b)
        .unwrap()
        .replace("journal/**", "journal/*");
    let err = ConfigBundle::from_json(&text).unwrap_err();
    assert_eq!(err.code(), "digest-mismatch");
    let mut bumped = b.clone();
    bumped.revision = 2;
    assert_ne!(bumped.compute_digest(), b.digest);
    // Optional `null` and absent members digest the same.
    let mut p = b.clone();
    p.profiles.insert("x".into(), Profile::default());
    let sealed = p.seal();
    let text = serde_json::to_string(&sealed)
        .unwrap()
        .replace(r#""x":{"#, r#""x":{"description":null,"#);
    assert!(text.contains("null"));
    assert_eq!(ConfigBundle::from_json(&text).unwrap(), sealed);
}

#[test]
fn unsealed_or_malformed_digest_is_refused() {
    let mut b = sample();
    b.digest.clear();
    assert_eq!(b.validate().unwrap_err().code(), "invalid-digest");
    assert_eq!(b.validate_content(), Ok(()));
    b.digest = b.compute_digest().to_uppercase();
    assert_eq!(b.validate().unwrap_err().code(), "invalid-digest");
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    let b = sample();
    let text = serde_json::to_string(&b).unwrap();
    for (from, to) in [
        (r#""id":"team-a""#, r#""id":"team-a","dir":"/srv""#),
        (r#""author":"alice""#, r#""author":"alice","x":1"#),
        (
            r#""mount":"notes""#,
            r#""mount":"notes","dir":"/srv/notes""#,
        ),
        (r#""version":"0.1.0""#, r#""version":"0.1.0","path":"x""#),
        (r#""kind":"mount""#, r#""kind":"mount","value":"x""#),
        (r#""capabilities""#, r#""secrets":[],"capabilities""#),
    ] {
        assert!(text.contains(from), "{from}");
        let err = ConfigBundle::parse_draft(&text.replacen(from, to, 1)).unwrap_err();
        assert_eq!(err.code(), "malformed-bundle", "{to}");
        assert!(!err.to_string().contains("/srv"), "{err}");
    }
    let huge = " ".repeat(MAX_BUNDLE_TEXT_BYTES + 1);
    assert_eq!(
        ConfigBundle::parse_draft(&huge).unwrap_err().code(),
        "bundle-too-large"
    );
}

/// Applies `edit` to the sample, reseals, and returns the validation code.
fn code_after(edit: impl FnOnce(&mut ConfigBundle)) -> &'static str {
    let mut b = sample();
    edit(&mut b);
    let b = b.seal();
    b.validate().map_or_else(|e| e.code(), |()| "ok")
}

fn notes(b: &mut ConfigBundle) -> &mut Profile {
    b.profiles.get_mut("notes").unwrap()
}

fn plugin(b: &mut ConfigBundle) -> &mut PluginEnablement {
    &mut notes(b).plugins[0]
}

#[test]
fn enablement_limits_and_network_rules() {
    let limits = |instances| CountLimits {
        instances: Some(instances),
        ..CountLimits::default()
    };
    assert_eq!(code_after(|b| plugin(b).limits = Some(limits(8))), "ok");
    assert_eq!(
        code_after(|b| plugin(b).limits = Some(CountLimits::default())),
        "ok"
    );
    assert_eq!(
        code_after(|b| plugin(b).limits = Some(limits(0))),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| plugin(b).limits = Some(limits(100_001))),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| plugin(b).network = vec!["network:github".into()]),
        "ok"
    );
    assert_eq!(
        code_after(|b| plugin(b).network = vec!["github".into()]),
        "invalid-reference"
    );
    assert_eq!(
        code_after(|b| plugin(b).network = vec!["network:a".into(), "network:a".into()]),
        "duplicate-entry"
    );
    assert_eq!(
        code_after(|b| plugin(b).network = vec!["network:/etc/passwd".into()]),
        "path-like-value"
    );
}

#[test]
fn field_rules() {
    assert_eq!(code_after(|_| ()), "ok");
    assert_eq!(code_after(|b| b.id = "a/b".into()), "path-like-value");
    assert_eq!(code_after(|b| b.id = "..".into()), "path-like-value");
    assert_eq!(code_after(|b| b.id = ".".into()), "path-like-value");
    assert_eq!(code_after(|b| b.id = "a?x".into()), "invalid-bundle-id");
    assert_eq!(code_after(|b| b.id = String::new()), "invalid-bundle-id");
    assert_eq!(code_after(|b| b.id = "x".repeat(129)), "invalid-bundle-id");
    assert_eq!(
        code_after(|b| b.workspace_id = "w s".into()),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| b.created_at = "yesterday".into()),
        "invalid-timestamp"
    );
    assert_eq!(
        code_after(|b| b.provenance.source = "/home/alice/bin/tool".into()),
        "path-like-value"
    );
    assert_eq!(
        code_after(|b| b.provenance.author = Some("token=abc".into())),
        "secret-like-value"
    );
    assert_eq!(
        code_after(|b| {
            let p = b.profiles.remove("empty").unwrap();
            b.profiles.insert("bad name".into(), p);
        }),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| notes(b).description = Some("see .yoi/sessions/foo.jsonl".into())),
        "path-like-value"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].id = "notes".into()),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].version = "^0.1".into()),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].digest = "abc".into()),
        "invalid-digest"
    );
    assert_eq!(
        code_after(|b| {
            let p = notes(b).plugins[0].clone();
            notes(b).plugins.push(p);
        }),
        "duplicate-entry"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0].mount = "/srv/notes".into()),
        "path-like-value"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0].mount = "Notes".into()),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0].ops.clear()),
        "invalid-field"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0].ops.push(Operation::Read)),
        "duplicate-entry"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0]
            .include
            .push("../up/**".into())),
        "path-like-value"
    );
    assert_eq!(
        code_after(|b| notes(b).plugins[0].grants[0].exclude.push("/abs".into())),
        "path-like-value"
    );
    assert_eq!(
        code_after(|b| notes(b).capabilities.push("fs".into())),
        "invalid-reference"
    );
    assert_eq!(
        code_after(|b| notes(b).capabilities.push("capability:fs".into())),
        "duplicate-entry"
    );
    assert_eq!(
        code_after(|b| b
            .declarations
            .push(Declaration::new(DeclarationKind::Mount, "notes"))),
        "duplicate-entry"
    );
    assert_eq!(
        code_after(|b| b.declarations.push(Declaration::new(
            DeclarationKind::Secret,
            "password=hunter2"
        ))),
        "secret-like-value"
    );
    assert_eq!(
        code_after(|b| {
            for i in 0..=MAX_DECLARATIONS {
                b.declarations
                    .push(Declaration::new(DeclarationKind::Network, &format!("h{i}")));
            }
        }),
        "bundle-too-large"
    );
}

#[test]
fn errors_never_echo_rejected_values() {
    let secrets = [
        "password=hunter2",
        "hunter2-secret-value",
        "ghp_0123456789abcdefghijABCDEFGHIJ",
    ];
    let paths = [
        ".cache/yoi",
        ".yoi/sessions/foo.jsonl",
        "pods/foo/sock",
        "/srv/notes",
    ];
    for value in secrets.iter().chain(&paths) {
        for kind in DeclarationKind::ALL {
            let mut b = sample();
            b.declarations.push(Declaration::new(kind, value));
            let err = b.seal().validate().unwrap_err();
            assert!(
                ["secret-like-value", "path-like-value"].contains(&err.code()),
                "{value}: {err}"
            );
            let msg = err.to_string();
            assert!(!msg.contains(value), "{msg}");
            assert!(msg.len() <= crate::diag::MAX_DIAGNOSTIC_BYTES, "{msg}");
        }
    }
}

#[test]
fn bundle_ref_validation() {
    let b = sample();
    assert_eq!(b.bundle_ref().validate(), Ok(()));
    assert_eq!(
        BundleRef::new("a/b", b.digest.clone())
            .validate()
            .unwrap_err()
            .code(),
        "path-like-value"
    );
    assert_eq!(
        BundleRef::new("bundle/1?x", "0")
            .validate()
            .unwrap_err()
            .code(),
        "path-like-value"
    );
    assert_eq!(
        BundleRef::new("ok", "nothex")
            .validate()
            .unwrap_err()
            .code(),
        "invalid-digest"
    );
    assert!(serde_json::from_str::<BundleRef>(r#"{"id":"a","digest":"b","x":1}"#).is_err());
}

/// A bundle can never pin a plugin the store cannot hold: ids, versions
/// and digests are checked by the store's own rules (`crate::names`).
#[test]
fn bundle_pins_follow_the_store_rules() {
    use crate::names::{PluginId, Version};
    // Each of these was accepted by the bundle rules before they were
    // unified with the store's, and could never name an installed plugin.
    for id in ["user:a.b", "user:1abc", "workspace:notes", "user:Notes"] {
        assert!(PluginId::parse(id).is_err(), "{id}");
        assert_eq!(
            code_after(|b| notes(b).plugins[0].id = id.into()),
            "invalid-field",
            "{id}"
        );
    }
    for version in ["1.0", "v1.0.0", "01.0.0"] {
        assert!(Version::parse(version).is_err(), "{version}");
        assert_eq!(
            code_after(|b| notes(b).plugins[0].version = version.into()),
            "invalid-field",
            "{version}"
        );
    }
    // What passes is exactly what the store pins.
    let b = sample();
    let pin = b.profiles["notes"].plugins[0].pin().unwrap();
    assert_eq!(pin.id.to_string(), "user:notes");
    assert_eq!(pin.version.to_string(), "0.1.0");
}

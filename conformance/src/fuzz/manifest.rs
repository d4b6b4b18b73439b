//! The `plugin.toml` harness: [`Manifest::parse`] (TOML + every field
//! rule) on manifests generated field by field from valid and hostile
//! values, committed seeds mutated at the token and byte level, and both.
//!
//! The properties are [`crate::properties::manifest`]'s.

use yoi_plugin_host::ErrorCode;
use yoi_plugin_host::manifest::{Manifest, ManifestError};

use super::Config;
use super::mutate::{self, Rng};
use crate::properties::manifest::check;
use crate::properties::{Outcome, PATH_CANARIES, SECRET_CANARIES};

const IDS: &[&str] = &[
    "hello", "notes", "a", "x-1_y", "Notes!", "", "9lives", "héllo", "a b",
];
const NAMES: &[&str] = &[
    "Hello",
    "",
    " ",
    "Notes\u{1b}]0;x\u{7}",
    "\u{202e}olleH",
    "tab\there",
];
const VERSIONS: &[&str] = &[
    "0.1.0",
    "1.0",
    "01.0.0",
    "1.0.0-rc.1",
    "1.0.0+build.5",
    "99999999999999999999999.0.0",
    "v1.0.0",
];
const ABIS: &[&str] = &[
    "yoi-plugin-wasm-1",
    "yoi-plugin-wasm-",
    "yoi-plugin-wasm-99999",
    "wasm-1",
    "yoi-plugin-wasm-2",
];
const COMPONENTS: &[&str] = &[
    "hello.wasm",
    "bin/x.wasm",
    "../x.wasm",
    "/abs.wasm",
    "a//b.wasm",
    "./x.wasm",
    "C:/x.wasm",
    "a\\b.wasm",
    "x\u{0}.wasm",
    "",
];
const TOOL_NAMES: &[&str] = &["greet", "read", "write", "Read", "", "a.b", "x_y-z"];
const SCHEMAS: &[&str] = &[
    r#"{ type = "object" }"#,
    r#"{ type = "object", required = ["name"], properties = { name = { type = "string", minLength = 1 } }, additionalProperties = false }"#,
    r#"{ type = 7 }"#,
    r#"{ type = "string", pattern = "^(?=(a+)+b)" }"#,
    r#"{ type = "string", pattern = "^(a+)+$" }"#,
    r#"{ type = "string", pattern = "[" }"#,
    r#"{ "$ref" = "https://example.invalid/schema.json" }"#,
    r##"{ "$ref" = "#" }"##,
    r##"{ "$ref" = "#/definitions/a", definitions = { a = { "$ref" = "#/definitions/a" } } }"##,
    r#"{ minimum = nan }"#,
    r#"{ maximum = inf, minimum = -inf }"#,
    r#"{ type = "integer", multipleOf = 0 }"#,
    r#"{ format = "date-time", enum = [1, "a", true, 1.5e300] }"#,
    r#"{ anyOf = [{ not = { not = { not = {} } } }] }"#,
    r#"true"#,
    r#""""#,
    r#"[]"#,
];
const HOST_APIS: &[&str] = &["\"fs\"", "\"log\"", "\"net\"", "\"bogus\"", "7"];
const URLS: &[&str] = &[
    "https://api.example.com/v1",
    "https://api.github.com/repos",
    "http://localhost:8080",
    "file:///etc/passwd",
    "https://user:password=Canary-hunter-42@example.com/",
    "https://example.com/ghp_CanaryS3cretT0ken0123456789abcdef",
    "https://[::1]:99999/",
    "https://exa mple.com",
    "",
    "https://*.example.com",
];
const SECRET_NAMES: &[&str] = &["github-token", "a.b_c", "", "Upper", "x y"];
const OPS: &[&str] = &[
    "\"read\"",
    "\"list\"",
    "\"write\"",
    "\"delete\"",
    "\"rule\"",
    "1",
];
const TEXTS: &[&str] = &[
    "",
    "A journal",
    "line\nbreak",
    "bell\u{7}",
    "\u{1b}[2J",
    "ok\ttab",
];

/// Tokens for the mutators: TOML syntax, keys, values, canaries.
const DICT: &[&[u8]] = &[
    b"\n",
    b"=",
    b"\"",
    b"'",
    b"'''",
    b"\"\"\"",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b",",
    b".",
    b"#",
    b"\\u0000",
    b"\\U0010FFFF",
    b"\\",
    b"\r\n",
    b"1979-05-27T07:32:00Z",
    b"0x7f",
    b"1e999",
    b"nan",
    b"inf",
    b"-0",
    b"true",
    b"schema_version",
    b"tools",
    b"[[tools]]",
    b"[permissions]",
    b"host_apis",
    b"mounts",
    b"network",
    b"input_schema",
    b"output_schema",
    b"component",
    b"id",
    b"abi",
    b"surprise = 1\n",
    b"\xff\xfe",
    b"\xc0\xae",
    b"\xe2\x80\xae",
    b"ghp_CanaryS3cretT0ken0123456789abcdef",
    b"password=Canary-hunter-42",
    b"/home/canary-user/.ssh/id_ed25519",
    b"sk_live_CanaryKey9876543210ZYXW",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"{a={a={a={a={a={a={a={a={a={a={",
];

/// A TOML basic string: escapes `"`, `\` and control characters.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value for a string field: usually from `valid`, sometimes hostile.
fn text(rng: &mut Rng, valid: &[&str]) -> String {
    let s: String = match rng.below(20) {
        0 => SECRET_CANARIES[rng.below(3)].to_owned(),
        1 => PATH_CANARIES[rng.below(2)].to_owned(),
        2 => "x".repeat(*rng.pick(&[63usize, 64, 65, 128, 129, 4097])),
        _ => rng.pick(valid).to_string(),
    };
    if rng.percent(3) {
        return rng.pick(&["7", "[]", "{}", "true"]).to_string();
    }
    quoted(&s)
}

fn list(rng: &mut Rng, items: &[&str], max: usize) -> String {
    let n = rng.below(max + 1);
    let picked: Vec<&str> = (0..n).map(|_| *rng.pick(items)).collect();
    format!("[{}]", picked.join(", "))
}

/// A manifest built field by field; mostly valid values.
fn generated(rng: &mut Rng) -> String {
    let mut t = String::new();
    let sv = if rng.percent(90) {
        "1"
    } else {
        rng.pick(&["0", "2", "-1", "\"1\"", "1.0", "99999999999999999999"])
    };
    t.push_str(&format!("schema_version = {sv}\n"));
    let fields: [(&str, &[&str], u64); 5] = [
        ("id", IDS, 15),
        ("name", NAMES, 15),
        ("version", VERSIONS, 15),
        ("abi", ABIS, 10),
        ("component", COMPONENTS, 15),
    ];
    for (key, values, bad) in fields {
        if rng.percent(2) {
            continue; // missing field
        }
        let value = if rng.percent(100 - bad) {
            quoted(values[0])
        } else {
            text(rng, values)
        };
        t.push_str(&format!("{key} = {value}\n"));
    }
    if rng.percent(60) {
        t.push_str(&format!("description = {}\n", text(rng, TEXTS)));
    }
    if rng.percent(3) {
        t.push_str("surprise = true\n");
    }
    let tools = if rng.percent(95) { 1 + rng.below(3) } else { 0 };
    for i in 0..tools {
        t.push_str("\n[[tools]]\n");
        let name = if rng.percent(85) {
            quoted(TOOL_NAMES[i % 3])
        } else {
            text(rng, TOOL_NAMES)
        };
        t.push_str(&format!("name = {name}\n"));
        let desc = if rng.percent(85) {
            quoted("Does a thing")
        } else {
            text(rng, TEXTS)
        };
        t.push_str(&format!("description = {desc}\n"));
        let schema = if rng.percent(70) {
            SCHEMAS[rng.below(2)]
        } else {
            rng.pick(SCHEMAS)
        };
        t.push_str(&format!("input_schema = {schema}\n"));
        if rng.percent(20) {
            t.push_str(&format!("output_schema = {}\n", rng.pick(SCHEMAS)));
        }
    }
    if rng.percent(60) {
        t.push_str("\n[permissions]\n");
        t.push_str(&format!("host_apis = {}\n", list(rng, HOST_APIS, 3)));
        if rng.percent(50) {
            let mounts: Vec<String> = (0..rng.below(3))
                .map(|_| {
                    format!(
                        "{{ name = {}, ops = {}, reason = {} }}",
                        text(rng, &["notes", "docs", "Notes", ".x", ""]),
                        list(rng, OPS, 3),
                        text(rng, TEXTS)
                    )
                })
                .collect();
            t.push_str(&format!("mounts = [{}]\n", mounts.join(", ")));
        }
        if rng.percent(40) {
            let nets: Vec<String> = (0..rng.below(3))
                .map(|_| {
                    let secrets: Vec<String> =
                        (0..rng.below(3)).map(|_| text(rng, SECRET_NAMES)).collect();
                    format!(
                        "{{ url = {}, methods = {}, secrets = [{}], reason = {} }}",
                        text(rng, URLS),
                        list(
                            rng,
                            &["\"GET\"", "\"POST\"", "\"get\"", "\"BREW\"", "\"\""],
                            2
                        ),
                        secrets.join(", "),
                        text(rng, TEXTS)
                    )
                })
                .collect();
            t.push_str(&format!("network = [{}]\n", nets.join(", ")));
        }
    }
    t
}

/// One input: generated, a mutated seed, or a mutated generated one.
fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    match rng.below(10) {
        0..=3 => generated(rng).into_bytes(),
        4..=5 => {
            let mut d = generated(rng).into_bytes();
            mutate::bytes(rng, &mut d, DICT, &others);
            d
        }
        6 => {
            // Deep nesting: the parser must refuse it, not overflow.
            let depth = 1 + rng.below(5000);
            let (open, close) = *rng.pick(&[("[", "]"), ("{a=", "}")]);
            format!("x = {}{}\n", open.repeat(depth), close.repeat(depth)).into_bytes()
        }
        _ => {
            let mut d = rng.pick(seeds).clone();
            mutate::bytes(rng, &mut d, DICT, &others);
            d
        }
    }
}

#[test]
fn manifest_parser_holds_its_properties() {
    let cfg = Config::from_env("manifest", "MANIFEST", 20_000, 0x6d61_6e69);
    let seeds: Vec<Vec<u8>> = super::corpus("manifest")
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let report = super::drive(&cfg, |rng| input(rng, &seeds), check);
    super::assert_clean(&report, 20);
}

#[test]
fn every_manifest_seed_behaves_as_named() {
    // `valid-*` seeds parse; every other seed is refused with a clean error.
    for (name, bytes) in super::corpus("manifest") {
        let outcome = check(&bytes).unwrap_or_else(|v| panic!("{name}: {v}"));
        let accepted = matches!(outcome, Outcome::Accepted);
        assert_eq!(accepted, name.starts_with("valid-"), "{name}");
    }
}

/// A valid manifest the regression tests edit.
const GOOD: &str = include_str!("../../fuzz/corpus/manifest/valid-notes.toml");

/// Found by this harness: a
/// parse error quoted the offending source line, with its newlines,
/// terminal escapes and any secret or host path on it. Now it says
/// where (line, column) and what, with values masked.
#[test]
fn parse_errors_do_not_echo_the_source() {
    let secret = "ghp_CanaryS3cretT0ken0123456789abcdef";
    let cases = [
        format!("{GOOD}\nsecret = \"{secret}\""),
        GOOD.replace(
            "schema_version = 1",
            &format!("schema_version = \"{secret}\""),
        ),
        GOOD.replace("id = \"notes\"", &format!("id = {secret}")),
        GOOD.replace("id = \"notes\"", "id = \"/home/alice/.ssh/id\\u001b[2J\" x"),
    ];
    for text in cases {
        let err = Manifest::parse(&text).unwrap_err();
        let shown = err.to_string();
        assert_eq!(err.code(), "manifest-parse");
        assert!(
            !shown.contains("Canary") && !shown.contains("/home"),
            "{shown}"
        );
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.contains("line "), "{shown}");
    }
}

/// Found by this harness: a refused secret name and an
/// invalid schema value were quoted into `manifest-invalid`.
#[test]
fn invalid_values_are_not_echoed() {
    let secret = "sk_live_CanaryKey9876543210ZYXW";
    let net = format!(
        "{GOOD}network = [{{ url = \"https://api.example.com/\", secrets = [\"ok\", \"{secret}\"] }}]\n"
    );
    let schema = GOOD.replace(
        "{ type = \"object\", required",
        "{ type = \"obj/home/alice/.ssh/id\", required",
    );
    let reference = GOOD.replace(
        "{ type = \"object\", required",
        &format!("{{ \"$ref\" = \"#/definitions/{secret}\", required"),
    );
    for (text, field) in [
        (net, "permissions.network[0].secrets[1]"),
        (schema, "tools[0].input_schema"),
        (reference, "tools[0].input_schema"),
    ] {
        match Manifest::parse(&text) {
            Err(ManifestError::Invalid {
                field: f, problem, ..
            }) => {
                assert_eq!(f, field);
                assert!(
                    !problem.contains("Canary") && !problem.contains("/home"),
                    "{problem}"
                );
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

//! The one secret heuristic: whether a piece of text looks like it carries
//! a credential. Bundles refuse such values ([`crate::bundle`]); every
//! diagnostic masks such guest path segments ([`crate::diag`]).
//!
//! [`looks_secret_value`] is true when any of these holds:
//! 1. the text contains `=` (an assignment such as `password=hunter2`);
//! 2. it contains, ignoring case, a secret-value marker: `password`,
//!    `passwd`, `passphrase`, `secret-value`, `secret_value`, `secretvalue`,
//!    `hunter2`, `-----begin`;
//! 3. a word starts, at a boundary (start, or after one of `._-:@/` or
//!    whitespace), with a well-known credential prefix: `ghp_`, `gho_`,
//!    `ghu_`, `ghs_`, `ghr_`, `github_pat_`, `glpat-`, `sk-`, `sk_live_`,
//!    `sk_test_`, `xoxa-`, `xoxb-`, `xoxe-`, `xoxp-`, `xoxr-`, `xoxs-`,
//!    `AKIA`, `ASIA`, `AIza`, `eyJ`;
//! 4. it holds a run of 24 or more ASCII letters/digits that is not a
//!    plain single-case word (mixed case, or any digit): the shape of API
//!    keys, hex and base64 blobs.
//!
//! [`secret_shaped`] is rules 1, 3 and 4 only: for prose and glob
//! patterns, where words like `password` may legitimately appear.
//!
//! A *secret reference name* such as `secret:github-token` passes: it names
//! a secret the runtime host resolves and is not a value.

const SECRET_MARKERS: [&str; 8] = [
    "password",
    "passwd",
    "passphrase",
    "secret-value",
    "secret_value",
    "secretvalue",
    "hunter2",
    "-----begin",
];

const CREDENTIAL_PREFIXES: [&str; 20] = [
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "sk-",
    "sk_live_",
    "sk_test_",
    "xoxa-",
    "xoxb-",
    "xoxe-",
    "xoxp-",
    "xoxr-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "AIza",
    "eyJ",
];

/// Shortest run of letters/digits rule 4 treats as a credential.
const HIGH_ENTROPY_RUN: usize = 24;

/// Whether `text` looks like it carries a secret value (rules 1–4 of the
/// module documentation).
pub fn looks_secret_value(text: &str) -> bool {
    secret_shaped(text) || has_secret_marker(text)
}

/// Rules 1, 3 and 4 (no keyword markers): for free text and glob
/// patterns, where words like `password` may legitimately appear.
pub fn secret_shaped(text: &str) -> bool {
    text.contains('=') || has_credential_prefix(text) || has_high_entropy_run(text)
}

fn has_secret_marker(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|m| lower.contains(m))
}

fn has_credential_prefix(text: &str) -> bool {
    text.char_indices().any(|(i, _)| {
        let at_boundary = i == 0
            || text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_whitespace() || "._-:@/".contains(c));
        at_boundary && CREDENTIAL_PREFIXES.iter().any(|p| text[i..].starts_with(p))
    })
}

fn has_high_entropy_run(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| run.len() >= HIGH_ENTROPY_RUN)
        .any(|run| {
            let single_case_word = run.bytes().all(|b| b.is_ascii_lowercase())
                || run.bytes().all(|b| b.is_ascii_uppercase());
            !single_case_word
        })
}

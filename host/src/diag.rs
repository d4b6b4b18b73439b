//! Safe diagnostics: everything the host says about a guest request passes
//! through here before it reaches an error, a log line or an API caller.
//!
//! Rules: messages are bounded ([`MAX_DIAGNOSTIC_BYTES`]); echoed guest paths
//! are bounded ([`MAX_ECHOED_PATH_BYTES`]), have control characters replaced
//! and secret-looking segments masked (by the crate's one heuristic,
//! [`crate::secret`]); parser messages (serde, TOML) are scrubbed of the
//! values they echo ([`scrub_parser_message`]). Callers never pass file content or
//! host-side paths here in the first place; this module is the second fence.

pub use crate::limits::{MAX_DIAGNOSTIC_BYTES, MAX_ECHOED_PATH_BYTES};

/// Replacement for a segment that looks like it carries a secret.
const MASK: &str = "<redacted>";

/// Cuts `text` to at most `max` bytes on a character boundary, marking the
/// cut with `…`.
pub fn bound(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let ellipsis = "…";
    let mut end = max.saturating_sub(ellipsis.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", &text[..end])
}

/// A guest path made safe to echo: control characters become `?`,
/// secret-looking segments become `<redacted>`, and the result is bounded.
pub fn redact_guest_path(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let masked: Vec<&str> = cleaned
        .split('/')
        .map(|segment| {
            if crate::secret::looks_secret_value(segment) {
                MASK
            } else {
                segment
            }
        })
        .collect();
    bound(&masked.join("/"), MAX_ECHOED_PATH_BYTES)
}

/// Makes a parser's error message safe to pass on. Parsers echo offending
/// values, which may be secrets or host paths: double-quoted values are
/// replaced by `"…"`; backticked words (field and variant names) are kept,
/// so the message still says *which* field is wrong, unless they look
/// secret-like or are not identifier-shaped (`[A-Za-z0-9_.:-]`, at most 64
/// bytes). A value holding a quote character desynchronises the quoting,
/// so the text between quotes is held to the parsers' own prose: a word
/// that looks secret-like or holds anything but letters, digits and
/// `_.,:;()'-` becomes `…`. Control characters become spaces and the
/// result is bounded.
pub(crate) fn scrub_parser_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_DIAGNOSTIC_BYTES));
    let mut rest = message;
    while let Some(pos) = rest.find(['"', '`']) {
        push_prose(&mut out, &rest[..pos]);
        let quote = &rest[pos..pos + 1];
        let after = &rest[pos + 1..];
        let (inner, tail) = match after.find(quote) {
            Some(end) => (&after[..end], &after[end + 1..]),
            None => (after, ""),
        };
        // Field and variant names are identifiers: keep only words of
        // that shape (a credential glued to punctuation, `}sk_live_…`,
        // escapes the word-start rule of the secret heuristic).
        let keep = quote == "`"
            && !crate::secret::looks_secret_value(inner)
            && inner.len() <= 64
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
        out.push_str(quote);
        if keep {
            push_clean(&mut out, inner);
        } else {
            out.push('…');
        }
        out.push_str(quote);
        rest = tail;
    }
    push_prose(&mut out, rest);
    bound(&out, MAX_DIAGNOSTIC_BYTES - 64)
}

/// Pushes unquoted parser text word by word (see [`scrub_parser_message`]).
fn push_prose(out: &mut String, text: &str) {
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let prose = word
            .chars()
            .all(|c| c.is_alphanumeric() || "_.,:;()'-…".contains(c));
        if prose && !crate::secret::looks_secret_value(word) {
            push_clean(out, word);
        } else {
            out.push('…');
        }
    }
}

fn push_clean(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_cuts_on_char_boundary() {
        let s = "ééééé";
        let b = bound(s, 6);
        assert!(b.len() <= 6, "{b}");
        assert!(b.ends_with('…'));
        assert_eq!(bound("short", 10), "short");
    }

    #[test]
    fn redaction_masks_secrets_and_controls() {
        assert_eq!(redact_guest_path("docs/a\u{0}b"), "docs/a?b");
        assert_eq!(
            redact_guest_path("docs/password=hunter2/x"),
            "docs/<redacted>/x"
        );
        assert_eq!(
            redact_guest_path("docs/ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            "docs/<redacted>"
        );
        assert_eq!(
            redact_guest_path("docs/notes/today.md"),
            "docs/notes/today.md"
        );
        assert!(redact_guest_path(&"a/".repeat(500)).len() <= MAX_ECHOED_PATH_BYTES);
    }

    #[test]
    fn scrub_removes_quoted_values_but_keeps_field_names() {
        let s = scrub_parser_message(
            "invalid type: string \"/srv/secret/hunter2\", expected u64 at line 1 column 9",
        );
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!s.contains("/srv"), "{s}");
        assert!(s.contains("expected u64"), "{s}");
        let s = scrub_parser_message("unknown field `dirr`, expected one of `dir`, `ops`");
        assert!(s.contains("`dirr`"), "{s}");
        let s = scrub_parser_message("unknown variant `ghp_0123456789abcdefghijklmnopqrstuv`");
        assert!(!s.contains("ghp_"), "{s}");
        // Found by the bundle fuzz harness (`conformance/src/fuzz/`): a
        // credential after punctuation inside an unknown field name.
        let s = scrub_parser_message("unknown field `capability:}sk_live_CanaryKey98765`");
        assert!(!s.contains("sk_live"), "{s}");
        assert!(s.contains("unknown field `…`"), "{s}");
        // …and a field name holding a backtick, which shifts the quoting.
        let s = scrub_parser_message(
            "unknown field `capa`ility:}sk_live_CanaryKey98765 /home/x`, expected `id`",
        );
        assert!(!s.contains("sk_live") && !s.contains("/home"), "{s}");
        assert!(s.starts_with("unknown field `capa`"), "{s}");
        let s = scrub_parser_message(&format!("\"{}", "x".repeat(1000)));
        assert!(s.len() <= MAX_DIAGNOSTIC_BYTES);
    }
}

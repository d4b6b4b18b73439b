//! Safe diagnostics: everything the host says about a guest request passes
//! through here before it reaches an error, a log line or an API caller.
//!
//! Rules: messages are bounded ([`MAX_DIAGNOSTIC_BYTES`]); echoed guest paths
//! are bounded ([`MAX_ECHOED_PATH_BYTES`]), have control characters replaced
//! and secret-looking segments masked (by the crate's one heuristic,
//! [`crate::secret`]). Callers never pass file content or
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
}

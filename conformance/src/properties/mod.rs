//! One-input property checks of the host's untrusted-input parsers, shared
//! by the seeded harnesses (`fuzz/`, run as tests) and the coverage-guided
//! libFuzzer targets (`conformance/fuzz/targets/`, `cargo xtask fuzz`):
//!
//! * [`path`] — guest paths: the parser and, through an `FsContext` on a
//!   sandbox with symlinks to a canary outside, the resolution;
//! * [`archive`] — `.yoi-plugin` archives, and installing accepted ones;
//! * [`manifest`] — `plugin.toml`;
//! * [`bundle`] — config bundles, and storing accepted ones.
//!
//! Every check takes one input and says [`Outcome::Accepted`],
//! [`Outcome::Rejected`] with the stable code, or a [`Violation`] (what
//! broke, never the input). Every error text passes [`check_error`].

pub mod archive;
pub mod bundle;
pub mod manifest;
pub mod path;

/// Canaries planted in inputs. None may appear in any error text: they
/// look like a secret (the crate's heuristic) or a host path, and an error
/// must never carry such a value on.
pub const SECRET_CANARIES: [&str; 3] = [
    "ghp_CanaryS3cretT0ken0123456789abcdef",
    "password=Canary-hunter-42",
    "sk_live_CanaryKey9876543210ZYXW",
];
/// Path-like canaries (host-local paths); the archive harness may echo
/// entry names by design, so it checks only the secret ones.
pub const PATH_CANARIES: [&str; 2] = ["/home/canary-user/.ssh/id_ed25519", "C:\\Canary\\x"];

/// What one input did.
pub enum Outcome {
    /// The parser accepted it (and the harness's properties held).
    Accepted,
    /// The parser refused it with this stable code.
    Rejected(&'static str),
}

/// A property violation: what broke (no input bytes in it).
pub type Violation = String;

/// The checks every error text must pass: a stable non-empty kebab-case
/// code, a non-empty message, no control characters, none of the
/// `canaries`.
pub fn check_error(code: &'static str, message: &str, canaries: &[&str]) -> Result<(), Violation> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(format!("code {code:?} is not stable kebab-case"));
    }
    if message.trim().is_empty() {
        return Err(format!("{code}: empty message"));
    }
    if message.chars().any(char::is_control) {
        return Err(format!("{code}: message has control characters"));
    }
    if canaries.iter().any(|c| echoes(message, c)) {
        return Err(format!(
            "{code}: message echoes a planted secret/path value"
        ));
    }
    Ok(())
}

/// Whether `message` holds `canary` as a value of its own: not glued to
/// a preceding letter or digit (`abisk_live_…` is a different word, and
/// the secret heuristic reads credential prefixes at word starts too).
fn echoes(message: &str, canary: &str) -> bool {
    message.match_indices(canary).any(|(at, _)| {
        !canary.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !message[..at].ends_with(|c: char| c.is_ascii_alphanumeric())
    })
}

/// Both canary sets: for parsers that never echo a value.
pub(crate) fn all_canaries() -> Vec<&'static str> {
    SECRET_CANARIES
        .iter()
        .chain(&PATH_CANARIES)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_checks_catch_what_they_should() {
        assert!(check_error("manifest-parse", "plugin.toml does not parse", &[]).is_ok());
        assert!(check_error("", "x", &[]).is_err());
        assert!(
            check_error(
                "x",
                "unknown field `abisk_live_CanaryKey9876543210ZYXW`",
                &SECRET_CANARIES
            )
            .is_ok()
        );
        assert!(check_error("x", "at /home/canary-user/.ssh/id_ed25519", &PATH_CANARIES).is_err());
        assert!(check_error("Bad Code", "x", &[]).is_err());
        assert!(check_error("x", "line\nbreak", &[]).is_err());
        assert!(
            check_error(
                "x",
                "value ghp_CanaryS3cretT0ken0123456789abcdef",
                &SECRET_CANARIES
            )
            .is_err()
        );
        assert!(check_error("x", "", &[]).is_err());
    }
}

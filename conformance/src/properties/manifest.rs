//! `plugin.toml` ([`Manifest::parse`], TOML and every field rule).
//!
//! Properties, beyond the common ones ([`super::check_error`] with the
//! secret and path canaries): an accepted manifest re-validates, its
//! accessors that rely on validation do not panic, and it re-serialises
//! to TOML that parses back equal.

use yoi_plugin_host::ErrorCode;
use yoi_plugin_host::manifest::Manifest;

use super::{Outcome, Violation};

/// Runs one manifest text through the parser and the properties.
pub fn check(input: &[u8]) -> Result<Outcome, Violation> {
    let text = String::from_utf8_lossy(input);
    match Manifest::parse(&text) {
        Err(e) => {
            super::check_error(e.code(), &e.to_string(), &super::all_canaries())?;
            Ok(Outcome::Rejected(e.code()))
        }
        Ok(m) => {
            m.validate()
                .map_err(|e| format!("accepted, then re-validation failed: {}", e.code()))?;
            let _ = (m.plugin_name(), m.version());
            match toml::to_string(&m) {
                Ok(again) => match Manifest::parse(&again) {
                    Ok(m2) if m2 == m => Ok(Outcome::Accepted),
                    Ok(_) => Err("re-serialised manifest parses to something else".into()),
                    Err(e) => Err(format!("re-serialised manifest is refused: {}", e.code())),
                },
                // A schema holding `nan` becomes JSON null, which TOML cannot write.
                Err(_) if format!("{:?}", m.tools).contains("Null") => Ok(Outcome::Accepted),
                Err(_) => Err("an accepted manifest does not re-serialise".into()),
            }
        }
    }
}

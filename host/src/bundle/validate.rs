//! Field-by-field validation of a bundle. Each check names the field
//! location in its error and never the rejected value.

use std::collections::BTreeSet;

use super::error::BundleError;
use super::reference::{DeclarationKind, validate_reference};
use super::rules::{self, Rejection};
use super::{
    ConfigBundle, GrantRequest, MAX_CAPABILITIES_PER_PROFILE, MAX_DECLARATIONS,
    MAX_GRANTS_PER_PLUGIN, MAX_PATTERNS_PER_GRANT, MAX_PLUGINS_PER_PROFILE, MAX_PROFILES,
    PluginEnablement, Profile, Provenance,
};

/// Turns a rule rejection into the error for `field`; `invalid` builds the
/// error for a plain shape violation.
fn at(
    field: &str,
    rejection: Rejection,
    invalid: fn(String, &'static str) -> BundleError,
) -> BundleError {
    let field = field.to_owned();
    match rejection {
        Rejection::PathLike => BundleError::PathLike { field },
        Rejection::SecretLike => BundleError::SecretLike { field },
        Rejection::Invalid(reason) => invalid(field, reason),
    }
}

fn invalid_field(field: String, reason: &'static str) -> BundleError {
    BundleError::InvalidField { field, reason }
}

fn invalid_id(field: String, reason: &'static str) -> BundleError {
    BundleError::InvalidBundleId { field, reason }
}

fn check(
    result: Result<(), Rejection>,
    field: &str,
    invalid: fn(String, &'static str) -> BundleError,
) -> Result<(), BundleError> {
    result.map_err(|r| at(field, r, invalid))
}

fn bounded(len: usize, max: usize, field: &str) -> Result<(), BundleError> {
    if len > max {
        return Err(BundleError::TooLarge {
            field: field.to_owned(),
            max,
        });
    }
    Ok(())
}

/// Checks a bundle id.
pub(super) fn bundle_id(id: &str, field: &str) -> Result<(), BundleError> {
    check(rules::identifier(id), field, invalid_id)
}

/// Checks a digest field's shape.
pub(super) fn digest_field(digest: &str, field: &str) -> Result<(), BundleError> {
    if crate::names::Digest::parse(digest).is_ok() {
        Ok(())
    } else {
        Err(BundleError::InvalidDigest {
            field: field.to_owned(),
        })
    }
}

/// Checks every field of `bundle` except the digest.
pub(super) fn content(bundle: &ConfigBundle) -> Result<(), BundleError> {
    bundle_id(&bundle.id, "id")?;
    check(
        rules::identifier(&bundle.workspace_id),
        "workspace_id",
        invalid_field,
    )?;
    if !rules::is_timestamp(&bundle.created_at) {
        return Err(BundleError::InvalidTimestamp {
            field: "created_at".to_owned(),
        });
    }
    provenance(&bundle.provenance)?;
    bounded(bundle.profiles.len(), MAX_PROFILES, "profiles")?;
    for (index, (name, p)) in bundle.profiles.iter().enumerate() {
        // The name is located by position until it is known to be safe.
        check(
            rules::identifier(name),
            &format!("profiles[#{index}] (name)"),
            invalid_field,
        )?;
        profile(p, &format!("profiles.{name}"))?;
    }
    bounded(bundle.declarations.len(), MAX_DECLARATIONS, "declarations")?;
    let mut seen = BTreeSet::new();
    for (i, d) in bundle.declarations.iter().enumerate() {
        let field = format!("declarations[{i}].reference");
        d.validate(&field)?;
        if !seen.insert(&d.reference) {
            return Err(BundleError::Duplicate { field });
        }
    }
    Ok(())
}

fn provenance(p: &Provenance) -> Result<(), BundleError> {
    check(rules::label(&p.source), "provenance.source", invalid_field)?;
    if let Some(author) = &p.author {
        check(rules::label(author), "provenance.author", invalid_field)?;
    }
    Ok(())
}

fn profile(p: &Profile, field: &str) -> Result<(), BundleError> {
    if let Some(description) = &p.description {
        check(
            rules::free_text(description),
            &format!("{field}.description"),
            invalid_field,
        )?;
    }
    bounded(
        p.plugins.len(),
        MAX_PLUGINS_PER_PROFILE,
        &format!("{field}.plugins"),
    )?;
    let mut ids = BTreeSet::new();
    for (i, plugin) in p.plugins.iter().enumerate() {
        let at = format!("{field}.plugins[{i}]");
        enablement(plugin, &at)?;
        if !ids.insert(&plugin.id) {
            return Err(BundleError::Duplicate {
                field: format!("{at}.id"),
            });
        }
    }
    bounded(
        p.capabilities.len(),
        MAX_CAPABILITIES_PER_PROFILE,
        &format!("{field}.capabilities"),
    )?;
    let mut caps = BTreeSet::new();
    for (i, cap) in p.capabilities.iter().enumerate() {
        let at = format!("{field}.capabilities[{i}]");
        validate_reference(DeclarationKind::Capability, cap, &at)?;
        if !caps.insert(cap) {
            return Err(BundleError::Duplicate { field: at });
        }
    }
    Ok(())
}

/// Largest count a bundle may ask for (the host's ceiling decides what is
/// actually allowed, at worker creation).
const MAX_COUNT_LIMIT: usize = 100_000;

fn enablement(p: &PluginEnablement, field: &str) -> Result<(), BundleError> {
    check(
        rules::plugin_id(&p.id),
        &format!("{field}.id"),
        invalid_field,
    )?;
    check(
        rules::version(&p.version),
        &format!("{field}.version"),
        invalid_field,
    )?;
    digest_field(&p.digest, &format!("{field}.digest"))?;
    bounded(
        p.grants.len(),
        MAX_GRANTS_PER_PLUGIN,
        &format!("{field}.grants"),
    )?;
    let mut mounts = BTreeSet::new();
    for (i, g) in p.grants.iter().enumerate() {
        let at = format!("{field}.grants[{i}]");
        grant_request(g, &at)?;
        if !mounts.insert(&g.mount) {
            return Err(BundleError::Duplicate {
                field: format!("{at}.mount"),
            });
        }
    }
    if let Some(limits) = &p.limits {
        for (key, value) in limits.fields() {
            if value.is_some_and(|n| !(1..=MAX_COUNT_LIMIT).contains(&n)) {
                return Err(invalid_field(
                    format!("{field}.limits.{key}"),
                    "must be 1..=100000",
                ));
            }
        }
    }
    bounded(
        p.network.len(),
        MAX_GRANTS_PER_PLUGIN,
        &format!("{field}.network"),
    )?;
    let mut networks = BTreeSet::new();
    for (i, reference) in p.network.iter().enumerate() {
        let at = format!("{field}.network[{i}]");
        super::validate_reference(super::DeclarationKind::Network, reference, &at)?;
        if !networks.insert(reference) {
            return Err(BundleError::Duplicate { field: at });
        }
    }
    Ok(())
}

/// Checks one grant request: mount name, non-empty unique ops, patterns.
pub(super) fn grant_request(g: &GrantRequest, field: &str) -> Result<(), BundleError> {
    check(
        rules::mount_name(&g.mount),
        &format!("{field}.mount"),
        invalid_field,
    )?;
    if g.ops.is_empty() {
        return Err(BundleError::InvalidField {
            field: format!("{field}.ops"),
            reason: "a grant request asks for at least one operation",
        });
    }
    let unique: BTreeSet<_> = g.ops.iter().collect();
    if unique.len() != g.ops.len() {
        return Err(BundleError::Duplicate {
            field: format!("{field}.ops"),
        });
    }
    for (name, patterns) in [("include", &g.include), ("exclude", &g.exclude)] {
        bounded(
            patterns.len(),
            MAX_PATTERNS_PER_GRANT,
            &format!("{field}.{name}"),
        )?;
        for (i, p) in patterns.iter().enumerate() {
            check(
                rules::pattern(p),
                &format!("{field}.{name}[{i}]"),
                invalid_field,
            )?;
        }
    }
    Ok(())
}

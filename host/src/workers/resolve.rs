//! Profile resolution: selector → profile → checked declarations and
//! capabilities → loaded plugins with effective grants.

use std::sync::Arc;

use super::api::{
    CreateWorkerRequest, EffectiveGrant, ProfileSelector, RuntimeError, RuntimeErrorCode as Code,
    WorkerMode, WorkerPlugin,
};
use crate::Plugin;
use crate::bundle::{self, Availability, BundleStore, Profile};
use crate::error::ErrorCode;
use crate::grant::GrantSet;
use crate::policy::{HostPolicy, PolicyError};
use crate::runtime::PluginHost;
use crate::store::PluginStore;

/// One plugin of a worker, ready to call.
pub(super) struct ResolvedPlugin {
    pub plugin: Plugin,
    pub grants: Arc<GrantSet>,
    /// The limits of this plugin's calls: the policy's, with the bundle's
    /// counts (within the ceiling).
    pub limits: crate::limits::CallLimits,
    pub info: WorkerPlugin,
}

/// The outcome of resolving a request.
pub(super) struct Resolution {
    pub mode: WorkerMode,
    pub capabilities: Vec<String>,
    pub plugins: Vec<ResolvedPlugin>,
}

/// What resolution reads.
pub(super) struct Context<'a> {
    pub bundles: &'a BundleStore,
    pub plugins: &'a PluginStore,
    pub policy: &'a HostPolicy,
    pub host: &'a PluginHost,
    /// Plugins already loaded, by pin: a pin names exact, verified content,
    /// so workers share one compiled plugin (and its validators).
    pub loaded: &'a parking_lot::Mutex<std::collections::BTreeMap<crate::PluginPin, Plugin>>,
}

/// Maps a policy error to the runtime's codes.
pub(super) fn policy_error(e: PolicyError) -> RuntimeError {
    let code = match &e {
        PolicyError::UnsupportedDeclaration(_) => Code::UnsupportedDeclaration,
        PolicyError::CapabilityDenied { .. }
        | PolicyError::UnknownMount(_)
        | PolicyError::UnknownNetwork(_)
        | PolicyError::Network(_) => Code::CapabilityDenied,
        _ => Code::InvalidBundle,
    };
    RuntimeError::new(code, e)
}

/// Maps a bundle-store error to the runtime's codes.
pub(super) fn bundle_store_error(e: bundle::StoreError) -> RuntimeError {
    use bundle::StoreError as E;
    let code = match &e {
        E::Missing { .. } => Code::BundleMissing,
        E::DigestMismatch { .. } | E::Invalid(bundle::BundleError::DigestMismatch { .. }) => {
            Code::DigestMismatch
        }
        E::Corrupt { .. } => Code::Integrity,
        E::Io { .. } | E::NotADirectory => Code::Internal,
        E::Invalid(_) => Code::InvalidBundle,
    };
    RuntimeError::new(code, e)
}

/// Resolves `request` against the runtime's stores and policy.
pub(super) fn resolve(
    cx: &Context<'_>,
    request: &CreateWorkerRequest,
) -> Result<Resolution, RuntimeError> {
    if request.intent.len() > 1024 {
        return Err(RuntimeError::new(
            Code::BadRequest,
            "intent is longer than 1024 bytes",
        ));
    }
    let (profile, mode) = select_profile(cx, request)?;
    let mut capabilities: Vec<String> = profile
        .capabilities
        .iter()
        .chain(&request.capabilities)
        .cloned()
        .collect();
    capabilities.sort();
    capabilities.dedup();
    for capability in &capabilities {
        bundle::validate_reference(
            bundle::DeclarationKind::Capability,
            capability,
            "capabilities",
        )
        .map_err(|e| RuntimeError::new(Code::BadRequest, e))?;
        if !cx.policy.allows_capability(capability) {
            return Err(RuntimeError::new(
                Code::CapabilityDenied,
                format!("capability '{capability}' is not provided by this runtime host"),
            ));
        }
    }
    let mut plugins = Vec::new();
    for enablement in &profile.plugins {
        let pin = enablement
            .pin()
            .map_err(|e| RuntimeError::new(Code::InvalidBundle, e))?;
        let cached = cx.loaded.lock().get(&pin).cloned();
        let plugin = match cached {
            Some(plugin) => plugin,
            None => {
                let plugin = cx.plugins.load(cx.host, &pin).map_err(|e| {
                    RuntimeError::new(
                        Code::PluginUnavailable,
                        format!("plugin '{}' [{}]: {e}", enablement.id, e.code()),
                    )
                })?;
                cx.loaded.lock().insert(pin.clone(), plugin.clone());
                plugin
            }
        };
        let specs = cx
            .policy
            .effective_grants(&enablement.grants)
            .map_err(policy_error)?;
        let network = cx
            .policy
            .network_grants(&enablement.network)
            .map_err(policy_error)?;
        let limits = call_limits(cx.policy, &enablement.id, enablement.limits.as_ref())?;
        let grants = GrantSet::open(plugin.identity().clone(), &specs)
            .map_err(|e| {
                RuntimeError::new(
                    Code::Internal,
                    format!("grant for plugin '{}': {e}", enablement.id),
                )
            })?
            .with_network(network);
        let info = WorkerPlugin {
            plugin: pin,
            tools: plugin.tools().iter().map(|t| t.name.clone()).collect(),
            grants: grants
                .iter()
                .map(|g| EffectiveGrant {
                    mount: g.mount().to_owned(),
                    ops: g.operations().to_vec(),
                })
                .collect(),
            network: enablement.network.clone(),
        };
        plugins.push(ResolvedPlugin {
            plugin,
            grants: Arc::new(grants),
            limits,
            info,
        });
    }
    Ok(Resolution {
        mode,
        capabilities,
        plugins,
    })
}

fn select_profile(
    cx: &Context<'_>,
    request: &CreateWorkerRequest,
) -> Result<(Profile, WorkerMode), RuntimeError> {
    let fallback_with_bundle = || {
        RuntimeError::new(
            Code::InvalidProfile,
            "runtime-default and builtin profiles do not take a bundle; use a named profile",
        )
    };
    match &request.profile {
        ProfileSelector::RuntimeDefault => {
            if request.bundle.is_some() {
                return Err(fallback_with_bundle());
            }
            Ok((
                cx.policy
                    .profiles
                    .get("default")
                    .cloned()
                    .unwrap_or_default(),
                WorkerMode::Fallback,
            ))
        }
        ProfileSelector::Builtin(name) => {
            if request.bundle.is_some() {
                return Err(fallback_with_bundle());
            }
            let profile = cx.policy.profiles.get(name).cloned().ok_or_else(|| {
                RuntimeError::new(
                    Code::InvalidProfile,
                    format!(
                        "this runtime has no builtin profile '{}'",
                        crate::diag::bound(name, 64)
                    ),
                )
            })?;
            Ok((profile, WorkerMode::Fallback))
        }
        ProfileSelector::Named(name) => {
            let bundle_ref = request.bundle.as_ref().ok_or_else(|| {
                RuntimeError::new(
                    Code::InvalidProfile,
                    "a named profile requires a synced bundle (bundle: {id, digest})",
                )
            })?;
            bundle_ref
                .validate()
                .map_err(|e| RuntimeError::new(Code::InvalidBundle, e))?;
            match cx
                .bundles
                .check(&bundle_ref.id, &bundle_ref.digest)
                .map_err(bundle_store_error)?
            {
                Availability::Available => {}
                Availability::Missing => {
                    return Err(RuntimeError::new(
                        Code::BundleMissing,
                        format!("bundle '{}' is not synced to this runtime", bundle_ref.id),
                    ));
                }
                Availability::DigestMismatch { .. } => {
                    return Err(RuntimeError::new(
                        Code::DigestMismatch,
                        format!(
                            "bundle '{}' is synced, but not with digest {}",
                            bundle_ref.id, bundle_ref.digest
                        ),
                    ));
                }
            }
            let bundle = cx.bundles.get(bundle_ref).map_err(bundle_store_error)?;
            for declaration in &bundle.declarations {
                cx.policy
                    .check_declaration(declaration)
                    .map_err(policy_error)?;
            }
            let profile = bundle.profiles.get(name).cloned().ok_or_else(|| {
                RuntimeError::new(
                    Code::InvalidProfile,
                    format!(
                        "bundle '{}' has no profile '{}'",
                        bundle_ref.id,
                        crate::diag::bound(name, 64)
                    ),
                )
            })?;
            Ok((profile, WorkerMode::SyncedBundle))
        }
    }
}

/// The limits of an enabled plugin's calls: the policy's, with the
/// bundle's counts applied. A count above the host ceiling refuses the
/// worker (`capability-denied`) rather than being lowered silently.
fn call_limits(
    policy: &crate::policy::HostPolicy,
    plugin: &str,
    counts: Option<&crate::bundle::CountLimits>,
) -> Result<crate::limits::CallLimits, RuntimeError> {
    let mut limits = policy.call_limits();
    let Some(counts) = counts else {
        return Ok(limits);
    };
    let ceiling = policy.ceiling();
    let fields = [
        (
            counts.instances,
            ceiling.instances,
            &mut limits.instances,
            "instances",
        ),
        (
            counts.memories,
            ceiling.memories,
            &mut limits.memories,
            "memories",
        ),
        (counts.tables, ceiling.tables, &mut limits.tables, "tables"),
    ];
    for (asked, max, field, name) in fields {
        let Some(asked) = asked else { continue };
        if asked > max {
            return Err(RuntimeError::new(
                Code::CapabilityDenied,
                format!(
                    "plugin '{plugin}': limits.{name} {asked} is above this host's ceiling of {max}"
                ),
            ));
        }
        *field = asked;
    }
    Ok(limits)
}

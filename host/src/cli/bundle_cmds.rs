//! `bundle seal | digest | verify`: author config bundles offline.

use std::path::{Path, PathBuf};

use crate::bundle::{
    ConfigBundle, Declaration, GrantRequest, PluginEnablement, Profile, Provenance, parse_reference,
};
use crate::grant::Operation;
use crate::store::PluginStore;
use serde_json::json;

use crate::cli::{Exit, Failure, Out};
use crate::error::ErrorCode;

/// What to do with a bundle file.
#[derive(clap::Subcommand)]
pub enum BundleCmd {
    /// Create a sealed bundle with one profile whose plugins are pinned
    /// (version + digest) from the local store.
    Create {
        /// Bundle id (path-safe).
        #[arg(long)]
        id: String,
        /// Revision.
        #[arg(long, default_value_t = 1)]
        revision: u64,
        /// Workspace id.
        #[arg(long)]
        workspace: String,
        /// Profile name.
        #[arg(long)]
        profile: String,
        /// Installed plugin to enable (e.g. user:notes); repeatable.
        #[arg(long = "plugin", value_name = "ID")]
        plugins: Vec<String>,
        /// Grant request for every enabled plugin: MOUNT=OPS (no directory:
        /// the runtime host's policy maps mounts to directories); repeatable.
        #[arg(long = "grant", value_name = "MOUNT=OPS")]
        grants: Vec<String>,
        /// Capability the profile needs (capability:NAME); repeatable.
        #[arg(long = "capability", value_name = "REF")]
        capabilities: Vec<String>,
        /// Declaration (secret:NAME, mount:NAME, network:…, shell:…, git:…, capability:…); repeatable.
        #[arg(long = "declare", value_name = "REF")]
        declarations: Vec<String>,
        /// Write here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Validate a draft and fill in its digest; prints the sealed bundle.
    Seal {
        /// Bundle JSON (digest may be empty).
        file: PathBuf,
        /// Write the sealed bundle here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the canonical digest of a bundle's content.
    Digest {
        /// Bundle JSON.
        file: PathBuf,
    },
    /// Validate a sealed bundle (fields, references, digest).
    Verify {
        /// Bundle JSON.
        file: PathBuf,
    },
}

fn read(file: &Path) -> Result<ConfigBundle, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot read the bundle ({})", e.kind()),
        )
    })?;
    ConfigBundle::parse_draft(&text).map_err(|e| Failure::new(Exit::Invalid, e.code(), e))
}

fn emit_sealed(out: Out, sealed: &ConfigBundle, output: Option<PathBuf>) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(sealed).expect("bundles serialise");
    match output {
        Some(path) => {
            crate::durable::write_file(&path, format!("{text}\n").as_bytes()).map_err(|e| {
                Failure::new(
                    Exit::Io,
                    "io",
                    format!("cannot write the bundle ({})", e.kind()),
                )
            })?;
            out.emit(json!({ "file": path, "digest": sealed.digest }), || {
                format!("sealed {} digest {}", path.display(), sealed.digest)
            });
        }
        None => crate::cli::print_line(&text),
    }
    Ok(())
}

fn parse_grant(text: &str) -> Result<GrantRequest, Failure> {
    let bad = || {
        Failure::new(
            Exit::Usage,
            "invalid-grant",
            format!("'{text}': expected MOUNT=OPS, e.g. notes=read,list"),
        )
    };
    let (mount, ops) = text.split_once('=').ok_or_else(bad)?;
    let ops = ops
        .split(',')
        .map(|o| Operation::parse(o.trim()).ok_or_else(bad))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GrantRequest::new(mount, &ops))
}

pub fn run(out: Out, store_dir: &Path, cmd: BundleCmd) -> Result<(), Failure> {
    match cmd {
        BundleCmd::Create {
            id,
            revision,
            workspace,
            profile,
            plugins,
            grants,
            capabilities,
            declarations,
            output,
        } => {
            let grants = grants
                .iter()
                .map(|g| parse_grant(g))
                .collect::<Result<Vec<_>, _>>()?;
            let store =
                PluginStore::open(store_dir).map_err(crate::cli::package_cmds::store_failure)?;
            let mut enabled = Vec::new();
            for plugin in &plugins {
                let package = store
                    .get(&crate::cli::package_cmds::parse_id(plugin)?)
                    .map_err(crate::cli::package_cmds::store_failure)?;
                enabled.push(PluginEnablement {
                    id: plugin.clone(),
                    version: package.manifest.version.clone(),
                    digest: package.digest.to_string(),
                    grants: grants.clone(),
                    network: vec![],
                    limits: None,
                });
            }
            let created_at =
                humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            let provenance = Provenance {
                source: "yoi-plugin bundle create".into(),
                author: None,
            };
            let mut bundle = ConfigBundle::new(id, revision, workspace, created_at, provenance)
                .with_profile(
                    profile,
                    Profile {
                        description: None,
                        plugins: enabled,
                        capabilities,
                    },
                );
            for reference in &declarations {
                let (kind, token) = parse_reference(reference)
                    .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
                bundle = bundle.with_declaration(Declaration::new(kind, token));
            }
            bundle
                .validate_content()
                .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
            emit_sealed(out, &bundle.seal(), output)?;
        }
        BundleCmd::Seal { file, output } => {
            let draft = read(&file)?;
            draft
                .validate_content()
                .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
            emit_sealed(out, &draft.seal(), output)?;
        }
        BundleCmd::Digest { file } => {
            let bundle = read(&file)?;
            let digest = bundle.compute_digest();
            out.emit(json!({ "digest": digest }), || digest.clone());
        }
        BundleCmd::Verify { file } => {
            let bundle = read(&file)?;
            bundle
                .validate()
                .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
            out.emit(json!({ "ok": true, "id": bundle.id, "revision": bundle.revision, "digest": bundle.digest }), || {
                format!("ok: {} revision {} digest {}", bundle.id, bundle.revision, bundle.digest)
            });
        }
    }
    Ok(())
}

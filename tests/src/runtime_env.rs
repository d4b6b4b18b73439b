//! A runtime environment for worker/bundle tests: a plugin store holding
//! the example plugins, a host policy granting a sample directory, and
//! bundles that reference them.

use std::path::{Path, PathBuf};

use yoi_plugin_host::bundle::{
    ConfigBundle, Declaration, DeclarationKind, GrantRequest, PluginEnablement, Profile, Provenance,
};
use yoi_plugin_host::grant::Operation;
use yoi_plugin_host::package::Package;
use yoi_plugin_host::policy::HostPolicy;
use yoi_plugin_host::store::{PluginStore, Source};
use yoi_plugin_host::workers::{EmbeddedRuntime, RuntimeConfig};

use crate::example_package;

/// One runtime host's files.
pub struct RuntimeEnv {
    /// Owns the directory.
    pub temp: tempfile::TempDir,
    /// The state directory.
    pub state: PathBuf,
    /// The directory the policy maps mount `notes` to.
    pub notes_dir: PathBuf,
    /// The installed packages: notes, hello.
    pub notes: Package,
    /// The hello package.
    pub hello: Package,
    /// The host policy.
    pub policy: HostPolicy,
}

impl RuntimeEnv {
    /// A fresh environment with notes + hello installed as `user:`.
    pub fn new() -> RuntimeEnv {
        let temp = tempfile::tempdir().unwrap();
        let state = temp.path().join("state");
        let notes_dir = temp.path().join("notes");
        std::fs::create_dir_all(notes_dir.join("journal")).unwrap();
        std::fs::write(notes_dir.join("journal/today.md"), "- synced a bundle\n").unwrap();
        std::fs::write(notes_dir.join("secret.txt"), "outside the host include").unwrap();
        let store = PluginStore::open(state.join("plugins")).unwrap();
        let notes = example_package("notes");
        let hello = example_package("hello");
        store.install(&notes, Source::User).unwrap();
        store.install(&hello, Source::User).unwrap();
        let policy = policy_text(&notes_dir, &hello);
        let policy = HostPolicy::from_toml_str(&policy).unwrap();
        RuntimeEnv {
            temp,
            state,
            notes_dir,
            notes,
            hello,
            policy,
        }
    }

    /// Opens the embedded runtime on this environment.
    pub fn open(&self) -> EmbeddedRuntime {
        EmbeddedRuntime::open(RuntimeConfig {
            state_dir: self.state.clone(),
            plugin_store: None,
            policy: self.policy.clone(),
        })
        .unwrap()
    }

    /// The notes enablement with a grant request.
    pub fn notes_enablement(&self, ops: &[Operation]) -> PluginEnablement {
        PluginEnablement {
            id: "user:notes".into(),
            version: self.notes.manifest.version.clone(),
            digest: self.notes.digest.to_string(),
            grants: vec![GrantRequest::new("notes", ops)],
            network: vec![],
            limits: None,
        }
    }

    /// A sealed bundle with a `journal` profile (notes, read/list/write on
    /// mount `notes`) and the declarations this host supports.
    pub fn bundle(&self, revision: u64) -> ConfigBundle {
        ConfigBundle::new(
            "team-a",
            revision,
            "ws-1",
            "2026-11-26T12:00:00Z",
            Provenance {
                source: "yoi-e2e-tests".into(),
                author: Some("tester".into()),
            },
        )
        .with_profile(
            "journal",
            Profile {
                description: Some("journal helper".into()),
                plugins: vec![self.notes_enablement(&[
                    Operation::Read,
                    Operation::List,
                    Operation::Write,
                ])],
                capabilities: vec!["capability:fs".into()],
            },
        )
        .with_declaration(Declaration::new(DeclarationKind::Mount, "notes"))
        .with_declaration(Declaration::new(DeclarationKind::Capability, "fs"))
        .seal()
    }
}

impl Default for RuntimeEnv {
    fn default() -> Self {
        Self::new()
    }
}

/// The host policy: mount `notes` (read/list/write, only `journal/**`),
/// capability `capability:fs`, builtin profile `hello`, no shell/network.
fn policy_text(notes_dir: &Path, hello: &Package) -> String {
    format!(
        r#"
[runtime]
capabilities = ["capability:fs"]

[mounts.notes]
dir = "{dir}"
ops = ["read", "list", "write"]
include = ["journal/**"]

[profiles.hello]
description = "greets"
plugins = [{{ id = "user:hello", version = "{hv}", digest = "{hd}" }}]
"#,
        dir = notes_dir.display(),
        hv = hello.manifest.version,
        hd = hello.digest
    )
}

//! Shared fixtures for the end-to-end tests: the compiled example plugins,
//! one shared host, sandbox directories, and a log capture.
//!
//! The components are built by `cargo xtask build-plugins` into
//! `target/plugins/` (override with `YOI_PLUGINS_DIR`). A missing component
//! fails the test with that instruction rather than skipping it.

pub mod runtime_env;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
pub use yoi_plugin_host::ErrorCode;
use yoi_plugin_host::{
    CallLimits, CallOutcome, GrantSet, GrantSpec, Plugin, PluginHost, PluginIdentity, PluginName,
};

/// Where the compiled example plugins are.
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("YOI_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

/// The bytes of the example plugin `name` (e.g. `hostile`).
pub fn component(name: &str) -> Vec<u8> {
    let path = plugins_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "example plugin {name} missing at {} ({e}); run `cargo xtask build-plugins` first",
            path.display()
        )
    })
}

/// The source directory of example plugin `name` (holds its plugin.toml).
pub fn example_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../example-plugins")
        .join(name)
}

/// The validated package of example plugin `name`.
pub fn example_package(name: &str) -> yoi_plugin_host::package::Package {
    let component = plugins_dir().join(format!("{name}.wasm"));
    yoi_plugin_host::package::Package::from_dir(&example_dir(name), Some(&component))
        .unwrap_or_else(|e| panic!("package {name}: [{}] {e}", e.code()))
}

/// One host shared by all tests in a process (like an integrator would).
pub fn host() -> &'static PluginHost {
    static HOST: OnceLock<PluginHost> = OnceLock::new();
    HOST.get_or_init(|| {
        let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/yoi-test-cache");
        PluginHost::builder()
            .cache_dir(cache)
            .build()
            .expect("build host")
    })
}

/// The identity of the bare component of example plugin `name`.
pub fn identity(name: &str, bytes: &[u8]) -> PluginIdentity {
    PluginIdentity::component(PluginName::parse(name).expect("plugin name"), bytes)
}

/// Loads the example plugin `name` into the shared host as a bare
/// component (the development path: no manifest, no schemas).
pub fn load(name: &str) -> Plugin {
    let bytes = component(name);
    Plugin::from_component(
        host(),
        PluginName::parse(name).expect("plugin name"),
        &bytes,
    )
    .unwrap_or_else(|e| panic!("load {name}: {e}"))
}

/// Loads the example plugin `name` from its package (manifest, schemas):
/// what an installed plugin is.
pub fn load_package(name: &str) -> Plugin {
    let package = example_package(name);
    let pin = yoi_plugin_host::PluginPin::new(
        format!("user:{name}").parse().expect("plugin id"),
        package.manifest.version(),
        package.digest.clone(),
    );
    Plugin::from_package(host(), package, pin).unwrap_or_else(|e| panic!("load {name}: {e}"))
}

/// Opens grants for `plugin`.
pub fn grants(plugin: &Plugin, specs: &[GrantSpec]) -> Arc<GrantSet> {
    Arc::new(GrantSet::open(plugin.identity().clone(), specs).expect("open grants"))
}

/// Calls a tool with default limits.
pub fn call(plugin: &Plugin, grants: &Arc<GrantSet>, tool: &str, input: &Value) -> CallOutcome {
    plugin.call_blocking(
        grants.clone(),
        tool,
        &input.to_string(),
        &CallLimits::default(),
    )
}

/// Calls a tool that must succeed and returns its JSON output.
pub fn call_ok(plugin: &Plugin, grants: &Arc<GrantSet>, tool: &str, input: &Value) -> Value {
    let outcome = call(plugin, grants, tool, input);
    outcome
        .result
        .unwrap_or_else(|e| panic!("{tool} failed: [{}] {e}", e.code()))
}

/// The `hostile` plugin's raw fs probe: returns `Ok(ok-object)` or
/// `Err((code, message))`.
pub fn probe(
    plugin: &Plugin,
    grants: &Arc<GrantSet>,
    input: Value,
) -> Result<Value, (String, String)> {
    let out = call_ok(plugin, grants, "fs", &input);
    if let Some(ok) = out.get("ok") {
        return Ok(ok.clone());
    }
    let err = out
        .get("error")
        .unwrap_or_else(|| panic!("unexpected probe output {out}"));
    Err((
        err["code"].as_str().unwrap_or_default().to_owned(),
        err["message"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The error code of a probe that must fail.
pub fn probe_code(plugin: &Plugin, grants: &Arc<GrantSet>, input: Value) -> String {
    match probe(plugin, grants, input.clone()) {
        Ok(ok) => panic!("probe {input} unexpectedly succeeded: {ok}"),
        Err((code, _)) => code,
    }
}

/// A sandbox: a granted directory (`mount`) and a sibling outside it
/// holding a secret.
pub struct Sandbox {
    /// Owns the temp directory.
    pub temp: tempfile::TempDir,
    /// The directory behind the mount.
    pub mount: PathBuf,
    /// A directory outside every grant.
    pub outside: PathBuf,
}

/// Content of the secret file outside the mount.
pub const SECRET: &str = "TOP-SECRET-CONTENT-7f3a9";

impl Sandbox {
    /// A fresh sandbox with `outside/secret.txt`.
    pub fn new() -> Sandbox {
        let temp = tempfile::tempdir().expect("tempdir");
        let mount = temp.path().join("mount");
        let outside = temp.path().join("outside");
        std::fs::create_dir_all(&mount).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
        Sandbox {
            temp,
            mount,
            outside,
        }
    }

    /// Writes `content` to `rel` inside the mount, creating parents.
    pub fn file(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.mount.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

/// Captures everything the host logs through `tracing` (all levels) in
/// this process, for redaction tests.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOG_BUFFER.get_or_init(Default::default).lock()).into_owned()
}

static LOG_BUFFER: OnceLock<Arc<parking_lot::Mutex<Vec<u8>>>> = OnceLock::new();

/// Installs the capturing subscriber (idempotent).
pub fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let buffer = LOG_BUFFER.get_or_init(Default::default).clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(buffer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("install subscriber");
    });
}

struct Writer(Arc<parking_lot::Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

//! `check`, `pack`, `install`, `list`, `show`, `remove`.

use std::path::{Path, PathBuf};

use crate::abi::inspect;
use crate::cli::args::GrantArgs;
use crate::cli::{Exit, Failure, Out};
use crate::error::ErrorCode;
use crate::names::{Digest, PluginId, Source};
use crate::package::{PACKAGE_EXTENSION, Package, PackageError};
use crate::store::{PluginStore, StoreError};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

fn tool_list(package: &Package) -> String {
    let names: Vec<&str> = package
        .manifest
        .tools
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    names.join(", ")
}

/// Parses a plugin id given on the command line.
pub fn parse_id(text: &str) -> Result<PluginId, Failure> {
    PluginId::parse(text).map_err(|e| Failure::new(Exit::Usage, "invalid-id", e))
}

fn package_failure(e: PackageError) -> Failure {
    let exit = if matches!(e, PackageError::Io(_)) {
        Exit::Io
    } else {
        Exit::Invalid
    };
    Failure::new(exit, e.code(), e)
}

/// Maps a store error to an exit code.
pub fn store_failure(e: StoreError) -> Failure {
    let exit = match &e {
        StoreError::NotInstalled(_) => Exit::NotFound,
        StoreError::Io(_) => Exit::Io,
        StoreError::InvalidId(_) => Exit::Usage,
        _ => Exit::Invalid,
    };
    Failure::new(exit, e.code(), e)
}

fn spinner(out: Out, message: &str) -> ProgressBar {
    let bar = if out.json() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// Reads a plugin directory or a package file.
/// A plugin directory (its tools probed if the component does not record
/// them, `package/probe.rs`) or a package archive.
fn open_package(
    store_dir: &Path,
    path: &Path,
    component: Option<&Path>,
) -> Result<Package, Failure> {
    if path.is_dir() {
        let host = crate::PluginHost::builder()
            .cache_dir(store_dir.join(".cache"))
            .pooling(false)
            .max_concurrent_calls(1)
            .build()
            .map_err(|e| Failure::new(Exit::Io, "engine", e))?;
        Package::from_dir_declaring(path, component, &host).map_err(package_failure)
    } else {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::new(
                Exit::Io,
                "io",
                format!("cannot read the package ({})", e.kind()),
            )
        })?;
        Package::from_archive(&bytes).map_err(package_failure)
    }
}

fn summary(package: &Package) -> serde_json::Value {
    let m = &package.manifest;
    json!({
        "id": m.id, "name": m.name, "version": m.version, "abi": m.abi,
        "digest": package.digest,
        "tools": m.tools.iter().map(|t| json!({"name": t.name, "description": t.description})).collect::<Vec<_>>(),
        "requested": m.permissions,
        "imports": package.info.imports,
        "inert_imports": package.info.imports.iter().filter(|i| inspect::import_is_inert(i)).collect::<Vec<_>>(),
        "exports": package.info.exports,
    })
}

pub fn check(
    out: Out,
    store_dir: &Path,
    path: &Path,
    component: Option<&Path>,
) -> Result<(), Failure> {
    let package = open_package(store_dir, path, component)?;
    out.emit(json!({ "ok": true, "package": summary(&package) }), || {
        format!(
            "ok: {} {} ({} tools: {})\ndigest {}",
            package.manifest.id,
            package.manifest.version,
            package.manifest.tools.len(),
            tool_list(&package),
            package.digest
        )
    });
    Ok(())
}

pub fn pack(
    out: Out,
    store_dir: &Path,
    dir: &Path,
    output: Option<PathBuf>,
    component: Option<&Path>,
) -> Result<(), Failure> {
    let bar = spinner(out, "validating and packing");
    let package = open_package(store_dir, dir, component);
    bar.finish_and_clear();
    let package = package?;
    let output = output.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.{PACKAGE_EXTENSION}",
            package.manifest.id, package.manifest.version
        ))
    });
    let archive = package.to_archive();
    crate::durable::write_file(&output, &archive).map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot write the package ({})", e.kind()),
        )
    })?;
    out.emit(
        json!({ "file": output, "digest": package.digest, "bytes": archive.len(), "archive_sha256": Digest::of(&archive) }),
        || format!("packed {} ({} bytes)\ndigest {}", output.display(), archive.len(), package.digest),
    );
    Ok(())
}

pub fn install(out: Out, store_dir: &Path, file: &Path, source: &str) -> Result<(), Failure> {
    let source = match Source::parse(source) {
        Some(Source::User) => Source::User,
        Some(Source::Project) => Source::Project,
        _ => {
            return Err(Failure::new(
                Exit::Usage,
                "invalid-source",
                "--source must be user or project (builtin is reserved for the host)",
            ));
        }
    };
    let bar = spinner(out, "validating package");
    let bytes = std::fs::read(file).map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot read the package ({})", e.kind()),
        )
    })?;
    let package = Package::from_archive(&bytes).map_err(|e| {
        bar.finish_and_clear();
        package_failure(e)
    })?;
    bar.set_message("installing");
    let store = PluginStore::open(store_dir).map_err(store_failure)?;
    let outcome = store.install(&package, source);
    bar.finish_and_clear();
    let outcome = outcome.map_err(store_failure)?;
    out.emit(json!(outcome), || {
        let replaced = outcome
            .previous
            .as_ref()
            .map(|p| format!(" (replaced {})", p.short()))
            .unwrap_or_default();
        format!(
            "installed {} {}{replaced}\ndigest {}",
            outcome.pin.id, outcome.pin.version, outcome.pin.digest
        )
    });
    Ok(())
}

pub fn list(out: Out, store_dir: &Path) -> Result<(), Failure> {
    let store = PluginStore::open(store_dir).map_err(store_failure)?;
    let all = store.list().map_err(store_failure)?;
    out.emit(json!({ "plugins": all }), || {
        if all.is_empty() {
            return "no plugins installed".into();
        }
        all.iter()
            .map(|p| {
                format!(
                    "{:<32} {:<12} {}",
                    p.id.to_string(),
                    p.version.to_string(),
                    &p.digest.as_str()[..16]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

pub fn show(out: Out, store_dir: &Path, target: &str, grants: &GrantArgs) -> Result<(), Failure> {
    let specs = grants.specs()?;
    let network = grants.network()?;
    // A grant that cannot be opened is an error, not a silently empty view.
    for spec in &specs {
        spec.open()
            .map_err(|e| Failure::new(Exit::Grant, "invalid-grant", e))?;
    }
    if target.ends_with(".wasm") && Path::new(target).is_file() {
        return show_component(out, Path::new(target));
    }
    let package = if Path::new(target).is_file() || Path::new(target).is_dir() {
        open_package(store_dir, Path::new(target), None)?
    } else {
        let id = parse_id(target)?;
        PluginStore::open(store_dir)
            .and_then(|s| s.get(&id))
            .map_err(store_failure)?
    };
    let m = &package.manifest;
    let mounts: Vec<_> = m
        .permissions
        .mounts
        .iter()
        .map(|req| {
            let granted: Vec<_> = specs
                .iter()
                .filter(|g| g.mount == req.name)
                .flat_map(|g| g.ops.iter().filter(|op| req.ops.contains(op)).copied())
                .collect();
            json!({ "mount": req.name, "requested": req.ops, "granted": granted, "reason": req.reason })
        })
        .collect();
    let unrequested: Vec<_> = specs
        .iter()
        .filter(|g| !m.permissions.mounts.iter().any(|r| r.name == g.mount))
        .map(|g| g.mount.clone())
        .collect();
    let mut value = summary(&package);
    value["mounts"] = json!(mounts);
    value["granted_but_not_requested"] = json!(unrequested);
    let granted_network: Vec<String> = network.iter().map(ToString::to_string).collect();
    value["network"] = json!({
        "requested": m.permissions.network,
        "granted": granted_network,
    });
    out.emit(value, || {
        let mut s = format!(
            "{} ({}) {}\n{}\nabi     {}\ndigest  {}\n",
            m.id, m.name, m.version, m.description, m.abi, package.digest
        );
        s += "tools\n";
        for t in &m.tools {
            s += &format!("  {:<16} {}\n", t.name, t.description);
        }
        s += "host APIs requested: ";
        s += &m
            .permissions
            .host_apis
            .iter()
            .map(|a| format!("{a:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        s += "\nmounts (requested -> granted; requests are not grants)\n";
        if m.permissions.mounts.is_empty() {
            s += "  none requested: this plugin can touch no files\n";
        }
        for (req, shown) in m.permissions.mounts.iter().zip(&mounts) {
            let granted = shown["granted"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let ops = req
                .ops
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(",");
            s += &format!(
                "  {:<12} requested {:<22} granted {}\n",
                req.name,
                ops,
                if granted.is_empty() {
                    "nothing".into()
                } else {
                    granted
                }
            );
        }
        s += "network (requested -> granted; requests are not grants)\n";
        for req in &m.permissions.network {
            let methods = if req.methods.is_empty() {
                "GET,HEAD".to_owned()
            } else {
                req.methods.join(",")
            };
            s += &format!("  requested {} {methods}", req.url);
            if !req.secrets.is_empty() {
                s += &format!(" secrets {}", req.secrets.join(","));
            }
            s += "\n";
        }
        if granted_network.is_empty() {
            s += "  granted nothing: this plugin can reach no network\n";
        }
        for g in &granted_network {
            s += &format!("  granted   {g}\n");
        }
        s += "imports\n";
        for i in &package.info.imports {
            s += &format!("  {i}{}\n", inert_note(i));
        }
        s.trim_end().to_owned()
    });
    Ok(())
}

/// How `show` marks an import that is linked but grants nothing.
fn inert_note(import: &str) -> &'static str {
    if inspect::import_is_inert(import) {
        "  (linked, grants nothing)"
    } else if inspect::import_is_grant_gated(import) {
        "  (linked; network grants decide)"
    } else {
        ""
    }
}

fn show_component(out: Out, path: &Path) -> Result<(), Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot read the component ({})", e.kind()),
        )
    })?;
    // A wasm32-wasip1 core module is shown as the component it runs as.
    let bytes = crate::package::adapt::to_component(bytes)
        .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
    let scan = inspect::scan(&bytes).map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
    let verdict = inspect::check(scan.clone());
    let digest = Digest::of(&bytes);
    out.emit(
        json!({
            "digest": digest, "imports": scan.imports, "exports": scan.exports,
            "inert_imports": scan.imports.iter().filter(|i| inspect::import_is_inert(i)).collect::<Vec<_>>(),
            "declared_tools": scan.declared_tools,
            "abi": verdict.as_ref().ok().map(|i| i.abi),
            "fits_abi": verdict.is_ok(),
            "error": verdict.as_ref().err().map(|e| json!({"code": e.code(), "message": e.to_string()})),
        }),
        || {
            let mut s = format!("digest  {digest}\nimports\n");
            for i in &scan.imports {
                let ok = crate::abi::AbiVersion::ALL
                    .into_iter()
                    .any(|abi| inspect::import_allowed(abi, i));
                s += &format!(
                    "  {} {i}{}\n",
                    if ok { "ok" } else { "NO" },
                    inert_note(i)
                );
            }
            s += "exports\n";
            for e in &scan.exports {
                s += &format!("     {e}\n");
            }
            let tools = scan.declared_tools.as_ref().map(|t| t.join(", "));
            s += &format!("declared tools: {}\n", tools.unwrap_or_else(|| "(none recorded)".into()));
            match &verdict {
                Ok(info) => s += &format!("fits {}", info.abi),
                Err(e) => s += &format!("does NOT fit the ABI: [{}] {e}", e.code()),
            }
            s
        },
    );
    verdict
        .map(drop)
        .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))
}

pub fn remove(out: Out, store_dir: &Path, id: &str) -> Result<(), Failure> {
    let id = parse_id(id)?;
    let store = PluginStore::open(store_dir).map_err(store_failure)?;
    let removed = store.remove(&id).map_err(store_failure)?;
    out.emit(json!({ "removed": removed }), || {
        format!("removed {} {}", removed.id, removed.version)
    });
    Ok(())
}

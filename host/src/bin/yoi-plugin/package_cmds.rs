//! `check`, `pack`, `install`, `list`, `show`, `remove`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use yoi_plugin_host::abi::AbiVersion;
use yoi_plugin_host::identity::sha256_hex;
use yoi_plugin_host::package::{PACKAGE_EXTENSION, Package, PackageError};
use yoi_plugin_host::runtime::inspect;
use yoi_plugin_host::store::{PluginStore, Source, StoreError};

use crate::run::{GrantArgs, tool_names};
use crate::{Failure, Out};

fn package_failure(e: PackageError) -> Failure {
    let exit = if matches!(e, PackageError::Io(_)) {
        5
    } else {
        3
    };
    Failure::new(exit, e.code(), e)
}

/// Maps a store error to an exit code.
pub fn store_failure(e: StoreError) -> Failure {
    let exit = match &e {
        StoreError::NotInstalled(_) => 6,
        StoreError::Io(_) => 5,
        StoreError::InvalidId(_) => 2,
        _ => 3,
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
fn open_package(path: &Path, component: Option<&Path>) -> Result<Package, Failure> {
    if path.is_dir() {
        Package::from_dir(path, component).map_err(package_failure)
    } else {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::new(5, "io", format!("cannot read the package ({})", e.kind()))
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
        "exports": package.info.exports,
    })
}

pub fn check(out: Out, path: &Path, component: Option<&Path>) -> Result<(), Failure> {
    let package = open_package(path, component)?;
    out.emit(json!({ "ok": true, "package": summary(&package) }), || {
        format!(
            "ok: {} {} ({} tools: {})\ndigest {}",
            package.manifest.id,
            package.manifest.version,
            package.manifest.tools.len(),
            tool_names(&package.manifest),
            package.digest
        )
    });
    Ok(())
}

pub fn pack(
    out: Out,
    dir: &Path,
    output: Option<PathBuf>,
    component: Option<&Path>,
) -> Result<(), Failure> {
    let bar = spinner(out, "validating and packing");
    let package = open_package(dir, component);
    bar.finish_and_clear();
    let package = package?;
    let output = output.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.{PACKAGE_EXTENSION}",
            package.manifest.id, package.manifest.version
        ))
    });
    let archive = package.to_archive();
    yoi_plugin_host::atomic::write_file(&output, &archive)
        .map_err(|e| Failure::new(5, "io", format!("cannot write the package ({})", e.kind())))?;
    out.emit(
        json!({ "file": output, "digest": package.digest, "bytes": archive.len(), "archive_sha256": sha256_hex(&archive) }),
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
                2,
                "invalid-source",
                "--source must be user or project (builtin is reserved for the host)",
            ));
        }
    };
    let bar = spinner(out, "validating package");
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::new(5, "io", format!("cannot read the package ({})", e.kind())))?;
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
            .as_deref()
            .map(|p| format!(" (replaced {})", &p[..12.min(p.len())]))
            .unwrap_or_default();
        format!(
            "installed {} {}{replaced}\ndigest {}",
            outcome.id, outcome.version, outcome.digest
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
            .map(|p| format!("{:<32} {:<12} {}", p.id, p.version, &p.digest[..16]))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

pub fn show(out: Out, store_dir: &Path, target: &str, grants: &GrantArgs) -> Result<(), Failure> {
    let specs = grants.specs()?;
    if target.ends_with(".wasm") && Path::new(target).is_file() {
        return show_component(out, Path::new(target));
    }
    let package = if Path::new(target).is_file() || Path::new(target).is_dir() {
        open_package(Path::new(target), None)?
    } else {
        PluginStore::open(store_dir)
            .and_then(|s| s.get(target))
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
        s += "imports\n";
        for i in &package.info.imports {
            s += &format!("  {i}\n");
        }
        s.trim_end().to_owned()
    });
    Ok(())
}

fn show_component(out: Out, path: &Path) -> Result<(), Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::new(5, "io", format!("cannot read the component ({})", e.kind())))?;
    let info = inspect::inspect(&bytes).map_err(|e| Failure::new(3, e.code(), e))?;
    let verdict = inspect::check_abi(&info, AbiVersion::V1);
    let tools = inspect::declared_tools(&bytes, yoi_plugin_host::package::TOOLS_SECTION);
    out.emit(
        json!({
            "digest": sha256_hex(&bytes), "imports": info.imports, "exports": info.exports, "declared_tools": tools,
            "fits_abi": verdict.is_ok(),
            "error": verdict.as_ref().err().map(|e| json!({"code": e.code(), "message": e.to_string()})),
        }),
        || {
            let mut s = format!("digest  {}\nimports\n", sha256_hex(&bytes));
            for i in &info.imports {
                let mark = if inspect::import_allowed(AbiVersion::V1, i) { "ok" } else { "NO" };
                s += &format!("  {mark} {i}\n");
            }
            s += "exports\n";
            for e in &info.exports {
                s += &format!("     {e}\n");
            }
            s += &format!("declared tools: {}\n", tools.as_ref().map(|t| t.join(", ")).unwrap_or_else(|| "(none recorded)".into()));
            match &verdict {
                Ok(()) => s += "fits yoi-plugin-wasm-1",
                Err(e) => s += &format!("does NOT fit yoi-plugin-wasm-1: [{}] {e}", e.code()),
            }
            s
        },
    );
    verdict.map_err(|e| Failure::new(3, e.code(), e))
}

pub fn remove(out: Out, store_dir: &Path, id: &str) -> Result<(), Failure> {
    let store = PluginStore::open(store_dir).map_err(store_failure)?;
    let removed = store.remove(id).map_err(store_failure)?;
    out.emit(json!({ "removed": removed }), || {
        format!("removed {} {}", removed.id, removed.version)
    });
    Ok(())
}

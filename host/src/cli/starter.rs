//! `new`: a starter plugin from the embedded template.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::{Exit, Failure, Out};

const TEMPLATE: [(&str, &str); 5] = [
    (
        "Cargo.toml",
        include_str!("../../templates/starter/Cargo.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/starter/lib.rs.tmpl"),
    ),
    (
        "plugin.toml",
        include_str!("../../templates/starter/plugin.toml.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/starter/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/starter/gitignore.tmpl"),
    ),
];

/// The SDK in this toolkit's checkout, if it is still there.
fn default_sdk() -> Option<PathBuf> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk");
    sdk.join("Cargo.toml")
        .is_file()
        .then(|| sdk.canonicalize().ok())
        .flatten()
}

pub fn new(
    out: Out,
    name: &str,
    parent: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> Result<(), Failure> {
    if crate::names::PluginName::parse(name).is_err() {
        return Err(Failure::new(
            Exit::Usage,
            "invalid-name",
            "NAME must be 1-64 of [a-z0-9_-] starting with a letter (fix: e.g. `yoi-plugin new my-tool`)",
        ));
    }
    let sdk = match sdk.map(|p| p.canonicalize()) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            return Err(Failure::new(
                Exit::Io,
                "io",
                format!("--sdk path is not usable ({})", e.kind()),
            ));
        }
        None => default_sdk().ok_or_else(|| {
            Failure::new(
                Exit::Io,
                "sdk-not-found",
                "cannot find yoi-plugin-sdk; pass --sdk PATH/TO/guest-sdk",
            )
        })?,
    };
    let dir = parent.unwrap_or_else(|| PathBuf::from(".")).join(name);
    if dir.exists() {
        return Err(Failure::new(
            Exit::Io,
            "already-exists",
            format!("'{name}' already exists here (fix: pick another name or remove it)"),
        ));
    }
    let crate_name = name.replace('-', "_");
    let sdk_text = sdk.to_string_lossy().replace('\\', "/");
    for (path, template) in TEMPLATE {
        let text = template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{sdk}}", &sdk_text);
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(&dir)).map_err(|e| {
            Failure::new(
                Exit::Io,
                "io",
                format!("cannot create the plugin ({})", e.kind()),
            )
        })?;
        std::fs::write(&target, text).map_err(|e| {
            Failure::new(
                Exit::Io,
                "io",
                format!("cannot write {path} ({})", e.kind()),
            )
        })?;
    }
    out.emit(json!({ "created": dir, "name": name }), || {
        format!(
            "created {}\nnext:\n  cd {}\n  cargo build --release --target wasm32-wasip2\n  yoi-plugin check .\n  yoi-plugin pack .",
            dir.display(),
            dir.display()
        )
    });
    Ok(())
}

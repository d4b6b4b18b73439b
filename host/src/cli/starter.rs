//! `new`: a starter plugin from an embedded template, in Rust, JavaScript
//! or Python.
//!
//! Every template depends on this toolkit's checkout by absolute path (the
//! Rust SDK crate; the JS/Python SDK, its pinned toolchain and the ABI's
//! WIT), found relative to this crate's source directory, so a starter
//! builds wherever it is created with one command.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::{Exit, Failure, Out};

/// The language of a starter plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust on `wasm32-wasip2`, with the yoi-plugin-sdk crate.
    Rust,
    /// JavaScript, built with componentize-js and `sdk/js`.
    #[value(alias = "javascript")]
    Js,
    /// Python, built with componentize-py and `sdk/py`.
    #[value(alias = "py")]
    Python,
}

impl Lang {
    fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Js => "js",
            Lang::Python => "python",
        }
    }

    /// The one command that builds the starter's component.
    fn build_command(self) -> &'static str {
        match self {
            Lang::Rust => "cargo build --release --target wasm32-wasip2",
            Lang::Js => "node build.mjs",
            Lang::Python => "python3 build.py",
        }
    }

    fn template(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::Rust => RUST,
            Lang::Js => JS,
            Lang::Python => PYTHON,
        }
    }
}

const RUST: &[(&str, &str)] = &[
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

const JS: &[(&str, &str)] = &[
    (
        "app.js",
        include_str!("../../templates/starter-js/app.js.tmpl"),
    ),
    (
        "build.mjs",
        include_str!("../../templates/starter-js/build.mjs.tmpl"),
    ),
    (
        "plugin.toml",
        include_str!("../../templates/starter-js/plugin.toml.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/starter-js/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/starter-js/gitignore.tmpl"),
    ),
];

const PYTHON: &[(&str, &str)] = &[
    (
        "app.py",
        include_str!("../../templates/starter-py/app.py.tmpl"),
    ),
    (
        "build.py",
        include_str!("../../templates/starter-py/build.py.tmpl"),
    ),
    (
        "plugin.toml",
        include_str!("../../templates/starter-py/plugin.toml.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/starter-py/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/starter-py/gitignore.tmpl"),
    ),
];

/// `rel` in this toolkit's checkout, canonicalized, if it is still there
/// and holds every file of `marks`.
fn toolkit_path(rel: &str, marks: &[&str]) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    marks
        .iter()
        .all(|m| path.join(m).is_file())
        .then(|| path.canonicalize().ok())
        .flatten()
}

/// The SDK in this toolkit's checkout, if it is still there.
fn default_sdk() -> Option<PathBuf> {
    toolkit_path("guest-sdk", &["Cargo.toml"])
}

/// A path as written into generated files (forward slashes).
fn path_text(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A path as a string literal valid in both JavaScript and Python.
fn path_literal(path: &Path) -> String {
    serde_json::Value::String(path_text(path)).to_string()
}

/// The placeholders of `lang`'s template and their values.
fn substitutions(
    lang: Lang,
    name: &str,
    sdk: Option<PathBuf>,
) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut subs = vec![("{{name}}", name.to_owned())];
    if lang == Lang::Rust {
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
        subs.push(("{{crate}}", name.replace('-', "_")));
        subs.push(("{{sdk}}", path_text(&sdk)));
        return Ok(subs);
    }
    if sdk.is_some() {
        return Err(Failure::new(
            Exit::Usage,
            "usage",
            format!(
                "--sdk is the Rust SDK crate (guest-sdk); --lang {} uses this toolkit's sdk/{} (fix: drop --sdk)",
                lang.as_str(),
                if lang == Lang::Js { "js" } else { "py" }
            ),
        ));
    }
    let (sdk_dir, marks, key) = match lang {
        Lang::Js => (
            "sdk/js",
            &["build.mjs", "package.json", "package-lock.json", "index.js"][..],
            "{{sdk_js}}",
        ),
        _ => (
            "sdk/py",
            &["build.py", "requirements.txt", "yoi_plugin/__init__.py"][..],
            "{{sdk_py}}",
        ),
    };
    let not_found = |what: &str| {
        Failure::new(
            Exit::Io,
            "sdk-not-found",
            format!(
                "cannot find this toolkit's {what}; `yoi-plugin new --lang {}` needs the checkout it was built from",
                lang.as_str()
            ),
        )
    };
    let sdk = toolkit_path(sdk_dir, marks).ok_or_else(|| not_found(sdk_dir))?;
    let wit = toolkit_path("wit/v1", &["yoi-plugin.wit"]).ok_or_else(|| not_found("wit/v1"))?;
    let toolkit = sdk
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| not_found(sdk_dir))?;
    subs.push((key, path_literal(&sdk)));
    subs.push(("{{wit}}", path_literal(&wit)));
    subs.push(("{{toolkit}}", path_text(toolkit)));
    subs.push((
        "{{toolchains}}",
        path_text(&toolkit.join("target/toolchains")),
    ));
    Ok(subs)
}

pub fn new(
    out: Out,
    name: &str,
    parent: Option<PathBuf>,
    lang: Lang,
    sdk: Option<PathBuf>,
) -> Result<(), Failure> {
    if crate::names::PluginName::parse(name).is_err() {
        return Err(Failure::new(
            Exit::Usage,
            "invalid-name",
            "NAME must be 1-64 of [a-z0-9_-] starting with a letter (fix: e.g. `yoi-plugin new my-tool`)",
        ));
    }
    let subs = substitutions(lang, name, sdk)?;
    let dir = parent.unwrap_or_else(|| PathBuf::from(".")).join(name);
    if dir.exists() {
        return Err(Failure::new(
            Exit::Io,
            "already-exists",
            format!("'{name}' already exists here (fix: pick another name or remove it)"),
        ));
    }
    for (path, template) in lang.template() {
        let text = subs
            .iter()
            .fold((*template).to_owned(), |text, (key, value)| {
                text.replace(key, value)
            });
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
    let build = lang.build_command();
    out.emit(
        json!({ "created": dir, "name": name, "lang": lang.as_str(), "build": build }),
        || {
            format!(
                "created {}\nnext:\n  cd {}\n  {build}\n  yoi-plugin check .\n  yoi-plugin pack .",
                dir.display(),
                dir.display()
            )
        },
    );
    Ok(())
}

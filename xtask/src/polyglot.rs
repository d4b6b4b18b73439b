//! JavaScript and Python plugins: the pinned build toolchains and the
//! builds of the non-Rust example plugins.
//!
//! - JavaScript: `@bytecodealliance/componentize-js`, `@bytecodealliance/jco`
//!   and `@bytecodealliance/preview2-shim` at the exact versions of
//!   `sdk/js/package.json` + `package-lock.json`, installed with `npm ci`
//!   into `target/toolchains/js/node_modules`; built by `sdk/js/build.mjs`.
//! - Python: `componentize-py` pinned in `sdk/py/requirements.txt`,
//!   installed with pip into the venv `target/toolchains/py`; built by
//!   `sdk/py/build.py`.
//!
//! Each toolchain directory holds a stamp of what it was installed from
//! (the pin files and the interpreter's version); a matching stamp means the
//! install is reused, anything else reinstalls from scratch. Only npm and
//! PyPI are contacted, and only when a stamp does not match.
//!
//! An example plugin is `example-plugins/<name>/` with a `plugin.toml` and
//! `app.js` (JavaScript) or `app.py` (Python); it is built into
//! `<out_dir>/<name>.wasm`, against a world importing exactly the manifest's
//! `permissions.host_apis`; a JavaScript example whose manifest requests
//! network grants (`permissions.network`) is built with the engine's `http`
//! feature (`--enable http`: the global `fetch()` over wasi:http, every
//! request checked against the grants by the host). A component newer
//! than all of its inputs is not rebuilt.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};

use crate::{render, run};

/// Exact versions pinned in `sdk/js/package.json` (checked against it).
pub const JS_PINS: [(&str, &str); 3] = [
    ("@bytecodealliance/componentize-js", "0.23.0"),
    ("@bytecodealliance/jco", "1.35.0"),
    ("@bytecodealliance/preview2-shim", "0.26.1"),
];
/// Exact version pinned in `sdk/py/requirements.txt` (checked against it).
pub const COMPONENTIZE_PY: (&str, &str) = ("componentize-py", "0.25.1");
/// Oldest Node.js major the JS build script runs on (`util.parseArgs`).
const MIN_NODE_MAJOR: u32 = 20;
/// Bumped when the install procedure itself changes.
const STAMP_FORMAT: &str = "yoi-toolchain-stamp 1";
const STAMP_FILE: &str = ".yoi-toolchain-stamp";

/// The language of an example plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    JavaScript,
    Python,
}

/// One non-Rust example plugin.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub dir: PathBuf,
    pub lang: Lang,
}

/// Installs (or reuses) both toolchains and builds every JavaScript and
/// Python example plugin into `out_dir` (`hello-js.wasm`, `notes-py.wasm`,
/// ...). Returns the built components' paths.
pub fn build_js_and_python(root: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let examples = find_examples(root)?;
    if examples.is_empty() {
        return Ok(Vec::new());
    }
    let needs = |lang| examples.iter().any(|e| e.lang == lang);
    let js_dir = if needs(Lang::JavaScript) {
        Some(install_js(root)?)
    } else {
        None
    };
    let python = if needs(Lang::Python) {
        Some(install_python(root)?)
    } else {
        None
    };
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;

    // The builds are single-threaded for most of their time: run them side
    // by side.
    let results: Vec<Result<PathBuf>> = std::thread::scope(|scope| {
        let handles: Vec<_> = examples
            .iter()
            .map(|example| {
                let (js_dir, python) = (js_dir.as_deref(), python.as_deref());
                scope.spawn(move || build_example(root, example, js_dir, python, out_dir))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a build thread panicked"))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// The JavaScript and Python examples under `example-plugins/`, by name.
pub fn find_examples(root: &Path) -> Result<Vec<Example>> {
    let dir = root.join("example-plugins");
    let mut examples = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if !path.join("plugin.toml").is_file() {
            continue;
        }
        let lang = match (path.join("app.js").is_file(), path.join("app.py").is_file()) {
            (true, false) => Lang::JavaScript,
            (false, true) => Lang::Python,
            (false, false) => continue,
            (true, true) => bail!("{} has both app.js and app.py", path.display()),
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        examples.push(Example {
            name,
            dir: path,
            lang,
        });
    }
    examples.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(examples)
}

// ---------------------------------------------------------------------------
// Rust on wasm32-wasip1.

/// The target of the Rust examples that are built as core modules.
pub const WASIP1_TARGET: &str = "wasm32-wasip1";
/// The examples built for [`WASIP1_TARGET`] (members of the
/// example-plugins workspace, outside its default members).
pub const WASIP1_EXAMPLES: [&str; 1] = ["hello-wasip1"];

/// Builds the [`WASIP1_EXAMPLES`] for `wasm32-wasip1` (installing the
/// target if missing) and copies each core module to
/// `<out_dir>/<name>.wasm`; the host adapts it on `check`/`pack`/`run`.
pub fn build_wasip1(root: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    crate::ensure_target(WASIP1_TARGET)?;
    let mut cmd = wasip1_cargo(root, "build");
    run(&mut cmd)?;
    let built = root
        .join("example-plugins/target")
        .join(WASIP1_TARGET)
        .join("release");
    std::fs::create_dir_all(out_dir)?;
    let mut out = Vec::new();
    for name in WASIP1_EXAMPLES {
        let module = built.join(format!("{}.wasm", name.replace('-', "_")));
        let dest = out_dir.join(format!("{name}.wasm"));
        std::fs::copy(&module, &dest).with_context(|| format!("copying {}", module.display()))?;
        out.push(dest);
    }
    Ok(out)
}

/// `cargo clippy` of the [`WASIP1_EXAMPLES`] for their target.
/// The JS and Python SDKs' own native tests (the routers and error
/// mapping, no component): `node --test sdk/js/test/` and
/// `python3 -m unittest discover -s sdk/py/tests`.
pub fn sdk_tests(root: &Path) -> Result<()> {
    run(Command::new("node")
        .arg("--test")
        .arg(root.join("sdk/js/test")))?;
    run(Command::new(host_python())
        .args(["-m", "unittest", "discover", "-s"])
        .arg(root.join("sdk/py/tests")))
}

pub fn clippy_wasip1(root: &Path) -> Result<()> {
    crate::ensure_target(WASIP1_TARGET)?;
    let mut cmd = wasip1_cargo(root, "clippy");
    cmd.args(["--", "-D", "warnings"]);
    run(&mut cmd)
}

fn wasip1_cargo(root: &Path, subcommand: &str) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        subcommand,
        "--release",
        "--target",
        WASIP1_TARGET,
        "--manifest-path",
    ])
    .arg(root.join("example-plugins/Cargo.toml"));
    for name in WASIP1_EXAMPLES {
        cmd.args(["-p", name]);
    }
    cmd
}

// ---------------------------------------------------------------------------
// Toolchains.

/// Installs the pinned JS toolchain into `target/toolchains/js` unless its
/// stamp matches; returns that directory.
pub fn install_js(root: &Path) -> Result<PathBuf> {
    let sdk = root.join("sdk/js");
    let dir = root.join("target/toolchains/js");
    let manifest = read(&sdk.join("package.json"))?;
    let lock = read(&sdk.join("package-lock.json"))?;
    for (package, version) in JS_PINS {
        let pin = format!("\"{package}\": \"{version}\"");
        if !manifest.contains(&pin) {
            bail!(
                "sdk/js/package.json does not pin {pin} (update JS_PINS in xtask/src/polyglot.rs with it)"
            );
        }
    }
    let node = tool_version(Command::new("node").arg("--version"), "node (Node.js)")?;
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("cannot parse the Node.js version {node:?}"))?;
    if major < MIN_NODE_MAJOR {
        bail!(
            "Node.js {node} is too old: the JS plugin build needs Node.js {MIN_NODE_MAJOR} or newer"
        );
    }
    tool_version(Command::new(npm()).arg("--version"), "npm")?;
    let stamp = format!("{STAMP_FORMAT}\nnode {node}\n{manifest}\n{lock}");
    let pins = JS_PINS
        .iter()
        .map(|(p, v)| format!("{p}@{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if stamp_matches(&dir, &stamp) && dir.join("node_modules").is_dir() {
        eprintln!(
            "polyglot: JS toolchain up to date in {} ({pins})",
            dir.display()
        );
    } else {
        eprintln!(
            "polyglot: installing the JS toolchain into {} ({pins})",
            dir.display()
        );
        let started = Instant::now();
        remove_stamp(&dir)?;
        remove_dir_if_exists(&dir.join("node_modules"))?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("package.json"), &manifest)?;
        std::fs::write(dir.join("package-lock.json"), &lock)?;
        // `npm ci`: exactly the lockfile, no install scripts (none of the
        // pinned packages needs one).
        run(Command::new(npm())
            .arg("ci")
            .arg("--prefix")
            .arg(&dir)
            .args([
                "--include=dev",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ]))?;
        write_stamp(&dir, &stamp)?;
        eprintln!(
            "polyglot: JS toolchain installed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    // The build script resolves its packages from its own location.
    std::fs::copy(sdk.join("build.mjs"), dir.join("build.mjs"))
        .context("copying sdk/js/build.mjs next to the toolchain")?;
    Ok(dir)
}

/// Installs the pinned Python toolchain into the venv `target/toolchains/py`
/// unless its stamp matches; returns the venv's interpreter.
pub fn install_python(root: &Path) -> Result<PathBuf> {
    let requirements_path = root.join("sdk/py/requirements.txt");
    let requirements = read(&requirements_path)?;
    let (package, version) = COMPONENTIZE_PY;
    if !requirements
        .lines()
        .any(|l| l.trim() == format!("{package}=={version}"))
    {
        bail!(
            "sdk/py/requirements.txt does not pin {package}=={version} (update COMPONENTIZE_PY in xtask/src/polyglot.rs with it)"
        );
    }
    let python3 = host_python();
    let py_version = tool_version(
        Command::new(&python3).arg("--version"),
        "python3 (with the venv module)",
    )?;
    let dir = root.join("target/toolchains/py");
    let python = venv_python(&dir);
    let stamp = format!("{STAMP_FORMAT}\n{py_version}\n{requirements}");
    if stamp_matches(&dir, &stamp) && python.is_file() {
        eprintln!(
            "polyglot: Python toolchain up to date in {} ({package}=={version})",
            dir.display()
        );
        return Ok(python);
    }
    eprintln!(
        "polyglot: installing the Python toolchain into {} ({package}=={version}, {py_version})",
        dir.display()
    );
    let started = Instant::now();
    remove_dir_if_exists(&dir)?;
    run(Command::new(&python3).args(["-m", "venv"]).arg(&dir))?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--only-binary=:all:",
            "-r",
        ])
        .arg(&requirements_path))?;
    write_stamp(&dir, &stamp)?;
    eprintln!(
        "polyglot: Python toolchain installed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(python)
}

// ---------------------------------------------------------------------------
// Builds.

fn build_example(
    root: &Path,
    example: &Example,
    js_dir: Option<&Path>,
    python: Option<&Path>,
    out_dir: &Path,
) -> Result<PathBuf> {
    let manifest = example.dir.join("plugin.toml");
    let manifest_text = read(&manifest)?;
    let apis = manifest_host_apis(&manifest_text)
        .with_context(|| format!("reading permissions.host_apis in {}", manifest.display()))?;
    // A JS example that requests network grants is built with the engine's
    // `http` feature (its global `fetch()` over wasi:http); every other one
    // without it, so its component imports no wasi:http at all.
    let http = example.lang == Lang::JavaScript && manifest_requests_network(&manifest_text);
    let out = out_dir.join(format!("{}.wasm", example.name));
    let sdk = root.join(match example.lang {
        Lang::JavaScript => "sdk/js",
        Lang::Python => "sdk/py",
    });
    let stamp = match example.lang {
        Lang::JavaScript => root.join("target/toolchains/js"),
        Lang::Python => root.join("target/toolchains/py"),
    }
    .join(STAMP_FILE);
    let wit = root.join("wit/v1");
    let inputs = [example.dir.as_path(), sdk.as_path(), &wit, &stamp];
    if is_up_to_date(&out, &inputs)? {
        eprintln!("polyglot: {} is up to date", out.display());
        return Ok(out);
    }
    let mut cmd = match example.lang {
        Lang::JavaScript => {
            let js_dir = js_dir.context("JS toolchain not installed")?;
            let mut cmd = Command::new("node");
            cmd.arg(js_dir.join("build.mjs"))
                .arg("--wit")
                .arg(&wit)
                .arg(format!("--imports={}", apis.join(",")))
                .arg("--root")
                .arg(root);
            if http {
                cmd.args(["--enable", "http"]);
            }
            cmd.arg("-o").arg(&out).arg(example.dir.join("app.js"));
            cmd
        }
        Lang::Python => {
            let python = python.context("Python toolchain not installed")?;
            let mut cmd = Command::new(python);
            cmd.arg(sdk.join("build.py"))
                .arg("--wit")
                .arg(&wit)
                .arg(format!("--imports={}", apis.join(",")))
                .arg("-p")
                .arg(&example.dir)
                .arg("-o")
                .arg(&out)
                .arg("app");
            cmd
        }
    };
    eprintln!(
        "polyglot: building {} ({}, host APIs [{}]{}) ...",
        example.name,
        match example.lang {
            Lang::JavaScript => "componentize-js",
            Lang::Python => "componentize-py",
        },
        apis.join(", "),
        if http { ", wasi:http" } else { "" }
    );
    let started = Instant::now();
    // Captured, so that two builds running side by side do not interleave.
    let output = cmd
        .output()
        .with_context(|| format!("spawning {}", render(&cmd)))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&out);
        bail!(
            "building {} failed ({}): {}\n{}",
            example.name,
            output.status,
            render(&cmd),
            output_text(&output)
        );
    }
    let size = std::fs::metadata(&out)
        .with_context(|| format!("{} was not written", out.display()))?
        .len();
    eprintln!(
        "polyglot: built {} ({:.1} MB) in {:.1} s",
        out.display(),
        size as f64 / 1_000_000.0,
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// `permissions.host_apis` of a `plugin.toml` (empty when absent). A small
/// reader for this one field, which must be written on one line:
/// `host_apis = ["fs", "log"]`.
pub fn manifest_host_apis(manifest: &str) -> Result<Vec<String>> {
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if section != "[permissions]" {
            continue;
        }
        if let Some(value) = line
            .strip_prefix("host_apis")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        {
            let value = value.split('#').next().unwrap_or("").trim();
            let list = value
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .context("host_apis must be a one-line array, e.g. [\"fs\", \"log\"]")?;
            let mut apis = Vec::new();
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let api = item
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .with_context(|| format!("host_apis entry {item} is not a string"))?;
                if !["fs", "log"].contains(&api) {
                    bail!("unknown host API {api:?} in host_apis");
                }
                apis.push(api.to_owned());
            }
            apis.sort();
            apis.dedup();
            return Ok(apis);
        }
    }
    Ok(Vec::new())
}

/// Whether a `plugin.toml` requests network grants: a non-empty
/// `network = [...]` in `[permissions]` (which must start on the key's
/// line, as `host_apis` does).
pub fn manifest_requests_network(manifest: &str) -> bool {
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') && !line.starts_with("[{") {
            section = line.to_owned();
            continue;
        }
        if section != "[permissions]" {
            continue;
        }
        if let Some(value) = line
            .strip_prefix("network")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        {
            let value: String = value
                .split('#')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            return value != "[]";
        }
    }
    false
}

/// The `name`s of a `plugin.toml`'s `[[tools]]` tables, in order (each
/// `name = "..."` on its own line). For [`append_tools_section`].
#[allow(dead_code)]
pub fn manifest_tool_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_tool = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_tool = line == "[[tools]]";
            continue;
        }
        if !in_tool {
            continue;
        }
        if let Some(value) = line
            .strip_prefix("name")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .map(str::trim)
            .and_then(|v| v.strip_prefix('"'))
            .and_then(|v| v.split_once('"'))
            .map(|(name, _)| name)
        {
            names.push(value.to_owned());
        }
    }
    names
}

/// Appends a `yoi-plugin-tools` custom section (the tool names, one per
/// line, as the Rust SDK's `export_plugin!` writes it) to a component.
///
/// Not done by [`build_js_and_python`]: JS and Python code cannot write the
/// section itself, and a list copied from `plugin.toml` would make the
/// host's "declared but not exported" check vacuous. It is here for the
/// host side's decision (issue 13, item 1), e.g. to let `check`/`pack`
/// accept these components today.
#[allow(dead_code)]
pub fn append_tools_section(component: &Path, tools: &[String]) -> Result<()> {
    const NAME: &str = "yoi-plugin-tools";
    let payload: String = tools.iter().map(|t| format!("{t}\n")).collect();
    let mut body = Vec::new();
    leb128(&mut body, NAME.len() as u64);
    body.extend_from_slice(NAME.as_bytes());
    body.extend_from_slice(payload.as_bytes());
    let mut section = vec![0u8]; // custom section id
    leb128(&mut section, body.len() as u64);
    section.extend_from_slice(&body);
    let mut bytes =
        std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
    // A component's preamble: magic, version 0x0d, layer 1.
    if bytes.get(..8) != Some(&b"\0asm\x0d\0\x01\0"[..]) {
        bail!("{} is not a component", component.display());
    }
    bytes.extend_from_slice(&section);
    std::fs::write(component, bytes).with_context(|| format!("writing {}", component.display()))
}

fn leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

// ---------------------------------------------------------------------------
// Helpers.

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

/// `$PYTHON3` if set, else `python3` (`python` on Windows).
fn host_python() -> PathBuf {
    std::env::var_os("PYTHON3")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(if cfg!(windows) { "python" } else { "python3" }))
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    }
}

/// Runs `cmd` and returns the first line it printed (its version).
fn tool_version(cmd: &mut Command, what: &str) -> Result<String> {
    let output = cmd.output().with_context(|| {
        format!(
            "{what} is needed to build the JS/Python plugins; `{}` failed",
            render(cmd)
        )
    })?;
    if !output.status.success() {
        bail!("`{}` failed: {}", render(cmd), output_text(&output));
    }
    let text = output_text(&output);
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

fn stamp_matches(dir: &Path, stamp: &str) -> bool {
    std::fs::read_to_string(dir.join(STAMP_FILE)).is_ok_and(|s| s == stamp)
}

fn write_stamp(dir: &Path, stamp: &str) -> Result<()> {
    std::fs::write(dir.join(STAMP_FILE), stamp).context("writing the toolchain stamp")
}

fn remove_stamp(dir: &Path) -> Result<()> {
    match std::fs::remove_file(dir.join(STAMP_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Whether `out` exists and is newer than every file under `inputs`.
fn is_up_to_date(out: &Path, inputs: &[&Path]) -> Result<bool> {
    let Ok(built) = std::fs::metadata(out).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    let mut newest = SystemTime::UNIX_EPOCH;
    for input in inputs {
        newest_mtime(input, &mut newest)?;
    }
    Ok(newest < built)
}

fn newest_mtime(path: &Path, newest: &mut SystemTime) -> Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "node_modules" || name == "__pycache__" {
                continue;
            }
            newest_mtime(&entry.path(), newest)?;
        }
    } else if let Ok(modified) = meta.modified() {
        *newest = (*newest).max(modified);
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn output_text(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_host_apis_and_tools() {
        let m = "id = \"x\"\n[[tools]]\nname = \"greet\"\ninput_schema = { name = \"no\" }\n\
                 [[tools]]\nname = \"read\" # c\n[permissions]\nhost_apis = [\"log\", \"fs\"] # c\n";
        assert_eq!(manifest_host_apis(m).unwrap(), ["fs", "log"]);
        assert_eq!(manifest_tool_names(m), ["greet", "read"]);
        assert!(manifest_host_apis("[permissions]\n").unwrap().is_empty());
        assert!(manifest_host_apis("[permissions]\nhost_apis = [\"net\"]\n").is_err());
        // network requests: only a non-empty list in [permissions].
        let net = "[permissions]\nnetwork = [{ url = \"https://x/\", methods = [\"GET\"] }] # c\n";
        assert!(manifest_requests_network(net));
        assert!(manifest_requests_network(
            "[permissions]\nnetwork = [\n  { url = \"https://x/\" },\n]\n"
        ));
        assert!(!manifest_requests_network(
            "[permissions]\nnetwork = [ ] # none\n"
        ));
        assert!(!manifest_requests_network(m));
        assert!(!manifest_requests_network(
            "network = [{ url = \"https://x/\" }]\n[permissions]\n"
        ));
        // host_apis outside [permissions] is not it.
        assert!(
            manifest_host_apis("host_apis = [\"fs\"]\n")
                .unwrap()
                .is_empty()
        );
    }

    /// `cargo test -p xtask -- --ignored polyglot`: installs the pinned
    /// toolchains (if their stamps do not match) and builds the examples
    /// into target/plugins.
    #[test]
    #[ignore = "installs npm/PyPI toolchains and builds components (minutes)"]
    fn polyglot_builds_the_examples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let built = build_js_and_python(root, &root.join("target/plugins")).unwrap();
        let names: Vec<_> = built
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for example in [
            "conformance-js.wasm",
            "conformance-py.wasm",
            "fetch-js.wasm",
            "hello-js.wasm",
            "hostile-py.wasm",
            "notes-py.wasm",
        ] {
            assert!(names.iter().any(|n| n == example), "{example} in {names:?}");
        }
    }

    #[test]
    fn appends_the_tools_section() {
        let path = std::env::temp_dir().join(format!("yoi-polyglot-{}.wasm", std::process::id()));
        std::fs::write(&path, b"\0asm\x0d\0\x01\0").unwrap();
        append_tools_section(&path, &["greet".into(), "read".into()]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let mut want = b"\0asm\x0d\0\x01\0\0\x1c\x10yoi-plugin-tools".to_vec();
        want.extend_from_slice(b"greet\nread\n");
        assert_eq!(bytes, want);
        let core =
            std::env::temp_dir().join(format!("yoi-polyglot-core-{}.wasm", std::process::id()));
        std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
        assert!(append_tools_section(&core, &[]).is_err());
        let _ = std::fs::remove_file(&core);
    }

    #[test]
    fn leb128_encodes() {
        let mut v = Vec::new();
        leb128(&mut v, 624_485);
        assert_eq!(v, [0xe5, 0x8e, 0x26]);
    }
}

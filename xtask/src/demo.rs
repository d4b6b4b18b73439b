//! The README's main job: pack and install the example plugins into a
//! local store, grant one a sample directory, call their tools through the
//! `yoi-plugin` CLI, and show escape attempts being denied.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::cargo;

struct Demo {
    cli: PathBuf,
    plugins: PathBuf,
    store: PathBuf,
}

impl Demo {
    /// Runs `yoi-plugin --store STORE ARGS…`, prints what it said, and
    /// returns whether it succeeded.
    fn cli(&self, title: &str, args: &[&str]) -> Result<bool> {
        println!("\n=== {title}");
        println!("    $ yoi-plugin {}", args.join(" "));
        let out = Command::new(&self.cli)
            .arg("--store")
            .arg(&self.store)
            .args(args)
            .output()?;
        for line in String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
        {
            println!("    {line}");
        }
        Ok(out.status.success())
    }

    /// One tool call: `plugin` is an installed id, or the name of a raw
    /// example component (the hostile one is not packaged).
    fn call(
        &self,
        title: &str,
        plugin: &str,
        tool: &str,
        input: &str,
        grant: &str,
    ) -> Result<bool> {
        let target = if plugin.contains(':') {
            plugin.to_owned()
        } else {
            self.plugins
                .join(format!("{plugin}.wasm"))
                .display()
                .to_string()
        };
        self.cli(
            title,
            &["run", &target, tool, "--input", input, "--grant", grant],
        )
    }
}

pub(crate) fn run(root: &Path) -> Result<()> {
    crate::run(cargo().args([
        "build",
        "-q",
        "-p",
        "yoi-plugin-host",
        "--bin",
        "yoi-plugin",
    ]))?;
    let base = root.join("target/demo");
    let _ = std::fs::remove_dir_all(&base);
    let demo = Demo {
        cli: root.join("target/debug/yoi-plugin"),
        plugins: root.join("target/plugins"),
        store: base.join("store"),
    };
    let sample = base.join("sample");
    let outside = base.join("outside");
    std::fs::create_dir_all(sample.join("journal"))?;
    std::fs::create_dir_all(sample.join("docs"))?;
    std::fs::create_dir_all(&outside)?;
    std::fs::write(sample.join("journal/notes.md"), "- started the yoi demo\n")?;
    std::fs::write(
        sample.join("docs/guide.md"),
        "Plugins see only their grants.\nSymlinks are never followed.\n",
    )?;
    std::fs::write(outside.join("secret.txt"), "host secret: do not leak\n")?;
    std::os::unix::fs::symlink(&outside, sample.join("escape"))?;

    let mut ok = true;
    for name in ["hello", "notes", "grep"] {
        let dir = root
            .join("example-plugins")
            .join(name)
            .display()
            .to_string();
        let component = demo
            .plugins
            .join(format!("{name}.wasm"))
            .display()
            .to_string();
        let package = base
            .join(format!("{name}.yoi-plugin"))
            .display()
            .to_string();
        ok &= demo.cli(
            &format!("pack {name}"),
            &["pack", &dir, "--component", &component, "-o", &package],
        )?;
        ok &= demo.cli(&format!("install {name}"), &["install", &package])?;
    }
    ok &= demo.cli(
        "the store (inventory only: nothing runs by being installed)",
        &["list"],
    )?;

    let grant = format!("notes={}:read,list,write,stat", sample.display());
    println!("\nGranting mount 'notes' -> a sample directory (read, list, write, stat).");
    println!("Outside it lives secret.txt; 'notes/escape' is a symlink pointing there.");
    ok &= demo.cli(
        "what can user:notes touch? (requests are not grants)",
        &["show", "user:notes", "--grant", &grant],
    )?;
    let calls = [
        (
            "granted read",
            "user:notes",
            "read",
            r#"{"path":"notes/journal/notes.md"}"#,
        ),
        ("granted list", "user:notes", "list", r#"{"path":"notes"}"#),
        (
            "granted write (append with compare-and-swap)",
            "user:notes",
            "append",
            r#"{"path":"notes/journal/notes.md","text":"- appended by the notes plugin"}"#,
        ),
        (
            "read it back",
            "user:notes",
            "read",
            r#"{"path":"notes/journal/notes.md"}"#,
        ),
        (
            "grep the tree",
            "user:grep",
            "search",
            r#"{"path":"notes","pattern":"never"}"#,
        ),
    ];
    for (title, plugin, tool, input) in calls {
        ok &= demo.call(title, plugin, tool, input, &grant)?;
    }
    let denied = [
        (
            "escape by '..' (denied: invalid-path)",
            r#"{"op":"read","path":"notes/../outside/secret.txt"}"#,
        ),
        (
            "escape through a symlink (denied: symlink)",
            r#"{"op":"read","path":"notes/escape/secret.txt"}"#,
        ),
        (
            "absolute path (denied: invalid-path)",
            r#"{"op":"read","path":"/etc/passwd"}"#,
        ),
        (
            "a mount that was never granted (denied)",
            r#"{"op":"read","path":"home/.ssh/id_rsa"}"#,
        ),
    ];
    for (title, input) in denied {
        ok &= demo.call(title, "hostile", "fs", input, &grant)?;
    }
    let secret = std::fs::read_to_string(outside.join("secret.txt"))?;
    println!(
        "\nThe secret outside the grant is untouched ({} bytes), and no call above returned it.",
        secret.len()
    );
    if !ok {
        bail!("a demo step failed unexpectedly");
    }
    Ok(())
}

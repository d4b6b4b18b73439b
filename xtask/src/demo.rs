//! The README's main job: grant the example plugins a sample directory, call
//! their tools through the `yoi-plugin` CLI, and show escapes being denied.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::cargo;

struct Demo {
    cli: PathBuf,
    plugins: PathBuf,
}

impl Demo {
    /// Runs one `yoi-plugin run` and prints what it returned.
    fn call(
        &self,
        title: &str,
        plugin: &str,
        tool: &str,
        input: &str,
        grant: &str,
    ) -> Result<bool> {
        println!("\n=== {title}");
        println!("    {plugin} {tool} {input}");
        let out = Command::new(&self.cli)
            .arg("run")
            .arg(self.plugins.join(format!("{plugin}.wasm")))
            .arg(tool)
            .args(["--input", input, "--grant", grant])
            .output()?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("    {line}");
        }
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            println!("    {line}");
        }
        Ok(out.status.success())
    }
}

pub(crate) fn run(root: &Path) -> Result<()> {
    run_cargo_build()?;
    let demo = Demo {
        cli: root.join("target/debug/yoi-plugin"),
        plugins: root.join("target/plugins"),
    };
    let base = root.join("target/demo");
    let _ = std::fs::remove_dir_all(&base);
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

    let grant = format!("notes={}:read,list,write,stat", sample.display());
    println!("Granting mount 'notes' -> a sample directory (read, list, write, stat).");
    println!("Outside it lives secret.txt; 'notes/escape' is a symlink pointing there.");

    let mut ok = true;
    ok &= demo.call(
        "granted read",
        "notes",
        "read",
        r#"{"path":"notes/journal/notes.md"}"#,
        &grant,
    )?;
    ok &= demo.call(
        "granted list",
        "notes",
        "list",
        r#"{"path":"notes"}"#,
        &grant,
    )?;
    ok &= demo.call(
        "granted write (append with compare-and-swap)",
        "notes",
        "append",
        r#"{"path":"notes/journal/notes.md","text":"- appended by the notes plugin"}"#,
        &grant,
    )?;
    ok &= demo.call(
        "read it back",
        "notes",
        "read",
        r#"{"path":"notes/journal/notes.md"}"#,
        &grant,
    )?;
    ok &= demo.call(
        "grep the tree",
        "grep",
        "search",
        r#"{"path":"notes","pattern":"never"}"#,
        &grant,
    )?;

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
        bail!("a demo call failed unexpectedly");
    }
    Ok(())
}

fn run_cargo_build() -> Result<()> {
    crate::run(cargo().args([
        "build",
        "-q",
        "-p",
        "yoi-plugin-host",
        "--bin",
        "yoi-plugin",
    ]))
}

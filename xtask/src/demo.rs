//! The README's main job: pack and install the example plugins into a
//! local store, grant one a sample directory, call their tools through the
//! `yoi-plugin` CLI, and show escape attempts being denied; then an HTTP
//! request through a network grant with a host-injected secret, against a
//! loopback server started here, and the requests the grant refuses.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};

use crate::cargo;

struct Demo {
    cli: PathBuf,
    plugins: PathBuf,
    store: PathBuf,
}

/// The demo's API token: set for the CLI only, injected by the host.
const DEMO_TOKEN: &str = "yoi-demo-token";

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
            .env("YOI_DEMO_TOKEN", DEMO_TOKEN)
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
    ok &= network(&demo)?;
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

/// A loopback server that answers 200 and remembers each request's
/// `authorization` header; returns its port.
fn loopback_server(seen: Arc<Mutex<Vec<String>>>) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(clone);
            let mut authorization = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) <= 2 {
                    break;
                }
                if let Some((name, value)) = line.trim_end().split_once(':')
                    && name.eq_ignore_ascii_case("authorization")
                {
                    authorization = value.trim().to_owned();
                }
            }
            seen.lock().unwrap().push(authorization);
            let body = r#"{"service":"demo","status":"green"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(port)
}

/// Outbound HTTP: one granted request with an injected secret, then what
/// the grant refuses.
fn network(demo: &Demo) -> Result<bool> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let port = loopback_server(seen.clone())?;
    let fetch = demo.plugins.join("fetch.wasm").display().to_string();
    let grant = format!("http://127.0.0.1:{port}/api,inject=authorization:bearer:demo-token");
    println!("\nA loopback HTTP server listens on port {port}. The fetch plugin is granted");
    println!("http://127.0.0.1:{port}/api (GET, HEAD); the host injects secret 'demo-token'");
    println!("(from $YOI_DEMO_TOKEN) as a bearer token. The plugin never sees its value.");
    let run = |title: &str, input: &str, net: &str| {
        demo.cli(
            title,
            &[
                "run",
                &fetch,
                "fetch",
                "--input",
                input,
                "--net",
                net,
                "--secret",
                "demo-token=env:YOI_DEMO_TOKEN",
            ],
        )
    };
    let get = |url: &str| format!(r#"{{"url":"{url}"}}"#);
    let api = format!("http://127.0.0.1:{port}/api/status");
    let mut ok = run(
        "granted request (the host adds the bearer token)",
        &get(&api),
        &grant,
    )?;
    let received = seen.lock().unwrap().clone();
    let injected = received
        .first()
        .is_some_and(|a| *a == format!("Bearer {DEMO_TOKEN}"));
    println!(
        "\n    the server received the injected header: {}",
        if injected { "yes" } else { "NO" }
    );
    ok &= injected;
    let refused = [
        (
            "a path outside the grant (denied: HTTP-request-denied, host reason path-not-granted)",
            get(&format!("http://127.0.0.1:{port}/admin")),
            grant.clone(),
        ),
        (
            "another port (denied: HTTP-request-denied, port-not-granted)",
            get(&format!("http://127.0.0.1:{}/api", port.wrapping_add(1))),
            grant.clone(),
        ),
        (
            "POST, which the grant lacks (denied: HTTP-request-denied, method-not-granted)",
            format!(r#"{{"url":"{api}","method":"POST","body":"x"}}"#),
            grant.clone(),
        ),
        (
            "a name that resolves to loopback, granted without ',private' (denied: destination-IP-prohibited)",
            get(&format!("http://localhost:{port}/api")),
            format!("http://localhost:{port}/api"),
        ),
    ];
    for (title, input, net) in refused {
        ok &= !run(title, &input, &net)?;
    }
    println!(
        "\n    requests that reached the server: {} (only the granted one)",
        seen.lock().unwrap().len()
    );
    ok &= seen.lock().unwrap().len() == 1;
    Ok(ok)
}

//! The MCP server as a target: the host's `McpServer` (the one behind
//! `yoi-plugin mcp`) served in-process over an in-memory duplex, driven by a
//! minimal JSON-RPC client speaking newline-delimited MCP exactly as an
//! agent does over stdio: `initialize`, `notifications/initialized`, then
//! one `tools/call` of `hostile.ops` per case. Each case's grant becomes
//! the served catalog (`McpState::replace_catalog`); the tool's structured
//! content carries the guest's results. The call limits (with the
//! per-invocation fs budget) are fixed per server state, so a case with
//! another budget gets a fresh server and session.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use yoi_plugin_host::mcp::rmcp::ServiceExt;
use yoi_plugin_host::mcp::{Catalog, McpServer, McpState, ServedPlugin};
use yoi_plugin_host::{CallLimits, ErrorCode, GrantSet, Plugin, PluginHost};

use crate::case::{Budget, GrantCase};
use crate::target::{GrantRefused, OPS_TOOL, Target, call_limits, grant_spec, results};

/// The MCP target.
pub struct Mcp {
    tokio: tokio::runtime::Runtime,
    plugin: Plugin,
    session: Session,
    budget: Option<Budget>,
}

/// One MCP server (its state holds the call limits) and a client session
/// with it.
struct Session {
    state: Arc<McpState>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    writer: WriteHalf<DuplexStream>,
    next_id: u64,
}

impl Mcp {
    /// Loads the guest, serves it with no grant and completes the MCP
    /// handshake.
    pub fn new(component: &Path, cache_dir: &Path) -> Result<Mcp> {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let host = PluginHost::builder().cache_dir(cache_dir).build()?;
        let bytes =
            std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
        let plugin = Plugin::from_component(&host, "hostile".parse()?, &bytes)?;
        let session = Session::open(&tokio, &plugin, CallLimits::default())?;
        Ok(Mcp {
            tokio,
            plugin,
            session,
            budget: None,
        })
    }
}

impl Session {
    /// Serves `plugin` (no grant yet) under `limits` over an in-memory
    /// duplex and completes the handshake.
    fn open(
        tokio: &tokio::runtime::Runtime,
        plugin: &Plugin,
        limits: CallLimits,
    ) -> Result<Session> {
        let nothing = Arc::new(GrantSet::new(plugin.identity().clone()));
        let catalog = Catalog::new(vec![ServedPlugin {
            plugin: plugin.clone(),
            grants: nothing,
        }])?;
        let state = McpState::new(catalog, limits);
        let (client, server) = tokio::io::duplex(1 << 20);
        let server_state = state.clone();
        tokio.spawn(async move {
            let (read, write) = tokio::io::split(server);
            if let Ok(running) = McpServer::new(server_state).serve((read, write)).await {
                let _ = running.waiting().await;
            }
        });
        let (read, writer) = tokio::io::split(client);
        let mut session = Session {
            state,
            lines: BufReader::new(read).lines(),
            writer,
            next_id: 0,
        };
        session.request(
            tokio,
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "yoi-conformance", "version": env!("CARGO_PKG_VERSION")},
            }),
        )?;
        session.send(
            tokio,
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        )?;
        Ok(session)
    }

    fn send(&mut self, tokio: &tokio::runtime::Runtime, message: &Value) -> Result<()> {
        let mut line = message.to_string();
        line.push('\n');
        tokio
            .block_on(self.writer.write_all(line.as_bytes()))
            .context("writing to the MCP server")
    }

    /// Sends a request and returns its `result`, skipping notifications.
    fn request(
        &mut self,
        tokio: &tokio::runtime::Runtime,
        method: &str,
        params: Value,
    ) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(
            tokio,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )?;
        loop {
            let line = tokio
                .block_on(self.lines.next_line())?
                .ok_or_else(|| anyhow!("the MCP server closed the session"))?;
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] != json!(id) {
                continue; // A notification (list_changed, logging).
            }
            if let Some(err) = message.get("error") {
                bail!("{method}: JSON-RPC error {err}");
            }
            return Ok(message["result"].clone());
        }
    }
}

impl Target for Mcp {
    fn name(&self) -> &str {
        "mcp"
    }

    fn run(
        &mut self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
        calls: &[Value],
    ) -> Result<Vec<Value>> {
        if self.budget.as_ref() != budget {
            self.session = Session::open(&self.tokio, &self.plugin, call_limits(budget))?;
            self.budget = budget.cloned();
        }
        let spec = grant_spec(mount_dir, grant)?;
        let grants = GrantSet::open(self.plugin.identity().clone(), &[spec])
            .map_err(|e| GrantRefused(e.code().to_owned()))?;
        let catalog = Catalog::new(vec![ServedPlugin {
            plugin: self.plugin.clone(),
            grants: Arc::new(grants),
        }])?;
        self.tokio
            .block_on(self.session.state.replace_catalog(catalog));
        let result = self.session.request(
            &self.tokio,
            "tools/call",
            json!({"name": format!("hostile.{OPS_TOOL}"), "arguments": {"ops": calls}}),
        )?;
        if result["isError"] == json!(true) {
            bail!("tool call failed: {}", result["content"]);
        }
        results(&result["structuredContent"], calls.len())
    }
}

//! The MCP request handler: `tools/list`, `tools/call`, `logging/setLevel`,
//! on top of the one plugin call path ([`crate::Plugin::call`]).
//!
//! - A call takes a slot in the host's call pool like every other call
//!   (`busy` when saturated) under the server's [`CallLimits`].
//! - A client's `notifications/cancelled` fires the request's cancellation
//!   token; the handler then drops the call, which cancels it (the guest
//!   stops within one epoch tick, its slot is freed).
//! - Tool failures are results with `isError: true` and the text
//!   `<code>: <message>` (the stable code first); an unknown tool is a
//!   protocol error (`-32602`), as is a malformed request (rmcp).
//! - The guest's log records are sent as `notifications/message` after the
//!   call (logger: the plugin name), at or above the session's level.
#![allow(deprecated)] // MCP logging is deprecated in the 2026 revision; we serve up to 2025-11-25.

use std::borrow::Cow;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    ProtocolVersion, ServerCapabilities, ServerConfig, SetLevelRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::{Value, json};

use super::catalog::Catalog;
use crate::error::ErrorCode;
use crate::limits::CallLimits;
use crate::log::{LogLevel, LogRecord};
use crate::runtime::CallError;

/// Longest unknown tool name echoed in a protocol error.
const MAX_ECHOED_TOOL_BYTES: usize = 64;

/// What every session of one server shares: the catalog, the call limits,
/// the connected peers (to tell them when the catalog changes).
pub struct McpState {
    catalog: RwLock<Arc<Catalog>>,
    limits: CallLimits,
    peers: Mutex<Vec<Peer<RoleServer>>>,
}

impl McpState {
    /// A server state over `catalog`, every call under `limits` (capped by
    /// the host ceiling as usual).
    pub fn new(catalog: Catalog, limits: CallLimits) -> Arc<McpState> {
        Arc::new(McpState {
            catalog: RwLock::new(Arc::new(catalog)),
            limits,
            peers: Mutex::new(Vec::new()),
        })
    }

    /// The catalog in force.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().clone()
    }

    /// Replaces the catalog; when its tool list differs, every connected
    /// client gets `notifications/tools/list_changed`. Returns whether it
    /// differed.
    pub async fn replace_catalog(&self, catalog: Catalog) -> bool {
        let changed = {
            let mut current = self.catalog.write();
            let changed = current.tools() != catalog.tools();
            *current = Arc::new(catalog);
            changed
        };
        if changed {
            let peers: Vec<Peer<RoleServer>> = {
                let mut peers = self.peers.lock();
                peers.retain(|p| !p.is_transport_closed());
                peers.clone()
            };
            for peer in peers {
                let _ = peer.notify_tool_list_changed().await;
            }
        }
        changed
    }
}

/// One session's handler (a stdio connection, an HTTP session).
#[derive(Clone)]
pub struct McpServer {
    state: Arc<McpState>,
    level: Arc<Mutex<LoggingLevel>>,
}

impl McpServer {
    /// A handler for one session over the shared `state`.
    pub fn new(state: Arc<McpState>) -> McpServer {
        McpServer {
            state,
            level: Arc::new(Mutex::new(LoggingLevel::Info)),
        }
    }

    async fn forward_logs(
        &self,
        peer: &Peer<RoleServer>,
        plugin: &str,
        tool: &str,
        logs: &[LogRecord],
    ) {
        let threshold = rank(*self.level.lock());
        for record in logs {
            let level = mcp_level(record.level);
            if rank(level) < threshold {
                continue;
            }
            let data = json!({ "tool": tool, "message": record.message });
            let param = LoggingMessageNotificationParam::new(level, data).with_logger(plugin);
            if peer.notify_logging_message(param).await.is_err() {
                return;
            }
        }
    }
}

fn mcp_level(level: LogLevel) -> LoggingLevel {
    match level {
        LogLevel::Trace | LogLevel::Debug => LoggingLevel::Debug,
        LogLevel::Info => LoggingLevel::Info,
        LogLevel::Warn => LoggingLevel::Warning,
        LogLevel::Error => LoggingLevel::Error,
    }
}

/// Syslog order (RFC 5424), least severe first.
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// A call's result as an MCP tool result.
pub(crate) fn tool_result(result: Result<Value, CallError>) -> CallToolResult {
    match result {
        Ok(output) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(output.to_string())]);
            result.structured_content = Some(output);
            result
        }
        Err(error) => {
            let text = format!("{}: {}", error.code(), detail(&error));
            CallToolResult::error(vec![ContentBlock::text(text)])
        }
    }
}

/// The message of `error` without the words its code already says.
fn detail(error: &CallError) -> String {
    match error {
        CallError::UnknownTool(m)
        | CallError::InvalidInput(m)
        | CallError::ToolFailed(m)
        | CallError::OutputInvalid(m)
        | CallError::Trap(m)
        | CallError::Internal(m) => m.clone(),
        other => other.to_string(),
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_logging()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("yoi-plugin", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Tools of WebAssembly plugins, named <plugin>.<tool>. Each runs sandboxed with \
             exactly the directories the operator granted; failures carry a stable code.",
        )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.state.catalog().tools().to_vec(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let catalog = self.state.catalog();
        let Some(route) = catalog.route(&request.name).cloned() else {
            let name = crate::diag::bound(&request.name, MAX_ECHOED_TOOL_BYTES);
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {name}"),
                None,
            ));
        };
        let input = Value::Object(request.arguments.unwrap_or_default()).to_string();
        let served = &route.served;
        let call = served.plugin.call(
            served.grants.clone(),
            &route.tool,
            &input,
            self.state.limits.clone(),
        );
        // Dropping `call` on cancellation cancels the plugin call.
        let outcome = tokio::select! {
            outcome = call => outcome,
            () = context.ct.cancelled() => {
                return Ok(tool_result(Err(CallError::Cancelled)).into());
            }
        };
        let plugin = served.plugin.identity().name().to_string();
        self.forward_logs(&context.peer, &plugin, &route.tool, &outcome.logs)
            .await;
        Ok(tool_result(outcome.result).into())
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.level.lock() = request.level;
        Ok(())
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let mut peers = self.state.peers.lock();
        peers.retain(|p| !p.is_transport_closed());
        peers.push(context.peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lead_with_their_stable_code() {
        let result = tool_result(Err(CallError::Busy));
        assert_eq!(result.is_error, Some(true));
        let text = serde_json::to_value(&result.content).unwrap().to_string();
        assert!(text.contains("busy: the host is busy"), "{text}");
        assert!(result.structured_content.is_none());
        let failed = tool_result(Err(CallError::ToolFailed("denied: not granted".into())));
        let text = serde_json::to_value(&failed.content).unwrap().to_string();
        assert!(
            text.contains("\"tool-failed: denied: not granted\""),
            "{text}"
        );
        let ok = tool_result(Ok(json!({"a": 1})));
        assert_eq!(ok.is_error, Some(false));
        assert_eq!(ok.structured_content, Some(json!({"a": 1})));
    }

    #[test]
    fn log_levels_keep_their_order() {
        let ours = [
            LogLevel::Trace,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
        ];
        let ranks: Vec<u8> = ours.iter().map(|l| rank(mcp_level(*l))).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    }
}

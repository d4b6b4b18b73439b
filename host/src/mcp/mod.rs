//! Plugins as MCP tools, for AI agents: the Model Context Protocol over
//! stdio and over streamable HTTP, built on the official Rust SDK (`rmcp`)
//! and on the one plugin call path. Feature `mcp`.
//!
//! - `catalog`: what is served — plugins with exactly their grants, their
//!   tools as MCP tools (names, schemas, annotations from the grants);
//! - `handler`: `tools/list`, `tools/call` (bounded call pool, cancellation,
//!   `isError` results with stable codes), `logging/setLevel`, log
//!   forwarding, `list_changed` when the catalog changes;
//! - `http`: the streamable-HTTP endpoint behind the bearer token.
//!
//! The server speaks the protocol revisions with an `initialize` handshake
//! (2024-11-05 to 2025-11-25).
//!
//! ```no_run
//! # async fn demo(plugin: yoi_plugin_host::Plugin, grants: std::sync::Arc<yoi_plugin_host::GrantSet>) -> anyhow::Result<()> {
//! use rmcp::ServiceExt;
//! use yoi_plugin_host::mcp::{Catalog, McpServer, McpState, ServedPlugin};
//! let catalog = Catalog::new(vec![ServedPlugin { plugin, grants }])?;
//! let state = McpState::new(catalog, yoi_plugin_host::CallLimits::default());
//! McpServer::new(state).serve(rmcp::transport::stdio()).await?.waiting().await?;
//! # Ok(()) }
//! ```

mod catalog;
mod handler;
pub mod http;

pub use catalog::{Catalog, CatalogError, ServedPlugin};
pub use handler::{McpServer, McpState};
pub use rmcp;

//! What an MCP server offers: the served plugins, each with exactly its
//! grants, and their tools as MCP tools.
//!
//! - **Names:** `<plugin-name>.<tool>` (both `[a-z0-9_-]`, so the `.` is an
//!   unambiguous separator and every name fits MCP's tool-name rule of
//!   1–128 characters of `[A-Za-z0-9_.-]`). Two served plugins with the
//!   same name are refused (`duplicate-plugin`), never shadowed.
//! - **Schemas:** `inputSchema` is the manifest's, `outputSchema` is the
//!   manifest's when declared; a bare component (development path) has
//!   neither, so its tools take any object.
//! - **Annotations** come from the grants, never from the plugin:
//!   `readOnlyHint` when no grant allows `write`, `destructiveHint` when
//!   one does, `openWorldHint` true exactly when the plugin holds a network
//!   grant (its tools can reach beyond the host).

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::error::ErrorCode;
use crate::grant::{GrantSet, Operation};
use crate::plugin::Plugin;

/// One served plugin: the plugin and exactly the authority it runs with.
#[derive(Clone)]
pub struct ServedPlugin {
    /// The loaded plugin.
    pub plugin: Plugin,
    /// Its grants (issued for its identity).
    pub grants: Arc<GrantSet>,
}

/// One MCP tool: which plugin and which of its tools.
#[derive(Clone)]
pub(crate) struct Route {
    pub served: Arc<ServedPlugin>,
    pub tool: String,
}

/// Why a catalog could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Two served plugins have the same name.
    #[error("two served plugins are named '{0}'; serve only one of them")]
    DuplicatePlugin(String),
}

impl ErrorCode for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::DuplicatePlugin(_) => "duplicate-plugin",
        }
    }
}

/// The tools an MCP server offers (module docs). Immutable: a change
/// (an install, a removal) builds a new catalog.
#[derive(Clone, Default)]
pub struct Catalog {
    routes: BTreeMap<String, Route>,
    tools: Vec<Tool>,
}

impl Catalog {
    /// The catalog of `served` plugins.
    pub fn new(served: Vec<ServedPlugin>) -> Result<Catalog, CatalogError> {
        let mut names = std::collections::BTreeSet::new();
        let mut catalog = Catalog::default();
        for served in served {
            let plugin_name = served.plugin.identity().name().to_string();
            if !names.insert(plugin_name.clone()) {
                return Err(CatalogError::DuplicatePlugin(plugin_name));
            }
            let served = Arc::new(served);
            let annotations = annotations(&served.grants);
            for (tool, description, input, output) in tool_specs(&served.plugin) {
                let name = format!("{plugin_name}.{tool}");
                let mut mcp = Tool::new(name.clone(), description, object(input))
                    .with_annotations(annotations.clone());
                if let Some(output) = output {
                    mcp = mcp.with_raw_output_schema(Arc::new(object(output)));
                }
                catalog.tools.push(mcp);
                catalog.routes.insert(
                    name,
                    Route {
                        served: served.clone(),
                        tool,
                    },
                );
            }
        }
        Ok(catalog)
    }

    /// The MCP tools, ordered by name.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tool names, ordered.
    pub fn names(&self) -> Vec<&str> {
        self.routes.keys().map(String::as_str).collect()
    }

    pub(crate) fn route(&self, name: &str) -> Option<&Route> {
        self.routes.get(name)
    }
}

/// (name, description, input schema, output schema) of each tool.
fn tool_specs(plugin: &Plugin) -> Vec<(String, String, Value, Option<Value>)> {
    if plugin.manifest().is_some() {
        return plugin
            .tools()
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.description.clone(),
                    t.input_schema.clone(),
                    t.output_schema.clone(),
                )
            })
            .collect();
    }
    // A bare component: its declared tool list, any object as input.
    let declared = plugin.info().declared_tools.clone().unwrap_or_default();
    declared
        .into_iter()
        .map(|name| {
            let description = format!("{name} (development component; no manifest)");
            (name, description, json!({"type": "object"}), None)
        })
        .collect()
}

/// The annotations every tool of a plugin with `grants` carries.
fn annotations(grants: &GrantSet) -> ToolAnnotations {
    let writes = grants.iter().any(|g| g.allows(Operation::Write));
    ToolAnnotations::new()
        .read_only(!writes)
        .destructive(writes)
        .open_world(!grants.network().is_empty())
}

/// A schema as MCP requires it: a JSON object whose `type` is `"object"`
/// (clients refuse a whole `tools/list` otherwise). A schema without a
/// `type` gets one; a schema of another type, or not an object at all,
/// becomes "any object" — the host's own validation against the
/// manifest's schema still runs on every call.
fn object(schema: Value) -> JsonObject {
    let mut map = match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    match map.get("type") {
        Some(Value::String(t)) if t == "object" => map,
        None => {
            map.insert("type".into(), json!("object"));
            map
        }
        Some(_) => JsonObject::from_iter([("type".to_owned(), json!("object"))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_an_object_schema() {
        let typed = json!({"type": "object", "required": ["path"]});
        assert_eq!(Value::Object(object(typed.clone())), typed);
        let untyped = object(json!({"properties": {"a": {"type": "string"}}}));
        assert_eq!(untyped["type"], "object");
        assert!(untyped.contains_key("properties"));
        assert_eq!(
            Value::Object(object(json!({"type": "string"}))),
            json!({"type": "object"})
        );
        assert_eq!(
            Value::Object(object(json!(true))),
            json!({"type": "object"})
        );
    }
}

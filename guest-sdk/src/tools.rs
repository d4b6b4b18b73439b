//! The tool router ([`Tools`]), the plugin-facing error type ([`ToolError`])
//! and the empty payload ([`Empty`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bindings::exports::yoi::plugin::tool::ToolError as WitToolError;
use crate::fs::FsError;

/// Why a tool call failed; becomes the WIT `tool-error` variant the host sees.
///
/// Handlers normally build it with [`ToolError::failed`] or
/// [`ToolError::invalid_input`], or with `?` on an [`FsError`].
/// [`ToolError::UnknownTool`] is produced by the [`Tools`] router itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// No tool of this name (set by the router).
    UnknownTool(String),
    /// The input does not fit the tool: malformed JSON, wrong shape (set by
    /// the router) or a value the handler rejects.
    InvalidInput(String),
    /// The tool ran and failed.
    Failed(String),
}

impl ToolError {
    /// The tool ran and failed, with a message for the caller.
    ///
    /// Takes anything printable, so `.map_err(ToolError::failed)` works on
    /// most error types.
    pub fn failed(message: impl fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }

    /// The input was well-formed JSON of the right shape, but a value in it
    /// is unacceptable (empty name, bad range, ...).
    pub fn invalid_input(message: impl fmt::Display) -> Self {
        Self::InvalidInput(message.to_string())
    }

    /// The message carried by the error, whatever its kind.
    pub fn message(&self) -> &str {
        match self {
            Self::UnknownTool(m) | Self::InvalidInput(m) | Self::Failed(m) => m,
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownTool(name) => write!(f, "unknown tool: {name}"),
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for ToolError {}

/// An fs error inside a tool is a failure of the tool: `Failed("<code>:
/// <message>")`, e.g. `Failed("not-found: no such file")`.
impl From<FsError> for ToolError {
    fn from(err: FsError) -> Self {
        Self::Failed(err.to_string())
    }
}

impl From<ToolError> for WitToolError {
    fn from(err: ToolError) -> Self {
        match err {
            ToolError::UnknownTool(m) => Self::UnknownTool(m),
            ToolError::InvalidInput(m) => Self::InvalidInput(m),
            ToolError::Failed(m) => Self::Failed(m),
        }
    }
}

/// The reserved tool name under which the router answers the input
/// schemas of its [`Tools::tool_with_schema`] tools: a JSON object, tool
/// name → JSON Schema. Tool names are `[a-z0-9_-]`, so it cannot be a
/// tool's. `yoi-plugin check` and `pack` call it (with no grants) and
/// compare each schema with the tool's `input_schema` in `plugin.toml`.
pub const INPUT_SCHEMAS_TOOL: &str = "yoi:input-schemas";

/// A type-erased handler: input JSON text to output JSON text.
type Handler = Box<dyn Fn(&str) -> Result<String, ToolError>>;

/// The router of a plugin's tools: tool name → handler.
///
/// Each handler is a function `Fn(In) -> Result<Out, ToolError>` where `In`
/// is deserialized from the call's input JSON and `Out` is serialized as the
/// call's output JSON. [`Tools::call`] dispatches:
///
/// | situation                         | result                                   |
/// |-----------------------------------|------------------------------------------|
/// | no tool of that name              | [`ToolError::UnknownTool`]`(name)`       |
/// | input does not deserialize as `In`| [`ToolError::InvalidInput`]`(serde msg)` |
/// | handler returns `Err(e)`          | `e`, unchanged                           |
/// | handler returns `Ok(out)`         | `out` as JSON (`serde_json`)             |
/// | `out` fails to serialize          | [`ToolError::Failed`]                    |
///
/// ```
/// use yoi_plugin_sdk::{ToolError, Tools};
///
/// fn double(n: i64) -> Result<i64, ToolError> {
///     n.checked_mul(2).ok_or_else(|| ToolError::invalid_input("overflow"))
/// }
///
/// let tools = Tools::new().tool("double", double);
/// assert_eq!(tools.call("double", "21").unwrap(), "42");
/// assert_eq!(
///     tools.call("triple", "21"),
///     Err(ToolError::UnknownTool("triple".into()))
/// );
/// ```
#[derive(Default)]
pub struct Tools {
    handlers: BTreeMap<String, Handler>,
    schemas: BTreeMap<String, serde_json::Value>,
}

impl Tools {
    /// An empty router (every call is an unknown tool).
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `handler` under `name` and return the router, for chaining.
    ///
    /// # Panics
    ///
    /// If `name` is already registered: two tools of one name are a bug in
    /// the plugin, better caught by its first test than resolved silently.
    pub fn tool<In, Out, F>(mut self, name: &str, handler: F) -> Self
    where
        In: DeserializeOwned,
        Out: Serialize,
        F: Fn(In) -> Result<Out, ToolError> + 'static,
    {
        let erased: Handler = Box::new(move |input: &str| {
            let input: In =
                serde_json::from_str(input).map_err(|e| ToolError::InvalidInput(e.to_string()))?;
            let output = handler(input)?;
            serde_json::to_string(&output)
                .map_err(|e| ToolError::Failed(format!("cannot serialize the tool output: {e}")))
        });
        if self.handlers.insert(name.to_owned(), erased).is_some() {
            panic!("yoi plugin: tool {name:?} registered twice");
        }
        self
    }

    /// [`Tools::tool`], with the input's JSON Schema derived from `In`
    /// (`#[derive(JsonSchema)]`, schemars) and answered under
    /// [`INPUT_SCHEMAS_TOOL`], so that `yoi-plugin check` can verify that
    /// the tool's `input_schema` in `plugin.toml` says the same. Write the
    /// type once; a mismatch is a `check` error, not a runtime surprise.
    ///
    /// ```
    /// use yoi_plugin_sdk::{JsonSchema, ToolError, Tools};
    ///
    /// #[derive(serde::Deserialize, JsonSchema)]
    /// #[schemars(crate = "yoi_plugin_sdk::schemars")]
    /// #[serde(deny_unknown_fields)]
    /// struct Greet {
    ///     name: String,
    /// }
    ///
    /// let tools = Tools::new().tool_with_schema("greet", |g: Greet| Ok::<_, ToolError>(g.name));
    /// let schemas: serde_json::Value =
    ///     serde_json::from_str(&tools.call(yoi_plugin_sdk::INPUT_SCHEMAS_TOOL, "").unwrap()).unwrap();
    /// assert_eq!(schemas["greet"]["properties"]["name"]["type"], "string");
    /// assert_eq!(schemas["greet"]["additionalProperties"], false);
    /// ```
    ///
    /// # Panics
    ///
    /// If `name` is already registered.
    pub fn tool_with_schema<In, Out, F>(self, name: &str, handler: F) -> Self
    where
        In: DeserializeOwned + schemars::JsonSchema,
        Out: Serialize,
        F: Fn(In) -> Result<Out, ToolError> + 'static,
    {
        let mut tools = self.tool(name, handler);
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<In>();
        tools.schemas.insert(name.to_owned(), schema.to_value());
        tools
    }

    /// Register a tool that handles JSON *text* itself: it gets the input
    /// text unparsed and returns its output text as it wants it sent. The
    /// host still parses the output strictly (and validates it against the
    /// manifest's `output_schema`), so text that is not JSON fails the call
    /// with `output-not-json`.
    ///
    /// # Panics
    ///
    /// If `name` is already registered.
    pub fn raw_tool<F>(mut self, name: &str, handler: F) -> Self
    where
        F: Fn(&str) -> Result<String, ToolError> + 'static,
    {
        if self
            .handlers
            .insert(name.to_owned(), Box::new(handler))
            .is_some()
        {
            panic!("yoi plugin: tool {name:?} registered twice");
        }
        self
    }

    /// Run tool `name` on the JSON text `input`; see the type docs for the
    /// error mapping. This is what the exported entry point calls, and what
    /// native unit tests of a plugin can call directly.
    pub fn call(&self, name: &str, input: &str) -> Result<String, ToolError> {
        if name == INPUT_SCHEMAS_TOOL && !self.schemas.is_empty() {
            return serde_json::to_string(&self.schemas)
                .map_err(|e| ToolError::Failed(format!("cannot serialize the schemas: {e}")));
        }
        let handler = self
            .handlers
            .get(name)
            .ok_or_else(|| ToolError::UnknownTool(name.to_owned()))?;
        handler(input)
    }

    /// The registered tool names, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }
}

impl fmt::Debug for Tools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tools")
            .field("names", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A payload with nothing in it, for tools that take no input or return no
/// output.
///
/// Deserializes from `null` or from any JSON object (its members are
/// ignored), so callers may pass `{}`; serializes as `{}`. Note that `()`
/// would only accept `null`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EmptyVisitor;

        impl<'de> Visitor<'de> for EmptyVisitor {
            type Value = Empty;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or null")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Empty, E> {
                Ok(Empty)
            }

            fn visit_none<E: de::Error>(self) -> Result<Empty, E> {
                Ok(Empty)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Empty, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Empty)
            }
        }

        deserializer.deserialize_any(EmptyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ErrorCode;

    #[derive(Deserialize)]
    struct GreetIn {
        name: String,
    }

    #[derive(Serialize)]
    struct GreetOut {
        greeting: String,
    }

    fn greet(input: GreetIn) -> Result<GreetOut, ToolError> {
        if input.name == "nobody" {
            return Err(ToolError::failed("nobody to greet"));
        }
        if input.name.is_empty() {
            return Err(ToolError::invalid_input("empty name"));
        }
        Ok(GreetOut {
            greeting: format!("Hello, {}!", input.name),
        })
    }

    fn nothing(_: Empty) -> Result<Empty, ToolError> {
        Ok(Empty)
    }

    fn fs_fails(_: Empty) -> Result<Empty, ToolError> {
        Err(FsError::new(ErrorCode::NotFound, "no such file"))?
    }

    fn tools() -> Tools {
        Tools::new()
            .tool("greet", greet)
            .tool("nothing", nothing)
            .tool("fs_fails", fs_fails)
    }

    #[test]
    fn good_input_is_dispatched_and_serialized() {
        let out = tools().call("greet", r#"{"name":"Ada"}"#).unwrap();
        assert_eq!(out, r#"{"greeting":"Hello, Ada!"}"#);
    }

    #[test]
    fn unknown_tool_names_the_tool() {
        assert_eq!(
            tools().call("greeet", "{}"),
            Err(ToolError::UnknownTool("greeet".to_owned()))
        );
    }

    #[test]
    fn malformed_json_is_invalid_input() {
        match tools().call("greet", "{not json") {
            Err(ToolError::InvalidInput(msg)) => assert!(msg.contains("key must be a string")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn wrong_shape_is_invalid_input_with_the_serde_message() {
        match tools().call("greet", r#"{"nom":"Ada"}"#) {
            Err(ToolError::InvalidInput(msg)) => assert!(msg.contains("missing field `name`")),
            other => panic!("unexpected {other:?}"),
        }
        match tools().call("greet", r#"{"name":7}"#) {
            Err(ToolError::InvalidInput(msg)) => assert!(msg.contains("invalid type")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn handler_errors_pass_through_unchanged() {
        assert_eq!(
            tools().call("greet", r#"{"name":"nobody"}"#),
            Err(ToolError::Failed("nobody to greet".to_owned()))
        );
        assert_eq!(
            tools().call("greet", r#"{"name":""}"#),
            Err(ToolError::InvalidInput("empty name".to_owned()))
        );
    }

    #[test]
    fn fs_errors_become_failed_with_code_and_message() {
        assert_eq!(
            tools().call("fs_fails", "{}"),
            Err(ToolError::Failed("not-found: no such file".to_owned()))
        );
    }

    #[test]
    fn empty_accepts_objects_and_null_and_serializes_as_object() {
        for input in ["{}", "null", r#"{"ignored": [1, 2]}"#] {
            assert_eq!(tools().call("nothing", input).unwrap(), "{}");
        }
        assert!(matches!(
            tools().call("nothing", "[]"),
            Err(ToolError::InvalidInput(_))
        ));
    }

    #[test]
    fn tool_errors_map_onto_the_wit_variant() {
        let wit = WitToolError::from(ToolError::UnknownTool("x".into()));
        assert!(matches!(wit, WitToolError::UnknownTool(m) if m == "x"));
        let wit = WitToolError::from(ToolError::invalid_input("bad"));
        assert!(matches!(wit, WitToolError::InvalidInput(m) if m == "bad"));
        let wit = WitToolError::from(ToolError::failed("boom"));
        assert!(matches!(wit, WitToolError::Failed(m) if m == "boom"));
    }

    #[test]
    fn names_are_sorted() {
        assert_eq!(
            tools().names().collect::<Vec<_>>(),
            ["fs_fails", "greet", "nothing"]
        );
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn duplicate_names_panic() {
        let _ = Tools::new().tool("a", nothing).tool("a", nothing);
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(
            ToolError::UnknownTool("x".into()).to_string(),
            "unknown tool: x"
        );
        assert_eq!(ToolError::failed("boom").message(), "boom");
    }
}

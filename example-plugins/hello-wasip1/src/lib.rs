//! `hello-wasip1`: the `hello` plugin built for `wasm32-wasip1`.
//!
//! `cargo build --release --target wasm32-wasip1` makes a core module
//! (wit-bindgen exports of the `yoi:plugin` world plus preview1 imports);
//! `yoi-plugin check`, `pack` and `run` turn it into a component with the
//! preview1 adapter.
//!
//! - `greet`: input `{"name": string}`, output `{"greeting": "Hello, <name>!"}`.
//! - `peek`: input `{"path": string}`; tries `std::fs::read` (preview1
//!   `path_open`, adapted onto `wasi:filesystem` with no preopens) and
//!   reports what happened. It can never read anything.
//!
//! Both input schemas are derived from the input types
//! (`Tools::tool_with_schema`); `yoi-plugin check` verifies that
//! `plugin.toml` says the same.

use serde::{Deserialize, Serialize};
use yoi_plugin_sdk::{JsonSchema, Plugin, ToolError, Tools, export_plugin, log};

/// Input of `greet`.
#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "yoi_plugin_sdk::schemars")]
#[serde(deny_unknown_fields)]
struct GreetIn {
    /// Who to greet.
    #[schemars(length(min = 1))]
    name: String,
}

/// Output of `greet`.
#[derive(Serialize)]
struct GreetOut {
    greeting: String,
}

fn greet(input: GreetIn) -> Result<GreetOut, ToolError> {
    log::info!("greeting {}", input.name);
    Ok(GreetOut {
        greeting: format!("Hello, {}!", input.name),
    })
}

/// Input of `peek`.
#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "yoi_plugin_sdk::schemars")]
#[serde(deny_unknown_fields)]
struct PeekIn {
    /// A host path (it will not be found).
    path: String,
}

/// Output of `peek`: whether any byte was read, and the error otherwise.
#[derive(Serialize)]
struct PeekOut {
    read: bool,
    error: Option<String>,
}

fn peek(input: PeekIn) -> Result<PeekOut, ToolError> {
    Ok(match std::fs::read(&input.path) {
        Ok(bytes) => PeekOut {
            read: !bytes.is_empty(),
            error: None,
        },
        Err(e) => PeekOut {
            read: false,
            error: Some(format!("{:?}", e.kind())),
        },
    })
}

struct HelloWasip1;

impl Plugin for HelloWasip1 {
    fn tools() -> Tools {
        Tools::new()
            .tool_with_schema("greet", greet)
            .tool_with_schema("peek", peek)
    }
}

export_plugin!(HelloWasip1, tools = ["greet", "peek"]);

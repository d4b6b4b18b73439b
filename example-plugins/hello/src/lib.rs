//! `hello`: the smallest useful yoi plugin.
//!
//! Tool `greet`: input `{"name": string}`, output
//! `{"greeting": "Hello, <name>!"}`. It needs no grants.

use serde::{Deserialize, Serialize};
use yoi_plugin_sdk::{Plugin, ToolError, Tools, export_plugin};

/// Input of `greet`.
#[derive(Deserialize)]
struct GreetIn {
    name: String,
}

/// Output of `greet`.
#[derive(Serialize)]
struct GreetOut {
    greeting: String,
}

fn greet(input: GreetIn) -> Result<GreetOut, ToolError> {
    Ok(GreetOut {
        greeting: format!("Hello, {}!", input.name),
    })
}

struct Hello;

impl Plugin for Hello {
    fn tools() -> Tools {
        Tools::new().tool("greet", greet)
    }
}

export_plugin!(Hello, tools = ["greet"]);

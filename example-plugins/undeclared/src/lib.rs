//! `undeclared`: a test fixture. A working plugin exported with plain
//! `export_plugin!(T)`, so its component carries no `yoi-plugin-tools`
//! section; `yoi-plugin check` must refuse to package it
//! (`tools-not-declared`) because its tools cannot be verified statically.

use serde::{Deserialize, Serialize};
use yoi_plugin_sdk::{Plugin, ToolError, Tools, export_plugin};

#[derive(Deserialize)]
struct EchoIn {
    text: String,
}

#[derive(Serialize)]
struct EchoOut {
    text: String,
}

fn echo(input: EchoIn) -> Result<EchoOut, ToolError> {
    Ok(EchoOut { text: input.text })
}

struct Undeclared;

impl Plugin for Undeclared {
    fn tools() -> Tools {
        Tools::new().tool("echo", echo)
    }
}

export_plugin!(Undeclared);

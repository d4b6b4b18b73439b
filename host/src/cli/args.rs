//! Argument types shared by several commands.

use std::path::PathBuf;

use crate::cli::{Exit, Failure};
use crate::{GrantSpec, Operation};

/// Grant flags shared by `run` and `show`.
#[derive(clap::Args, Default)]
pub struct GrantArgs {
    /// A grant: MOUNT=DIR:OPS, OPS a comma list of read,list,write,stat.
    #[arg(long = "grant", value_name = "MOUNT=DIR:OPS")]
    pub grants: Vec<String>,
    /// A JSON file with a list of grants ({"mount","dir","ops","include","exclude","bounds"}).
    #[arg(long = "grants-file", value_name = "FILE")]
    pub grants_file: Option<PathBuf>,
}

impl GrantArgs {
    /// The grant specs the flags describe.
    pub fn specs(&self) -> Result<Vec<GrantSpec>, Failure> {
        let mut specs = Vec::new();
        for g in &self.grants {
            specs.push(parse_grant(g).map_err(|e| Failure::new(Exit::Grant, "invalid-grant", e))?);
        }
        if let Some(file) = &self.grants_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                Failure::new(
                    Exit::Grant,
                    "invalid-grant",
                    format!("cannot read the grants file ({})", e.kind()),
                )
            })?;
            let mut more: Vec<GrantSpec> = serde_json::from_str(&text).map_err(|e| {
                Failure::new(
                    Exit::Grant,
                    "invalid-grant",
                    format!("grants file: {e} (fix: a JSON list of {{\"mount\",\"dir\",\"ops\"}})"),
                )
            })?;
            specs.append(&mut more);
        }
        Ok(specs)
    }
}

/// Parses `MOUNT=DIR:OPS`.
fn parse_grant(text: &str) -> Result<GrantSpec, String> {
    const HINT: &str = "expected MOUNT=DIR:OPS, e.g. notes=./notes:read,list";
    let (mount, rest) = text.split_once('=').ok_or(HINT)?;
    let (dir, ops) = rest.rsplit_once(':').ok_or(HINT)?;
    let ops = ops
        .split(',')
        .map(|op| {
            Operation::parse(op.trim()).ok_or(format!(
                "unknown operation '{op}': use read, list, write, stat"
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GrantSpec::new(mount, dir, &ops))
}

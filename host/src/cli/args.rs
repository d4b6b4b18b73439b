//! Argument types shared by several commands.

use std::path::PathBuf;

use crate::cli::{Exit, Failure};
use crate::net::{NetGrantSpec, NetGrants};
use crate::policy::HostPolicy;
use crate::secrets::SecretSources;
use crate::{CallLimits, GrantSpec, Operation};

/// Grant flags shared by `run` and `show`.
#[derive(clap::Args, Default)]
pub struct GrantArgs {
    /// A grant: MOUNT=DIR:OPS, OPS a comma list of read,list,write,stat.
    #[arg(long = "grant", value_name = "MOUNT=DIR:OPS")]
    pub grants: Vec<String>,
    /// A JSON file with a list of grants ({"mount","dir","ops","include","exclude","bounds"}).
    #[arg(long = "grants-file", value_name = "FILE")]
    pub grants_file: Option<PathBuf>,
    /// A network grant: URL[,methods=GET+POST][,private][,inject=HEADER:bearer|basic|raw:SECRET].
    /// Deny by default; http only where named; special addresses only where named.
    #[arg(long = "net", value_name = "URL[,OPTIONS]")]
    pub net: Vec<String>,
    /// Where a secret named by --net inject= comes from: NAME=env:VAR or NAME=file:/abs/path.
    #[arg(long = "secret", value_name = "NAME=SOURCE")]
    pub secrets: Vec<String>,
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

    /// The network grants the flags describe, secrets resolved now.
    pub fn network(&self) -> Result<NetGrants, Failure> {
        let invalid = |e: &dyn crate::ErrorCode, m: String| Failure::new(Exit::Grant, e.code(), m);
        let mut sources = SecretSources::default();
        for s in &self.secrets {
            sources
                .insert_cli(s)
                .map_err(|e| invalid(&e, format!("--secret: {e}")))?;
        }
        let mut specs = Vec::new();
        for n in &self.net {
            specs.push(NetGrantSpec::parse_cli(n).map_err(|e| invalid(&e, format!("--net: {e}")))?);
        }
        NetGrants::open(&specs, &sources).map_err(|e| invalid(&e, format!("--net: {e}")))
    }
}

/// Per-call count flags shared by `run`, `serve` and `mcp`. Each may be
/// at most the host ceiling's count (the built-in one, or a `--policy`
/// file's `[limits]`); above it the command refuses to start
/// (`invalid-limit`) rather than silently lowering it.
#[derive(clap::Args, Default, Clone, Copy)]
pub struct CountArgs {
    /// Most core instances one call may create (default 64; exceeding it is `instance-limit`).
    #[arg(long, value_name = "N")]
    pub max_instances: Option<usize>,
    /// Most linear memories one call may create (default 16; `count-limit`).
    #[arg(long, value_name = "N")]
    pub max_memories: Option<usize>,
    /// Most tables one call may create (default 64; `count-limit`).
    #[arg(long, value_name = "N")]
    pub max_tables: Option<usize>,
}

impl CountArgs {
    /// `limits` with the flags' counts, each within `1..=` the ceiling's.
    pub fn apply(&self, limits: CallLimits, ceiling: &CallLimits) -> Result<CallLimits, Failure> {
        let mut limits = limits;
        let flags = [
            (
                "--max-instances",
                self.max_instances,
                ceiling.instances,
                &mut limits.instances,
            ),
            (
                "--max-memories",
                self.max_memories,
                ceiling.memories,
                &mut limits.memories,
            ),
            (
                "--max-tables",
                self.max_tables,
                ceiling.tables,
                &mut limits.tables,
            ),
        ];
        for (flag, value, max, field) in flags {
            let Some(value) = value else { continue };
            if value == 0 || value > max {
                return Err(Failure::new(
                    Exit::Usage,
                    "invalid-limit",
                    format!(
                        "{flag} must be 1..={max} (the host ceiling; a --policy [limits] table sets it)"
                    ),
                ));
            }
            *field = value;
        }
        Ok(limits)
    }

    /// `policy` with the flags applied to the limits of every call it
    /// serves (within its ceiling).
    pub fn apply_to_policy(&self, mut policy: HostPolicy) -> Result<HostPolicy, Failure> {
        if self.max_instances.is_none() && self.max_memories.is_none() && self.max_tables.is_none()
        {
            return Ok(policy);
        }
        let limits = self.apply(policy.call_limits(), &policy.ceiling())?;
        policy.limits = Some(limits);
        Ok(policy)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T>(r: Result<T, Failure>) -> T {
        r.unwrap_or_else(|f| panic!("[{}] {}", f.code, f.message))
    }

    #[test]
    fn count_flags_stay_within_the_ceiling() {
        let ceiling = CallLimits::ceiling();
        let none = CountArgs::default();
        assert_eq!(
            ok(none.apply(CallLimits::default(), &ceiling)),
            CallLimits::default()
        );
        let set = CountArgs {
            max_instances: Some(48),
            max_memories: Some(2),
            max_tables: Some(3),
        };
        let limits = ok(set.apply(CallLimits::default(), &ceiling));
        assert_eq!(
            (limits.instances, limits.memories, limits.tables),
            (48, 2, 3)
        );
        for bad in [
            CountArgs {
                max_instances: Some(0),
                ..none
            },
            CountArgs {
                max_instances: Some(ceiling.instances + 1),
                ..none
            },
            CountArgs {
                max_memories: Some(ceiling.memories + 1),
                ..none
            },
            CountArgs {
                max_tables: Some(usize::MAX),
                ..none
            },
        ] {
            let Err(err) = bad.apply(CallLimits::default(), &ceiling) else {
                panic!("accepted")
            };
            assert_eq!(err.code, "invalid-limit", "{}", err.message);
        }
        // A policy's [limits] raises the ceiling; the flags may use it.
        let policy = HostPolicy {
            limits: Some(CallLimits {
                instances: 128,
                ..CallLimits::default()
            }),
            ..HostPolicy::default()
        };
        let more = CountArgs {
            max_instances: Some(100),
            ..none
        };
        assert_eq!(
            ok(more.apply_to_policy(policy)).call_limits().instances,
            100
        );
        assert!(more.apply_to_policy(HostPolicy::default()).is_err());
        assert_eq!(ok(none.apply_to_policy(HostPolicy::default())).limits, None);
    }
}

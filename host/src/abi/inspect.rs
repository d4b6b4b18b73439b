//! Static inspection: what a component imports and exports, which ABI
//! version it implements, which tools it declares, and whether every import
//! is allowed. One pass over the bytes; nothing here compiles or runs
//! plugin code.
//!
//! The import allowlist is the ABI's host interfaces plus the
//! authority-free WASI 0.2 subset ([`ALLOWED_WASI_INTERFACES`]) that Rust's
//! `wasm32-wasip2` std and stock JS/Python toolchains pull in; of these,
//! `wasi:filesystem` and `wasi:sockets` are inert (linked with no
//! preopens and no network). The runtime's linker holds exactly these
//! (`runtime/wasi.rs`), so the rule is enforced twice: here by inspection,
//! there by construction. With the `http` feature, `wasi:http/types` and
//! `wasi:http/outgoing-handler` are allowed too; every request they make is
//! checked against the plugin's network grants (`net`).

use serde::Serialize;
use wasmparser::{Encoding, Parser, Payload};

use super::error::ContractError;
use super::{AbiVersion, HostApi};
use crate::diag;

/// WASI interfaces (without version) a plugin may import.
pub const ALLOWED_WASI_INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    // Inert: linked so stock toolchains' components load (componentize-py
    // imports them whether or not the code uses them), but they grant
    // nothing — no preopened directory, every socket operation refused.
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// WASI interfaces allowed only with the `http` feature: outbound HTTP.
/// Importing them grants nothing; each request needs a network grant
/// (`net`), so without one every request is refused.
pub const GRANT_GATED_WASI_INTERFACES: &[&str] = &["wasi:http/types", "wasi:http/outgoing-handler"];

/// Whether `import` is one of [`GRANT_GATED_WASI_INTERFACES`].
pub fn import_is_grant_gated(import: &str) -> bool {
    import
        .split_once('@')
        .is_some_and(|(i, _)| GRANT_GATED_WASI_INTERFACES.contains(&i))
}

/// The allowed WASI interfaces that are linked but grant nothing (no
/// preopens, no network): `show` lists them as such.
pub const INERT_WASI_PACKAGES: &[&str] = &["wasi:filesystem/", "wasi:sockets/"];

/// Whether `import` is one of the inert interfaces
/// ([`INERT_WASI_PACKAGES`]).
pub fn import_is_inert(import: &str) -> bool {
    INERT_WASI_PACKAGES.iter().any(|p| import.starts_with(p))
}

/// The WASI version family the allowed interfaces must come from.
pub const WASI_VERSION_PREFIX: &str = "0.2.";

/// Name of the custom section in which a plugin records its tool names
/// (newline-separated UTF-8; the Rust SDK's `export_plugin!` writes it).
pub const TOOLS_SECTION: &str = "yoi-plugin-tools";

/// What static inspection found in a component that fits the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentInfo {
    /// The ABI version, from the component's own tool export.
    pub abi: AbiVersion,
    /// Imported instance/function names, e.g. `yoi:plugin/fs@1.0.0`.
    pub imports: Vec<String>,
    /// Exported names, e.g. `yoi:plugin/tool@1.0.0`.
    pub exports: Vec<String>,
    /// The host APIs it imports (sorted).
    pub host_apis: Vec<HostApi>,
    /// Tool names recorded in [`TOOLS_SECTION`] (sorted, deduplicated), or
    /// `None` when the component has no such section.
    pub declared_tools: Option<Vec<String>>,
}

/// The raw names in a component, before any contract check (what `show`
/// lists, with a verdict per import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// Top-level import names.
    pub imports: Vec<String>,
    /// Top-level export names.
    pub exports: Vec<String>,
    /// The declared tool list, if any (sorted, deduplicated).
    pub declared_tools: Option<Vec<String>>,
}

/// Inspects `bytes`: a component, exporting a known tool interface, every
/// import allowed under that version. The first offending import is named.
pub fn inspect(bytes: &[u8]) -> Result<ComponentInfo, ContractError> {
    check(scan(bytes)?)
}

/// A name or message from the binary made safe to show: control
/// characters replaced, bounded.
fn clean(text: &str, max: usize) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    diag::bound(&text, max)
}

/// Lists a component's names; fails only when it is not a well-formed
/// component.
pub fn scan(bytes: &[u8]) -> Result<Scan, ContractError> {
    // wasmparser's messages can span lines (a magic-number mismatch prints
    // both byte arrays) and quote names from the binary: one line, control
    // characters replaced, bounded.
    let malformed = |e: wasmparser::BinaryReaderError| {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        ContractError::Malformed(clean(&text, 200))
    };
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut declared: Option<Vec<String>> = None;
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(malformed)? {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding == Encoding::Module {
                    return Err(ContractError::NotAComponent);
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    imports.push(import.map_err(malformed)?.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    exports.push(export.map_err(malformed)?.name.name.to_owned());
                }
            }
            Payload::CustomSection(reader) if reader.name() == TOOLS_SECTION => {
                let text = String::from_utf8_lossy(reader.data());
                declared.get_or_insert_with(Vec::new).extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
            }
            _ => {}
        }
    }
    let declared_tools = declared.map(|mut names| {
        names.sort();
        names.dedup();
        names
    });
    Ok(Scan {
        imports,
        exports,
        declared_tools,
    })
}

/// Checks a scan against the contract: the ABI from the tool export, every
/// import allowed under it.
pub fn check(scan: Scan) -> Result<ComponentInfo, ContractError> {
    let Scan {
        imports,
        exports,
        declared_tools,
    } = scan;
    let abi = abi_of(&exports)?;
    if let Some(bad) = imports.iter().find(|name| !import_allowed(abi, name)) {
        return Err(ContractError::ForbiddenImport(clean(bad, 128)));
    }
    let mut host_apis: Vec<HostApi> = abi
        .host_imports()
        .iter()
        .filter(|(name, _)| imports.iter().any(|i| i == name))
        .map(|(_, api)| *api)
        .collect();
    host_apis.sort();
    Ok(ComponentInfo {
        abi,
        imports,
        exports,
        host_apis,
        declared_tools,
    })
}

/// The ABI version a component implements, from its tool export.
fn abi_of(exports: &[String]) -> Result<AbiVersion, ContractError> {
    if let Some(abi) = exports.iter().find_map(|e| AbiVersion::from_tool_export(e)) {
        return Ok(abi);
    }
    match exports.iter().find(|e| e.starts_with("yoi:plugin/tool@")) {
        Some(other) => Err(ContractError::UnsupportedAbi(clean(other, 64))),
        None => Err(ContractError::MissingExport),
    }
}

/// Whether an import name is allowed under `abi`.
pub fn import_allowed(abi: AbiVersion, name: &str) -> bool {
    if abi.host_imports().iter().any(|(n, _)| *n == name) {
        return true;
    }
    match name.split_once('@') {
        Some((interface, version)) => {
            version.starts_with(WASI_VERSION_PREFIX)
                && (ALLOWED_WASI_INTERFACES.contains(&interface)
                    || (cfg!(feature = "http") && GRANT_GATED_WASI_INTERFACES.contains(&interface)))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_modules_are_refused() {
        let core = b"\0asm\x01\0\0\0";
        assert!(matches!(inspect(core), Err(ContractError::NotAComponent)));
        assert!(matches!(
            inspect(b"garbage"),
            Err(ContractError::Malformed(_))
        ));
    }

    /// Found by the archive fuzz harness (`conformance/src/fuzz/`): a
    /// bad magic number's message spanned lines (both byte arrays
    /// Debug-printed), and reached `yoi-plugin check` output as is.
    #[test]
    fn malformed_messages_are_one_clean_line() {
        for bytes in [&b"\n#\x01\0\x1b[2J"[..], b"\0asm\x0d\0\x01\0\x1b\x1b\x1b"] {
            match inspect(bytes) {
                Err(ContractError::Malformed(text)) => {
                    assert!(
                        !text.is_empty() && !text.chars().any(char::is_control),
                        "{text:?}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn allowlist() {
        let v1 = AbiVersion::V1;
        for ok in [
            "yoi:plugin/fs@1.0.0",
            "yoi:plugin/log@1.0.0",
            "wasi:cli/stdout@0.2.3",
            "wasi:io/streams@0.2.0",
            "wasi:random/random@0.2.6",
            // Inert (no preopens, no network):
            "wasi:filesystem/types@0.2.9",
            "wasi:filesystem/preopens@0.2.3",
            "wasi:sockets/tcp@0.2.3",
        ] {
            assert!(import_allowed(v1, ok), "{ok}");
        }
        assert!(import_is_inert("wasi:sockets/tcp@0.2.3"));
        assert!(!import_is_inert("wasi:cli/stdout@0.2.3"));
        // Linked with the `http` feature; network grants decide.
        for gated in ["wasi:http/outgoing-handler@0.2.3", "wasi:http/types@0.2.0"] {
            assert_eq!(import_allowed(v1, gated), cfg!(feature = "http"), "{gated}");
            assert!(import_is_grant_gated(gated));
        }
        for bad in [
            "wasi:http/incoming-handler@0.2.3",
            "wasi:http/types@0.3.0",
            "wasi:filesystem/types@0.3.0",
            "wasi:sockets/tcp",
            "wasi:keyvalue/store@0.2.0",
            "wasi:cli/stdout@0.3.0",
            "wasi:cli/stdout",
            "yoi:plugin/fs@2.0.0",
            "evil:thing/x@1.0.0",
        ] {
            assert!(!import_allowed(v1, bad), "{bad}");
        }
    }

    #[test]
    fn the_abi_comes_from_the_tool_export() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            abi_of(&names(&["yoi:plugin/tool@1.0.0"])).unwrap(),
            AbiVersion::V1
        );
        assert_eq!(
            abi_of(&names(&["yoi:plugin/tool@2.0.0"])).unwrap_err(),
            ContractError::UnsupportedAbi("yoi:plugin/tool@2.0.0".into())
        );
        assert_eq!(
            abi_of(&names(&["other"])).unwrap_err(),
            ContractError::MissingExport
        );
    }
}

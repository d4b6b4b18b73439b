//! Static inspection: what a component imports and exports, and whether
//! that fits an ABI. Nothing here compiles or runs plugin code.

use serde::Serialize;
use wasmparser::{Encoding, Parser, Payload};

use super::error::LoadError;
use super::wasi::{ALLOWED_WASI_INTERFACES, WASI_VERSION_PREFIX};
use crate::abi::AbiVersion;
use crate::diag;

/// The top-level imports and exports of a component, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentInfo {
    /// Imported instance/function names, e.g. `yoi:plugin/fs@1.0.0`.
    pub imports: Vec<String>,
    /// Exported names, e.g. `yoi:plugin/tool@1.0.0`.
    pub exports: Vec<String>,
}

/// Lists a component's top-level imports and exports.
pub fn inspect(bytes: &[u8]) -> Result<ComponentInfo, LoadError> {
    let mut info = ComponentInfo {
        imports: Vec::new(),
        exports: Vec::new(),
    };
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload =
            payload.map_err(|e| LoadError::Malformed(diag::bound(&e.to_string(), 200)))?;
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding == Encoding::Module {
                    return Err(LoadError::NotAComponent);
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import
                        .map_err(|e| LoadError::Malformed(diag::bound(&e.to_string(), 200)))?;
                    info.imports.push(import.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export
                        .map_err(|e| LoadError::Malformed(diag::bound(&e.to_string(), 200)))?;
                    info.exports.push(export.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// Tool names recorded in custom sections named `section` anywhere in the
/// component (the SDK writes one per plugin), or `None` if there is none.
/// Names are newline-separated UTF-8; blank names are ignored.
pub fn declared_tools(bytes: &[u8], section: &str) -> Option<Vec<String>> {
    let mut names: Option<Vec<String>> = None;
    for payload in Parser::new(0).parse_all(bytes).flatten() {
        if let Payload::CustomSection(reader) = payload
            && reader.name() == section
        {
            let text = String::from_utf8_lossy(reader.data());
            let list = names.get_or_insert_with(Vec::new);
            list.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned),
            );
        }
    }
    names.map(|mut n| {
        n.sort();
        n.dedup();
        n
    })
}

/// Whether an import name is allowed under `abi`.
pub fn import_allowed(abi: AbiVersion, name: &str) -> bool {
    if abi.host_imports().contains(&name) {
        return true;
    }
    match name.split_once('@') {
        Some((interface, version)) => {
            version.starts_with(WASI_VERSION_PREFIX) && ALLOWED_WASI_INTERFACES.contains(&interface)
        }
        None => false,
    }
}

/// Checks `info` against `abi`: every import allowed, the tool export
/// present. The first offending import is named in the error.
pub fn check_abi(info: &ComponentInfo, abi: AbiVersion) -> Result<(), LoadError> {
    if let Some(bad) = info.imports.iter().find(|name| !import_allowed(abi, name)) {
        return Err(LoadError::ForbiddenImport(diag::bound(bad, 128)));
    }
    if !info.exports.iter().any(|e| e == abi.tool_export()) {
        return Err(LoadError::MissingExport(abi.tool_export().to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_modules_are_refused() {
        let core = b"\0asm\x01\0\0\0";
        assert!(matches!(inspect(core), Err(LoadError::NotAComponent)));
        assert!(matches!(inspect(b"garbage"), Err(LoadError::Malformed(_))));
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
        ] {
            assert!(import_allowed(v1, ok), "{ok}");
        }
        for bad in [
            "wasi:filesystem/types@0.2.3",
            "wasi:filesystem/preopens@0.2.3",
            "wasi:sockets/tcp@0.2.3",
            "wasi:http/outgoing-handler@0.2.3",
            "wasi:cli/stdout@0.3.0",
            "wasi:cli/stdout",
            "yoi:plugin/fs@2.0.0",
            "evil:thing/x@1.0.0",
        ] {
            assert!(!import_allowed(v1, bad), "{bad}");
        }
    }
}

//! Why a component does not fit the ABI contract. Nothing of the component
//! has run when one of these is returned.

/// A component refused by static inspection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The bytes are a core WebAssembly module, not a component.
    #[error(
        "this is a core wasm module, not a component; build for wasm32-wasip2 (or componentize)"
    )]
    NotAComponent,
    /// The bytes are not valid WebAssembly.
    #[error("malformed component: {0}")]
    Malformed(String),
    /// The component exports the tool interface of a version this host
    /// does not implement.
    #[error(
        "unsupported ABI: the component exports '{0}'; this host implements yoi-plugin-wasm-1 (yoi:plugin/tool@1.0.0)"
    )]
    UnsupportedAbi(String),
    /// The component imports something that carries authority or is unknown.
    #[error(
        "import '{0}' is not allowed: plugins may import only yoi:plugin/fs, yoi:plugin/log and authority-free WASI (cli stdio/env/exit, io, clocks, random)"
    )]
    ForbiddenImport(String),
    /// The component exports no tool interface at all.
    #[error(
        "the component exports no yoi:plugin/tool interface (is it built against the yoi-plugin-wasm-1 world?)"
    )]
    MissingExport,
}

impl crate::error::ErrorCode for ContractError {
    fn code(&self) -> &'static str {
        match self {
            ContractError::NotAComponent => "not-a-component",
            ContractError::Malformed(_) => "malformed",
            ContractError::UnsupportedAbi(_) => "unsupported-abi",
            ContractError::ForbiddenImport(_) => "forbidden-import",
            ContractError::MissingExport => "missing-export",
        }
    }
}

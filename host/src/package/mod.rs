//! Plugin packages: one verifiable artifact per plugin version.
//!
//! A package is a small set of files — `plugin.toml`, the component at the
//! path the manifest names, and optionally `README.md` / `LICENSE` — held
//! as [`PackageFiles`] and validated into a [`Package`] by one function
//! ([`Package::from_files`]) that `pack`, `check`, `install` and load all
//! share. The archive format (`.yoi-plugin`, deterministic tar + gzip)
//! lives in `archive`, the content digest in [`digest`].

pub mod adapt;
mod archive;
pub mod digest;
pub mod probe;
pub mod schemas;

use std::collections::BTreeMap;
use std::path::Path;

use self::adapt::AdaptError;
pub use crate::abi::inspect::TOOLS_SECTION;
use crate::abi::inspect::{self, ComponentInfo};
use crate::abi::{ContractError, HostApi};
use crate::diag;
use crate::error::ErrorCode;
use crate::manifest::{MANIFEST_FILE, Manifest, ManifestError};
use crate::names::{self, Digest, EntryPathError};

/// File extension of package archives.
pub const PACKAGE_EXTENSION: &str = "yoi-plugin";
/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 64;
/// Largest single file, in bytes.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Largest total expanded size, in bytes.
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;
/// Largest expansion ratio (expanded / archive bytes) once past 1 MiB.
pub const MAX_COMPRESSION_RATIO: u64 = 100;
/// Longest entry path, in bytes.
pub const MAX_ENTRY_PATH_BYTES: usize = names::MAX_ENTRY_PATH_BYTES;
/// Files a package may carry besides the manifest and the component.
pub const OPTIONAL_FILES: [&str; 2] = ["README.md", "LICENSE"];

/// Why a package (directory or archive) is rejected. Entry names in
/// messages are bounded and control characters are replaced.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// Reading failed (the kind only; no host path).
    #[error("i/o error ({0})")]
    Io(std::io::ErrorKind),
    /// The archive is not a valid gzip'd tar.
    #[error("malformed archive: {0}")]
    MalformedArchive(String),
    /// A symlink entry.
    #[error("entry '{0}' is a symlink; packages hold regular files only")]
    Symlink(String),
    /// A hardlink entry.
    #[error("entry '{0}' is a hardlink; packages hold regular files only")]
    Hardlink(String),
    /// A device, FIFO or other special entry.
    #[error("entry '{0}' is a special file; packages hold regular files only")]
    SpecialFile(String),
    /// An absolute entry path.
    #[error("entry '{0}' has an absolute path")]
    AbsolutePath(String),
    /// `..` in an entry path.
    #[error("entry '{0}' contains '..'")]
    ParentTraversal(String),
    /// An empty segment (`a//b`, trailing `/`) in an entry path.
    #[error("entry '{0}' has an empty path segment")]
    EmptySegment(String),
    /// Otherwise malformed entry path (control chars, `\`, `.`, too long, not UTF-8).
    #[error("entry '{0}' has an invalid path")]
    InvalidPath(String),
    /// Two entries normalise to one path.
    #[error("entry '{0}' appears twice")]
    DuplicatePath(String),
    /// A file above [`MAX_FILE_BYTES`].
    #[error("entry '{0}' is larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge(String),
    /// More than [`MAX_ENTRIES`] entries.
    #[error("more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// More than [`MAX_TOTAL_BYTES`] expanded.
    #[error("expands to more than {MAX_TOTAL_BYTES} bytes")]
    TooLarge,
    /// Expands more than [`MAX_COMPRESSION_RATIO`] times its size.
    #[error("expands more than {MAX_COMPRESSION_RATIO}x its size (compression bomb)")]
    CompressionBomb,
    /// An entry that is neither the manifest, the component nor an optional file.
    #[error(
        "unexpected entry '{0}': a package holds plugin.toml, the component, README.md and LICENSE only"
    )]
    UnexpectedEntry(String),
    /// No `plugin.toml`.
    #[error("no plugin.toml")]
    MissingManifest,
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The manifest's component file is missing.
    #[error("the component '{0}' named by plugin.toml is missing (build it, or pass --component)")]
    MissingComponent(String),
    /// A `wasm32-wasip1` core module could not be made a component.
    #[error(transparent)]
    Adapt(#[from] AdaptError),
    /// The component fails static inspection (the ABI contract).
    #[error("component rejected: {0}")]
    Component(#[from] ContractError),
    /// The manifest's `abi` is not the ABI the component exports.
    #[error("plugin.toml declares abi '{manifest}', but the component implements {component}")]
    AbiMismatch {
        /// What the manifest says (bounded).
        manifest: String,
        /// What the component's tool export says.
        component: crate::abi::AbiVersion,
    },
    /// The component imports a host API the manifest does not request.
    #[error(
        "the component imports the '{0}' host API, but plugin.toml does not request it (add it to permissions.host_apis)"
    )]
    HostApiNotRequested(HostApi),
    /// The manifest requests a host API the component never imports.
    #[error(
        "plugin.toml requests the '{0}' host API, but the component does not import it (remove it from permissions.host_apis)"
    )]
    HostApiUnused(HostApi),
    /// The component does not record its tool names.
    #[error(
        "the component does not declare its tools: pack the plugin directory (`yoi-plugin pack DIR`), which records them, or in Rust export it with `export_plugin!(T, tools = [...])`"
    )]
    ToolsNotDeclared,
    /// The component answers every tool name, so probing cannot show
    /// which tools it has.
    #[error(
        "the component answers a tool name it cannot have; its router must answer unknown-tool for names it does not know"
    )]
    ToolsNotVerifiable,
    /// The component could not be probed (it does not compile or link).
    #[error("the component cannot be probed: {0}")]
    Probe(String),
    /// A tool's `input_schema` in the manifest says something else than
    /// the schema derived from its input type ([`schemas`]).
    #[error(
        "the input_schema of tool '{tool}' in plugin.toml differs from the schema derived from its input type at '{at}'; the derived schema (annotations aside) is {derived}"
    )]
    SchemaMismatch {
        /// The tool (bounded).
        tool: String,
        /// The first differing JSON pointer.
        at: String,
        /// The derived schema without annotations (bounded).
        derived: String,
    },
    /// The component's answer to the input-schemas call is not a map of
    /// schemas.
    #[error("the component's derived input schemas cannot be read: {0}")]
    SchemasUnreadable(String),
    /// A manifest tool the component does not provide.
    #[error("tool '{0}' is declared in plugin.toml but not exported by the component")]
    ToolNotExported(String),
}

impl ErrorCode for PackageError {
    fn code(&self) -> &'static str {
        match self {
            PackageError::Io(_) => "io",
            PackageError::MalformedArchive(_) => "malformed-archive",
            PackageError::Symlink(_) => "symlink",
            PackageError::Hardlink(_) => "hardlink",
            PackageError::SpecialFile(_) => "special-file",
            PackageError::AbsolutePath(_) => "absolute-path",
            PackageError::ParentTraversal(_) => "parent-traversal",
            PackageError::EmptySegment(_) => "empty-segment",
            PackageError::InvalidPath(_) => "invalid-path",
            PackageError::DuplicatePath(_) => "duplicate-path",
            PackageError::FileTooLarge(_) => "file-too-large",
            PackageError::TooManyEntries => "too-many-entries",
            PackageError::TooLarge => "too-large",
            PackageError::CompressionBomb => "compression-bomb",
            PackageError::UnexpectedEntry(_) => "unexpected-entry",
            PackageError::MissingManifest => "missing-manifest",
            PackageError::Manifest(e) => e.code(),
            PackageError::MissingComponent(_) => "missing-component",
            PackageError::Adapt(e) => e.code(),
            PackageError::Component(e) => e.code(),
            PackageError::AbiMismatch { .. } => "abi-mismatch",
            PackageError::HostApiNotRequested(_) => "host-api-not-requested",
            PackageError::HostApiUnused(_) => "host-api-unused",
            PackageError::ToolsNotDeclared => "tools-not-declared",
            PackageError::ToolsNotVerifiable => "tools-not-verifiable",
            PackageError::Probe(_) => "probe-failed",
            PackageError::ToolNotExported(_) => "tool-not-exported",
            PackageError::SchemaMismatch { .. } => "schema-mismatch",
            PackageError::SchemasUnreadable(_) => "schemas-unreadable",
        }
    }
}

impl From<std::io::Error> for PackageError {
    fn from(e: std::io::Error) -> Self {
        PackageError::Io(e.kind())
    }
}

/// An entry path made safe to show: control characters replaced,
/// secret-looking segments masked, bounded ([`diag::redact_guest_path`]).
pub(crate) fn shown(path: &str) -> String {
    diag::redact_guest_path(path)
}

/// Checks one entry path by the one rule ([`names::check_entry_path`]),
/// as the package error of its kind.
pub fn check_entry_path(path: &str) -> Result<(), PackageError> {
    names::check_entry_path(path).map_err(|e| {
        let s = shown(path);
        match e {
            EntryPathError::Absolute => PackageError::AbsolutePath(s),
            EntryPathError::ParentTraversal => PackageError::ParentTraversal(s),
            EntryPathError::EmptySegment => PackageError::EmptySegment(s),
            EntryPathError::Invalid => PackageError::InvalidPath(s),
        }
    })
}

/// The files of a package by normalised relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl PackageFiles {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file, enforcing path rules, per-file, count and total bounds.
    pub fn insert(&mut self, path: &str, content: Vec<u8>) -> Result<(), PackageError> {
        check_entry_path(path)?;
        if content.len() as u64 > MAX_FILE_BYTES {
            return Err(PackageError::FileTooLarge(shown(path)));
        }
        if self.files.contains_key(path) {
            return Err(PackageError::DuplicatePath(shown(path)));
        }
        if self.files.len() >= MAX_ENTRIES {
            return Err(PackageError::TooManyEntries);
        }
        if self.total_bytes() + content.len() as u64 > MAX_TOTAL_BYTES {
            return Err(PackageError::TooLarge);
        }
        self.files.insert(path.to_owned(), content);
        Ok(())
    }

    /// The content of `path`.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Paths and contents in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, c)| (p.as_str(), c.as_slice()))
    }

    /// Sum of file sizes.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|c| c.len() as u64).sum()
    }
}

/// A validated package.
#[derive(Debug, Clone)]
pub struct Package {
    /// The manifest.
    pub manifest: Manifest,
    /// The files.
    pub files: PackageFiles,
    /// The content digest (see [`digest`]).
    pub digest: Digest,
    /// What static inspection found in the component (ABI, imports,
    /// exports, host APIs, declared tools).
    pub info: ComponentInfo,
    /// SHA-256 of the component bytes (the compile-cache key).
    pub component_digest: Digest,
}

impl Package {
    /// Validates a file set: manifest, component (a component, fitting the
    /// declared ABI, exporting every declared tool), no unexpected files.
    pub fn from_files(files: PackageFiles) -> Result<Package, PackageError> {
        let manifest_bytes = files
            .get(MANIFEST_FILE)
            .ok_or(PackageError::MissingManifest)?;
        let text = std::str::from_utf8(manifest_bytes)
            .map_err(|_| ManifestError::Parse("not UTF-8".into()))?;
        let manifest = Manifest::parse(text)?;
        for (path, _) in files.iter() {
            if path != MANIFEST_FILE
                && path != manifest.component
                && !OPTIONAL_FILES.contains(&path)
            {
                return Err(PackageError::UnexpectedEntry(shown(path)));
            }
        }
        let component = files
            .get(&manifest.component)
            .ok_or_else(|| PackageError::MissingComponent(shown(&manifest.component)))?;
        let info = inspect::inspect(component)?;
        check_fit(&manifest, &info)?;
        let mut component_digest = None;
        let digest = digest::package_digest_with(&files, |path, d| {
            if path == manifest.component {
                component_digest = Some(d.clone());
            }
        });
        Ok(Package {
            component_digest: component_digest.expect("the component is one of the files"),
            manifest,
            files,
            digest,
            info,
        })
    }

    /// Reads a plugin directory: `plugin.toml`, the component it names (or
    /// `component_override`, stored under the manifest's component path;
    /// a `wasm32-wasip1` core module is adapted, [`adapt`]), and the
    /// optional files if present. Symlinks are refused.
    pub fn from_dir(
        dir: &Path,
        component_override: Option<&Path>,
    ) -> Result<Package, PackageError> {
        Package::from_dir_with(dir, component_override, |_, bytes| Ok(bytes))
    }

    /// [`Package::from_dir`], with a component that does not record its
    /// tools probed in `host` and given the manifest's list
    /// ([`probe::declare_tools`]), and the input schemas the component
    /// derives from its types, if any, checked against the manifest's
    /// ([`schemas`]): how `check` and `pack` treat a plugin directory in
    /// any language.
    pub fn from_dir_declaring(
        dir: &Path,
        component_override: Option<&Path>,
        host: &crate::runtime::PluginHost,
    ) -> Result<Package, PackageError> {
        Package::from_dir_with(dir, component_override, |manifest, bytes| {
            let tools: Vec<String> = manifest.tools.iter().map(|t| t.name.clone()).collect();
            probe::declare_tools(host, bytes, &tools, |derived| {
                schemas::compare(manifest, &schemas::parse(derived)?)
            })
        })
    }

    fn from_dir_with(
        dir: &Path,
        component_override: Option<&Path>,
        prepare: impl FnOnce(&Manifest, Vec<u8>) -> Result<Vec<u8>, PackageError>,
    ) -> Result<Package, PackageError> {
        let mut files = PackageFiles::new();
        let manifest_text = read_regular(&dir.join(MANIFEST_FILE), MANIFEST_FILE)?
            .ok_or(PackageError::MissingManifest)?;
        let manifest = Manifest::parse(
            std::str::from_utf8(&manifest_text)
                .map_err(|_| ManifestError::Parse("not UTF-8".into()))?,
        )?;
        files.insert(MANIFEST_FILE, manifest_text)?;
        let component_path = match component_override {
            Some(p) => p.to_path_buf(),
            None => {
                check_entry_path(&manifest.component)?;
                dir.join(&manifest.component)
            }
        };
        let component = read_regular(&component_path, &manifest.component)?
            .ok_or_else(|| PackageError::MissingComponent(shown(&manifest.component)))?;
        // A wasm32-wasip1 core module is packaged as its adapted component.
        let component = prepare(&manifest, adapt::to_component(component)?)?;
        files.insert(&manifest.component, component)?;
        for optional in OPTIONAL_FILES {
            if let Some(content) = read_regular(&dir.join(optional), optional)? {
                files.insert(optional, content)?;
            }
        }
        Package::from_files(files)
    }

    /// Reads and validates a `.yoi-plugin` archive.
    pub fn from_archive(bytes: &[u8]) -> Result<Package, PackageError> {
        Package::from_files(archive::read(bytes)?)
    }

    /// The deterministic `.yoi-plugin` archive of this package.
    pub fn to_archive(&self) -> Vec<u8> {
        archive::write(&self.files)
    }

    /// The component bytes.
    pub fn component(&self) -> &[u8] {
        self.files.get(&self.manifest.component).unwrap_or_default()
    }
}

/// Checks that the manifest describes the component it ships, in this
/// order: the same ABI, every declared tool exported (by the component's
/// tool-list section), exactly the host APIs it imports.
fn check_fit(manifest: &Manifest, info: &ComponentInfo) -> Result<(), PackageError> {
    if manifest.abi != info.abi.id() {
        return Err(PackageError::AbiMismatch {
            manifest: diag::bound(&manifest.abi, 64),
            component: info.abi,
        });
    }
    let declared = info
        .declared_tools
        .as_ref()
        .ok_or(PackageError::ToolsNotDeclared)?;
    if let Some(missing) = manifest.tools.iter().find(|t| !declared.contains(&t.name)) {
        return Err(PackageError::ToolNotExported(shown(&missing.name)));
    }
    let requested = &manifest.permissions.host_apis;
    if let Some(api) = info.host_apis.iter().find(|a| !requested.contains(a)) {
        return Err(PackageError::HostApiNotRequested(*api));
    }
    if let Some(api) = requested.iter().find(|a| !info.host_apis.contains(a)) {
        return Err(PackageError::HostApiUnused(*api));
    }
    Ok(())
}

/// Reads a regular file (not a symlink, not special); `None` if absent.
fn read_regular(path: &Path, shown_as: &str) -> Result<Option<Vec<u8>>, PackageError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if meta.file_type().is_symlink() {
        return Err(PackageError::Symlink(shown(shown_as)));
    }
    if !meta.is_file() {
        return Err(PackageError::SpecialFile(shown(shown_as)));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(PackageError::FileTooLarge(shown(shown_as)));
    }
    Ok(Some(std::fs::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_path_rules() {
        assert!(check_entry_path("plugin.toml").is_ok());
        assert!(check_entry_path("bin/x.wasm").is_ok());
        let codes = [
            ("/abs", "absolute-path"),
            ("C:/x", "absolute-path"),
            ("a/../b", "parent-traversal"),
            ("..", "parent-traversal"),
            ("a//b", "empty-segment"),
            ("a/", "empty-segment"),
            ("./a", "invalid-path"),
            ("a\\b", "invalid-path"),
            ("a\nb", "invalid-path"),
            ("", "invalid-path"),
        ];
        for (path, code) in codes {
            assert_eq!(check_entry_path(path).unwrap_err().code(), code, "{path:?}");
        }
        assert_eq!(
            check_entry_path(&"a".repeat(300)).unwrap_err().code(),
            "invalid-path"
        );
    }

    #[test]
    fn file_set_bounds() {
        let mut files = PackageFiles::new();
        files.insert("a", vec![1]).unwrap();
        assert_eq!(
            files.insert("a", vec![2]).unwrap_err().code(),
            "duplicate-path"
        );
        for i in 1..MAX_ENTRIES {
            files.insert(&format!("f{i}"), vec![]).unwrap();
        }
        assert_eq!(
            files.insert("one-more", vec![]).unwrap_err().code(),
            "too-many-entries"
        );
    }
}

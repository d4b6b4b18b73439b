//! Source-qualified plugin ids: `builtin:hello`, `user:notes`,
//! `project:grep`.

use std::fmt;

use super::StoreError;

/// Where a plugin comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Shipped with the host.
    Builtin,
    /// Installed by the user.
    User,
    /// Installed for a project.
    Project,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 3] = [Source::Builtin, Source::User, Source::Project];

    /// The qualifier text.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Builtin => "builtin",
            Source::User => "user",
            Source::Project => "project",
        }
    }

    /// Parses a qualifier.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|src| src.as_str() == s)
    }
}

/// A validated `<source>:<name>` id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedId {
    source: Source,
    name: String,
}

impl QualifiedId {
    /// Qualifies a manifest id (1–64 of `[a-z0-9_-]`, starting with a letter).
    pub fn new(source: Source, name: &str) -> Result<QualifiedId, StoreError> {
        if !crate::manifest::is_plugin_name(name) {
            return Err(StoreError::InvalidId(crate::diag::bound(name, 80)));
        }
        Ok(QualifiedId {
            source,
            name: name.to_owned(),
        })
    }

    /// Parses `<source>:<name>`.
    pub fn parse(text: &str) -> Result<QualifiedId, StoreError> {
        let bad = || StoreError::InvalidId(crate::diag::bound(text, 80));
        let (source, name) = text.split_once(':').ok_or_else(bad)?;
        let source = Source::parse(source).ok_or_else(bad)?;
        QualifiedId::new(source, name).map_err(|_| bad())
    }

    /// The source.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for QualifiedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source.as_str(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ids() {
        assert_eq!(
            QualifiedId::parse("user:notes").unwrap().to_string(),
            "user:notes"
        );
        for bad in [
            "notes",
            "evil:notes",
            "user:",
            "user:../x",
            "user:Notes",
            "user:a/b",
        ] {
            assert!(QualifiedId::parse(bad).is_err(), "{bad}");
        }
    }
}

//! `bundle seal | digest | verify`: author config bundles offline.

use std::path::{Path, PathBuf};

use serde_json::json;
use yoi_plugin_host::bundle::ConfigBundle;

use crate::{Failure, Out};

/// What to do with a bundle file.
#[derive(clap::Subcommand)]
pub enum BundleCmd {
    /// Validate a draft and fill in its digest; prints the sealed bundle.
    Seal {
        /// Bundle JSON (digest may be empty).
        file: PathBuf,
        /// Write the sealed bundle here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the canonical digest of a bundle's content.
    Digest {
        /// Bundle JSON.
        file: PathBuf,
    },
    /// Validate a sealed bundle (fields, references, digest).
    Verify {
        /// Bundle JSON.
        file: PathBuf,
    },
}

fn read(file: &Path) -> Result<ConfigBundle, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::new(5, "io", format!("cannot read the bundle ({})", e.kind())))?;
    ConfigBundle::parse_draft(&text).map_err(|e| Failure::new(3, e.code(), e))
}

pub fn run(out: Out, cmd: BundleCmd) -> Result<(), Failure> {
    match cmd {
        BundleCmd::Seal { file, output } => {
            let draft = read(&file)?;
            draft
                .validate_content()
                .map_err(|e| Failure::new(3, e.code(), e))?;
            let sealed = draft.seal();
            let text = serde_json::to_string_pretty(&sealed).expect("bundles serialise");
            match output {
                Some(path) => {
                    std::fs::write(&path, format!("{text}\n")).map_err(|e| {
                        Failure::new(5, "io", format!("cannot write the bundle ({})", e.kind()))
                    })?;
                    out.emit(json!({ "file": path, "digest": sealed.digest }), || {
                        format!("sealed {} digest {}", path.display(), sealed.digest)
                    });
                }
                None => println!("{text}"),
            }
        }
        BundleCmd::Digest { file } => {
            let bundle = read(&file)?;
            let digest = bundle.compute_digest();
            out.emit(json!({ "digest": digest }), || digest.clone());
        }
        BundleCmd::Verify { file } => {
            let bundle = read(&file)?;
            bundle
                .validate()
                .map_err(|e| Failure::new(3, e.code(), e))?;
            out.emit(json!({ "ok": true, "id": bundle.id, "revision": bundle.revision, "digest": bundle.digest }), || {
                format!("ok: {} revision {} digest {}", bundle.id, bundle.revision, bundle.digest)
            });
        }
    }
    Ok(())
}

//! OCI bundles: container ids, config.json (through the `oci-spec` crate's
//! types) and what in it the sandbox can honour.
//!
//! Every error here is one line naming the file and the field, so the
//! caller (Docker prints it) reads the real cause.

pub mod hooks;
pub mod mounts;
pub mod process;
pub mod spec;

use anyhow::{bail, Context, Result};
use oci_spec::runtime::Spec;
use std::path::{Path, PathBuf};

/// The runtime-spec version our state reports (what runc 1.1 reports).
pub const OCI_VERSION: &str = "1.0.2-dev";

/// runc's rule: letters, digits, `_`, `+`, `-` and `.`, and not "." or "..".
pub fn validate_id(id: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.');
    if id.is_empty() || !id.chars().all(ok_char) || id == "." || id == ".." {
        bail!("invalid container id {id:?}: use letters, digits, '_', '+', '-' and '.'");
    }
    if id.len() > 1024 {
        bail!("invalid container id: longer than 1024 characters");
    }
    Ok(())
}

/// A bundle, read and checked.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Absolute path of the bundle directory.
    pub dir: PathBuf,
    pub spec: Spec,
    /// Absolute path of the root filesystem.
    pub rootfs: PathBuf,
}

/// Read `dir/config.json` and check what `create` needs of it.
pub fn load_bundle(dir: &Path) -> Result<Bundle> {
    let dir = std::fs::canonicalize(dir).with_context(|| format!("bundle {}", dir.display()))?;
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if text.trim().is_empty() {
        bail!("{}: the file is empty", path.display());
    }
    let spec: Spec = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid JSON: {e}", path.display()))?;
    let Some(root) = spec.root() else {
        bail!(
            "{}: \"root\" is missing (root.path names the container's root filesystem)",
            path.display()
        );
    };
    if root.path().as_os_str().is_empty() {
        bail!("{}: root.path is empty", path.display());
    }
    let rootfs = dir.join(root.path());
    let meta = std::fs::metadata(&rootfs)
        .with_context(|| format!("root filesystem {}", rootfs.display()))?;
    if !meta.is_dir() {
        bail!("root filesystem {}: not a directory", rootfs.display());
    }
    let rootfs = std::fs::canonicalize(&rootfs)
        .with_context(|| format!("root filesystem {}", rootfs.display()))?;
    let Some(p) = spec.process() else {
        bail!(
            "{}: \"process\" is missing (process.args names the program to run)",
            path.display()
        );
    };
    if p.args().as_ref().is_none_or(|a| a.is_empty()) {
        bail!(
            "{}: process.args is missing or empty (it names the program to run)",
            path.display()
        );
    }
    if !p.cwd().is_absolute() {
        bail!(
            "{}: process.cwd {:?} is not an absolute path",
            path.display(),
            p.cwd()
        );
    }
    if let Some(env) = p.env() {
        if let Some(bad) = env.iter().find(|e| !e.contains('=')) {
            bail!(
                "{}: process.env entry {bad:?} is not KEY=VALUE",
                path.display()
            );
        }
    }
    process::check_supported(p).with_context(|| path.display().to_string())?;
    Ok(Bundle { dir, spec, rootfs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "abc-1.2_3+x", "0123456789abcdef"] {
            assert!(validate_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "a\n", "é"] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
    }
}

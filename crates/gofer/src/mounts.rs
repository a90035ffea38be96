//! What the Gofer serves: named trees ("mounts"). The root filesystem is
//! one; a container's bind mounts are others — directories, or single
//! files (whether a path is one is decided when the Gofer opens it). The
//! Sentry names the tree it wants in Tattach's `aname`.

use std::path::PathBuf;

/// The aname of the container's root filesystem.
pub const ROOT_NAME: &str = "root";

/// One served tree (a directory or a single file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    /// Tattach's aname for this tree: no '/', no NUL, not empty.
    pub name: String,
    /// The host directory or file, as the Gofer's parent sees it.
    pub path: PathBuf,
    /// Whether changes are allowed; a read-only tree answers EROFS.
    pub writable: bool,
}

impl MountSpec {
    /// Parses `NAME:ro:PATH` or `NAME:rw:PATH` (PATH may contain ':').
    pub fn parse(s: &str) -> Result<MountSpec, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(name), Some(mode), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("mount {s:?}: expected NAME:ro|rw:PATH"));
        };
        if name.is_empty() || name.contains('/') || name.contains('\0') {
            return Err(format!("mount {s:?}: bad name {name:?}"));
        }
        let writable = match mode {
            "ro" => false,
            "rw" => true,
            _ => return Err(format!("mount {s:?}: mode must be ro or rw, not {mode:?}")),
        };
        if !path.starts_with('/') {
            return Err(format!("mount {s:?}: the path must be absolute"));
        }
        Ok(MountSpec {
            name: name.to_string(),
            path: PathBuf::from(path),
            writable,
        })
    }

    /// The inverse of [`MountSpec::parse`].
    pub fn to_arg(&self) -> String {
        let mode = if self.writable { "rw" } else { "ro" };
        format!("{}:{mode}:{}", self.name, self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let m = MountSpec::parse("root:ro:/a:b").unwrap();
        assert_eq!(m.name, "root");
        assert!(!m.writable);
        assert_eq!(m.path, PathBuf::from("/a:b"));
        assert_eq!(MountSpec::parse(&m.to_arg()).unwrap(), m);
        assert!(MountSpec::parse("x:rw:relative").is_err());
        assert!(MountSpec::parse("a/b:rw:/").is_err());
        assert!(MountSpec::parse("a:maybe:/").is_err());
        assert!(MountSpec::parse("a:rw").is_err());
    }
}

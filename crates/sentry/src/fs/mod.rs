//! Filesystem implementations behind the VFS.

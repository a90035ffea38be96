//! The Sentry–Gofer wire protocol (9P2000.L). The codec arrives with the Gofer
//! issue; today the Sentry reads the root filesystem through the same
//! file-server interface (`sentry::fs::lower`) that the Gofer client will
//! implement.

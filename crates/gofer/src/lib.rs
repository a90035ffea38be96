//! The Gofer server: serves a directory tree to the Sentry over `proto`.
//! Arrives with the Gofer issue.

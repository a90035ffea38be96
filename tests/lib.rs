//! Shared helpers for the differential test harness.

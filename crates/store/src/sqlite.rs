//! The embedded SQLite store. STUB while being written.

/// A SQLite store in a data directory.
pub struct Sqlite {}

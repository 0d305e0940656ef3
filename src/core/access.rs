//! Read or read-write access to a store, which every cloud grants with its own
//! roles (S3 actions, GCS roles, Azure storage roles).

/// Read-only or read-write access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// List and get.
    Read,
    /// List, get, put, delete.
    ReadWrite,
}

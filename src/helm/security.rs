//! The pod security settings every workload runs with, in every environment
//! (the Kubernetes "restricted" Pod Security Standard).

use serde::Serialize;

/// The seccomp profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeccompProfile {
    /// `RuntimeDefault`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl SeccompProfile {
    /// The container runtime's default profile.
    pub fn runtime_default() -> Self {
        SeccompProfile {
            kind: "RuntimeDefault".to_string(),
        }
    }
}

/// A pod's `securityContext`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    /// Refuse to start a container whose image runs as root.
    pub run_as_non_root: bool,
    /// The user id.
    pub run_as_user: u32,
    /// The group id.
    pub run_as_group: u32,
    /// Owner group of mounted volumes.
    pub fs_group: u32,
    /// Syscall filtering.
    pub seccomp_profile: SeccompProfile,
}

impl PodSecurityContext {
    /// Non-root (uid/gid 10001) with the runtime's seccomp profile.
    pub fn restricted() -> Self {
        PodSecurityContext {
            run_as_non_root: true,
            run_as_user: 10001,
            run_as_group: 10001,
            fs_group: 10001,
            seccomp_profile: SeccompProfile::runtime_default(),
        }
    }
}

/// Linux capabilities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Dropped capabilities (`ALL`).
    pub drop: Vec<String>,
}

/// A container's `securityContext`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerSecurityContext {
    /// Never root.
    pub run_as_non_root: bool,
    /// No setuid escalation.
    pub allow_privilege_escalation: bool,
    /// Never privileged.
    pub privileged: bool,
    /// Writable paths are explicit volumes (`/tmp`).
    pub read_only_root_filesystem: bool,
    /// Every capability dropped.
    pub capabilities: Capabilities,
    /// Syscall filtering.
    pub seccomp_profile: SeccompProfile,
}

impl ContainerSecurityContext {
    /// Non-root, read-only root file system, no privilege escalation, all
    /// capabilities dropped, seccomp `RuntimeDefault`.
    pub fn restricted() -> Self {
        ContainerSecurityContext {
            run_as_non_root: true,
            allow_privilege_escalation: false,
            privileged: false,
            read_only_root_filesystem: true,
            capabilities: Capabilities {
                drop: vec!["ALL".to_string()],
            },
            seccomp_profile: SeccompProfile::runtime_default(),
        }
    }
}

//! Kubernetes taints, which every managed Kubernetes service takes on node pools
//! (EKS node groups, GKE node pools, AKS node pools).

use super::value::Value;

/// A Kubernetes taint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value.
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: TaintEffect,
}

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEffect {
    /// Not scheduled.
    NoSchedule,
    /// Avoided.
    PreferNoSchedule,
    /// Evicted.
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

impl Taint {
    /// The `{key, value, effect}` block that EKS node groups (`taint`) and GKE
    /// node pools (`node_config.taint`) both take, with the effect spelled the
    /// way both APIs want it (`NO_SCHEDULE`). AKS takes `key=value:Effect`
    /// strings instead.
    pub fn to_block(&self) -> Value {
        let effect = match self.effect {
            TaintEffect::NoSchedule => "NO_SCHEDULE",
            TaintEffect::PreferNoSchedule => "PREFER_NO_SCHEDULE",
            TaintEffect::NoExecute => "NO_EXECUTE",
        };
        Value::map()
            .with("key", self.key.as_str())
            .with("value", self.value.as_str())
            .with("effect", effect)
    }
}

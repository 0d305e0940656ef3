//! Live Azure facts of one subscription and location, as `lookup azure`
//! records them in the context file ([`crate::core::context`]): for each VM
//! size the stack's AKS node pools use, whether the subscription may use it
//! in the location and in which zones. With them on the stack
//! ([`crate::Stack::insert_facts`]), [`check_vm_sizes`] fails a node pool
//! whose size is not offered, is restricted, or lacks one of the pool's zones
//! (at apply, AKS refuses such a pool after the cluster exists).
//!
//! Source: ARM `GET /subscriptions/{id}/providers/Microsoft.Compute/skus`
//! (`resourceType` `virtualMachines`), its `locationInfo[].zones` less the
//! zones of every `restrictions[]` entry of type `Zone`; a restriction of
//! type `Location` (reason `NotAvailableForSubscription`) makes the size
//! unusable there.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::core::stack::Stack;
use crate::core::value::Value;

/// What the subscription may do with one VM size in the location.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmSizeOffer {
    /// Why the size cannot be used in the location at all (the SKU is not
    /// listed there, or a `Location` restriction's reason code); `None` when
    /// it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// The zones (`"1"`, `"2"`, `"3"`) it may be placed in, restrictions
    /// removed.
    pub zones: BTreeSet<String>,
}

/// The Azure facts of one `<stack>/azure/<env>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureFacts {
    /// The location (`westeurope`) they were read for.
    pub location: String,
    /// Per VM size the stack uses (`Standard_D4s_v5`), what may be done with
    /// it; a size absent here was not looked up.
    pub vm_sizes: BTreeMap<String, VmSizeOffer>,
}

/// One AKS node pool as the stack declares it.
struct Pool {
    address: String,
    field_prefix: &'static str,
    name: String,
    vm_size: String,
    zones: Vec<String>,
}

/// Fails every AKS node pool of `stack` (the cluster's system pool and each
/// `azurerm_kubernetes_cluster_node_pool`) whose VM size the [`AzureFacts`]
/// on the stack say cannot be used in the location, or not in one of the
/// pool's zones. One error per pool, naming the pool, the size and the
/// zones, with a looked-up size usable in all of them as the fix; a size
/// that was not looked up is a warning to run `lookup` again. No facts, no
/// check.
pub fn check_vm_sizes(stack: &mut Stack) {
    let Some(facts) = stack.facts::<AzureFacts>() else {
        return;
    };
    let pools = pools(stack);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for pool in pools {
        let field = format!("{}vm_size", pool.field_prefix);
        let Some(offer) = facts.vm_sizes.get(&pool.vm_size) else {
            warnings.push((
                pool.address,
                field,
                format!(
                    "node pool `{}`: VM size `{}` was not looked up, so its zones are not checked",
                    pool.name, pool.vm_size
                ),
            ));
            continue;
        };
        let usable_everywhere = |offer: &VmSizeOffer| {
            offer.unavailable.is_none() && pool.zones.iter().all(|z| offer.zones.contains(z))
        };
        if usable_everywhere(offer) {
            continue;
        }
        let alternatives: Vec<&str> = facts
            .vm_sizes
            .iter()
            .filter(|(_, offer)| usable_everywhere(offer))
            .map(|(size, _)| size.as_str())
            .collect();
        let problem = match &offer.unavailable {
            Some(reason) => format!("is not available in {} ({reason})", facts.location),
            None => {
                let missing: Vec<&str> = pool
                    .zones
                    .iter()
                    .filter(|z| !offer.zones.contains(*z))
                    .map(String::as_str)
                    .collect();
                format!(
                    "is not offered in zone {} of {} (offered in: {})",
                    missing.join(", "),
                    facts.location,
                    if offer.zones.is_empty() {
                        "no zone".to_string()
                    } else {
                        offer.zones.iter().cloned().collect::<Vec<_>>().join(", ")
                    }
                )
            }
        };
        let message = format!(
            "node pool `{}`: VM size `{}` {problem}, per the context file's lookup",
            pool.name, pool.vm_size
        );
        let hint = match alternatives.first() {
            Some(_) => format!(
                "use a VM size usable in every zone of the pool, such as {}, or fewer zones",
                alternatives.join(", ")
            ),
            None => format!(
                "no looked-up size is usable in every zone of the pool; pick another (az vm list-skus --location {} --resource-type virtualMachines) or use fewer zones",
                facts.location
            ),
        };
        errors.push((
            pool.address,
            field,
            message,
            hint,
            alternatives.first().map(|s| s.to_string()),
        ));
    }
    for (address, field, message, hint, fix) in errors {
        match fix {
            Some(fix) => stack.error_with_fix(&address, &field, &message, &hint, &fix),
            None => stack.error(&address, &field, &message, &hint),
        }
    }
    let hint = format!(
        "run `{}` to record it",
        crate::core::context::refresh_command(crate::core::environment::Cloud::Azure, stack)
    );
    for (address, field, message) in warnings {
        stack.warning(&address, &field, &message, &hint);
    }
}

/// The VM sizes of every AKS node pool of `stack`, sorted, each once: what
/// `lookup azure` asks about.
pub fn vm_sizes_in_use(stack: &Stack) -> BTreeSet<String> {
    pools(stack).into_iter().map(|p| p.vm_size).collect()
}

/// What `lookup azure` asks of one stack, read from its blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AzureLookup {
    /// The `location` of the first `azurerm_kubernetes_cluster` (or, when it
    /// is an expression, of the first `azurerm_resource_group`).
    pub location: Option<String>,
    /// The `azurerm` provider's `subscription_id`, when the stack sets it
    /// (otherwise the environment's `ARM_SUBSCRIPTION_ID`).
    pub subscription_id: Option<String>,
    /// [`vm_sizes_in_use`].
    pub vm_sizes: BTreeSet<String>,
}

impl AzureLookup {
    /// What `stack` needs looked up.
    pub fn of(stack: &Stack) -> Self {
        let literal = |resource_type: &str| {
            stack
                .blocks()
                .iter()
                .filter(|b| b.address().resource_type() == resource_type)
                .find_map(|b| b.attributes().get("location").and_then(Value::as_str))
                .map(str::to_string)
        };
        AzureLookup {
            location: literal("azurerm_kubernetes_cluster")
                .or_else(|| literal("azurerm_resource_group")),
            subscription_id: stack
                .providers()
                .iter()
                .find(|p| p.name == "azurerm")
                .and_then(|p| p.attributes.get("subscription_id"))
                .and_then(Value::as_str)
                .map(str::to_string),
            vm_sizes: vm_sizes_in_use(stack),
        }
    }
}

fn pools(stack: &Stack) -> Vec<Pool> {
    let mut pools = Vec::new();
    for block in stack.blocks() {
        let address = block.address();
        if address.kind() != crate::core::reference::BlockKind::Resource {
            continue;
        }
        let attributes = block.attributes();
        let (map, field_prefix) = match address.resource_type() {
            "azurerm_kubernetes_cluster" => {
                let default_pool = attributes.get("default_node_pool");
                let map = match default_pool {
                    Some(Value::List(items)) => items.first().and_then(Value::as_map),
                    Some(other) => other.as_map(),
                    None => None,
                };
                match map {
                    Some(map) => (map, "default_node_pool."),
                    None => continue,
                }
            }
            "azurerm_kubernetes_cluster_node_pool" => (attributes, ""),
            _ => continue,
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        let Some(vm_size) = text("vm_size") else {
            continue;
        };
        let zones = map
            .get("zones")
            .and_then(Value::as_list)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        pools.push(Pool {
            address: address.to_string(),
            field_prefix,
            name: text("name").unwrap_or_else(|| address.name().to_string()),
            vm_size,
            zones,
        });
    }
    pools
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;

    fn stack(facts: AzureFacts, size: &str, zones: &[&str]) -> Stack {
        let mut stack = Stack::new("t");
        stack.insert_facts(facts);
        stack.raw_resource(
            "azurerm_kubernetes_cluster_node_pool",
            "gpu",
            Attributes::new()
                .set("name", "gpu")
                .set("vm_size", size)
                .set(
                    "zones",
                    zones.iter().map(|z| z.to_string()).collect::<Vec<_>>(),
                ),
        );
        stack
    }

    fn facts() -> AzureFacts {
        let zones = |z: &[&str]| z.iter().map(|z| z.to_string()).collect();
        AzureFacts {
            location: "westeurope".to_string(),
            vm_sizes: BTreeMap::from([
                (
                    "Standard_D4s_v5".to_string(),
                    VmSizeOffer {
                        unavailable: None,
                        zones: zones(&["1", "2", "3"]),
                    },
                ),
                (
                    "Standard_NC4as_T4_v3".to_string(),
                    VmSizeOffer {
                        unavailable: None,
                        zones: zones(&["1", "3"]),
                    },
                ),
                (
                    "Standard_M8ms".to_string(),
                    VmSizeOffer {
                        unavailable: Some("NotAvailableForSubscription".to_string()),
                        zones: BTreeSet::new(),
                    },
                ),
            ]),
        }
    }

    #[test]
    fn a_size_in_every_zone_passes() {
        let mut stack = stack(facts(), "Standard_D4s_v5", &["1", "2", "3"]);
        check_vm_sizes(&mut stack);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
    }

    #[test]
    fn a_zone_the_size_lacks_names_pool_size_and_zone() {
        let mut stack = stack(facts(), "Standard_NC4as_T4_v3", &["1", "2", "3"]);
        check_vm_sizes(&mut stack);
        let text = stack.diagnostics().to_string();
        assert_eq!(stack.diagnostics().errors().count(), 1, "{text}");
        assert!(
            text.contains("node pool `gpu`: VM size `Standard_NC4as_T4_v3` is not offered in zone 2 of westeurope (offered in: 1, 3)"),
            "{text}"
        );
        assert!(text.contains("such as Standard_D4s_v5"), "{text}");
    }

    #[test]
    fn a_restricted_size_says_why() {
        let mut stack = stack(facts(), "Standard_M8ms", &["1"]);
        check_vm_sizes(&mut stack);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains(
                "`Standard_M8ms` is not available in westeurope (NotAvailableForSubscription)"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_size_not_looked_up_is_a_warning() {
        let mut stack = stack(facts(), "Standard_E4s_v5", &["1"]);
        check_vm_sizes(&mut stack);
        assert!(!stack.diagnostics().has_errors());
        assert!(stack
            .diagnostics()
            .to_string()
            .contains("was not looked up"));
        assert_eq!(
            vm_sizes_in_use(&stack),
            BTreeSet::from(["Standard_E4s_v5".to_string()])
        );
    }
}

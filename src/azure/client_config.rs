//! `data "azurerm_client_config" "current"`: the tenant and principal
//! Terraform runs as, read instead of asking for them as inputs.

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::Ref;
use crate::core::stack::{Construct, Stack};

/// The `azurerm_client_config` data source, named `current`.
pub struct ClientConfig;

impl Construct for ClientConfig {
    type Output = Ref<kind::ClientConfig>;

    fn describe(&self) -> String {
        "azure::ClientConfig".to_string()
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::ClientConfig> {
        stack.data::<kind::ClientConfig>("current", Attributes::new())
    }
}

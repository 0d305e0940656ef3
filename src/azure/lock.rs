//! Management locks: `CanNotDelete` on the stores whose loss is unrecoverable.

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Ref};
use crate::core::stack::{Construct, Stack};

/// A `CanNotDelete` lock on one resource: neither the portal, the CLI nor
/// Terraform can delete it until the lock is removed. Locks are put on data
/// stores only, not on the resource group, because a group lock would also
/// block Terraform from replacing node pools, role assignments and endpoints.
pub struct DeleteLock {
    logical_name: String,
    scope: Attr<kind::ScopeId>,
    notes: String,
}

impl DeleteLock {
    /// Locks `scope` against deletion.
    pub fn new(logical_name: &str, scope: Attr<kind::ScopeId>) -> Self {
        DeleteLock {
            logical_name: logical_name.to_string(),
            scope,
            notes: "Production data; remove this lock deliberately before deleting.".to_string(),
        }
    }

    /// Why the lock exists (shown in the portal).
    pub fn notes(mut self, notes: &str) -> Self {
        self.notes = notes.to_string();
        self
    }
}

impl Construct for DeleteLock {
    type Output = Ref<kind::ManagementLock>;

    fn describe(&self) -> String {
        format!("azure::DeleteLock \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::ManagementLock> {
        stack.resource::<kind::ManagementLock>(
            &self.logical_name,
            Attributes::new()
                .set("name", "do-not-delete")
                .set("scope", &self.scope)
                .set("lock_level", "CanNotDelete")
                .set("notes", self.notes.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reference::{Address, StackId};
    use crate::core::value::Expr;

    #[test]
    fn lock_is_can_not_delete() {
        let mut stack = Stack::new("t");
        let account = Address::resource(StackId::TEST, "azurerm_storage_account", "objects");
        stack.add(DeleteLock::new(
            "objects_lock",
            Attr::from_expr(Expr::attribute(&account, "id")),
        ));
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"lock_level\": \"CanNotDelete\""));
        assert!(json.contains("${azurerm_storage_account.objects.id}"));
    }
}

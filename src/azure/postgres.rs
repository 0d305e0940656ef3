//! Azure Database for PostgreSQL flexible server: private (delegated subnet and
//! private DNS zone), Entra ID authentication only, zone-redundant HA, backups.

use super::kind;
use super::private_dns::PrivateDnsZoneHandle;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;
use crate::map;

/// The compute tier a SKU belongs to (its prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostgresTier {
    /// `B_`: burstable, no high availability.
    Burstable,
    /// `GP_`: general purpose.
    GeneralPurpose,
    /// `MO_`: memory optimized.
    MemoryOptimized,
}

impl PostgresTier {
    /// The tier of a SKU name, if it has a known prefix.
    pub fn of(sku: &str) -> Option<Self> {
        match sku.split('_').next() {
            Some("B") => Some(PostgresTier::Burstable),
            Some("GP") => Some(PostgresTier::GeneralPurpose),
            Some("MO") => Some(PostgresTier::MemoryOptimized),
            _ => None,
        }
    }
}

/// The SKUs the builder accepts, by tier.
const SKUS: &[&str] = &[
    "B_Standard_B1ms",
    "B_Standard_B2s",
    "B_Standard_B2ms",
    "B_Standard_B4ms",
    "B_Standard_B8ms",
    "GP_Standard_D2ds_v5",
    "GP_Standard_D4ds_v5",
    "GP_Standard_D8ds_v5",
    "GP_Standard_D16ds_v5",
    "GP_Standard_D32ds_v5",
    "MO_Standard_E2ds_v5",
    "MO_Standard_E4ds_v5",
    "MO_Standard_E8ds_v5",
    "MO_Standard_E16ds_v5",
];

/// Storage sizes the flexible server offers, in MiB (32 GiB to 32 TiB).
const STORAGE_MB: &[u32] = &[
    32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216,
    33553408,
];

/// The smallest offered storage size holding `gb` GiB.
pub fn storage_mb_for(gb: u32) -> u32 {
    let wanted = gb.saturating_mul(1024);
    STORAGE_MB
        .iter()
        .copied()
        .find(|&mb| mb >= wanted)
        .unwrap_or(STORAGE_MB[STORAGE_MB.len() - 1])
}

/// High availability of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostgresHa {
    /// No standby.
    Disabled,
    /// A standby in the same zone.
    SameZone,
    /// A standby in another zone with automatic failover.
    ZoneRedundant,
}

/// The Entra ID group administering the server (there is no password admin).
#[derive(Clone, Debug)]
pub struct EntraAdmin {
    /// The tenant id.
    pub tenant_id: Attr<kind::TenantId>,
    /// The group's object id.
    pub object_id: crate::core::value::Value,
    /// The group's display name.
    pub principal_name: crate::core::value::Value,
}

/// The required inputs of a [`PostgresServer`], named as in
/// `azurerm_postgresql_flexible_server`.
#[derive(Clone, Debug)]
pub struct PostgresServerProps<'a> {
    /// The Terraform name of the server
    /// (`azurerm_postgresql_flexible_server.<logical_name>`) and the prefix of
    /// its databases and administrator.
    pub logical_name: &'a str,
    /// The server name in Azure (`name`, its host is
    /// `<name>.postgres.database.azure.com`): 3-63 lowercase letters, digits
    /// and `-`, not starting or ending with `-`, globally unique.
    pub name: &'a str,
    /// The resource group the server is created in (its `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The subnet delegated to `Microsoft.DBforPostgreSQL/flexibleServers`
    /// the server lives in (`delegated_subnet_id`): the network's PostgreSQL
    /// subnet ([`NetworkHandle::postgres`](crate::azure::NetworkHandle::postgres)).
    pub delegated_subnet_id: Attr<Id<kind::Subnet>>,
    /// The private DNS zone `privatelink.postgres.database.azure.com`, linked
    /// to the network, the server's name resolves in (`private_dns_zone_id`).
    pub dns_zone: &'a PrivateDnsZoneHandle,
    /// The Entra ID group administering the server (there is no password
    /// administrator).
    pub administrator: EntraAdmin,
}

/// A PostgreSQL flexible server with its databases.
pub struct PostgresServer {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    subnet_id: Attr<Id<kind::Subnet>>,
    dns_zone: PrivateDnsZoneHandle,
    admin: EntraAdmin,
    version: String,
    sku: String,
    storage_mb: u32,
    high_availability: PostgresHa,
    zone: Option<String>,
    standby_zone: Option<String>,
    backup_retention_days: u32,
    geo_redundant_backup: bool,
    prevent_destroy: bool,
    databases: Vec<String>,
}

/// The server and its databases.
#[derive(Clone, Debug)]
pub struct PostgresHandle {
    /// The server.
    pub server: Ref<kind::PostgresqlFlexibleServer>,
    /// Each database by name.
    pub databases: Vec<(String, Ref<kind::PostgresqlFlexibleServerDatabase>)>,
    /// The Entra ID administrator group of the server.
    pub administrator: Ref<kind::PostgresqlFlexibleServerAdministrator>,
}

impl PostgresServer {
    /// A server reachable only inside the network, with Entra ID
    /// authentication only.
    ///
    /// Defaults: version 16, `GP_Standard_D2ds_v5`, 32 GiB with auto-grow,
    /// 7 days of geo-redundant backups, no HA, public access off, passwords off.
    pub fn new(props: PostgresServerProps<'_>) -> Self {
        PostgresServer {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            subnet_id: props.delegated_subnet_id,
            dns_zone: props.dns_zone.clone(),
            admin: props.administrator,
            version: "16".to_string(),
            sku: "GP_Standard_D2ds_v5".to_string(),
            storage_mb: 32768,
            high_availability: PostgresHa::Disabled,
            zone: None,
            standby_zone: None,
            backup_retention_days: 7,
            geo_redundant_backup: true,
            prevent_destroy: false,
            databases: Vec::new(),
        }
    }

    /// Major version, one flexible server supports on the stack's support
    /// date ([`crate::azure::versions::AZURE_POSTGRES`]).
    ///
    /// Raising it later is an in-place major upgrade: azurerm 4.55.0 forces
    /// a new server only when `version` goes down
    /// (`postgresql_flexible_server_resource.go`, CustomizeDiff) and needs
    /// no `create_mode = "Update"` for an upgrade, so none is written (the
    /// create call would send it).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// SKU name such as `GP_Standard_D4ds_v5` (see `platform::azure::sizes`).
    pub fn sku(mut self, sku: &str) -> Self {
        self.sku = sku.to_string();
        self
    }

    /// Storage, rounded up to the next size Azure offers (auto-grow is on).
    pub fn storage_gb(mut self, gb: u32) -> Self {
        self.storage_mb = storage_mb_for(gb);
        self
    }

    /// High availability; zone-redundant places the standby in `standby_zone`
    /// and the primary in `zone`.
    pub fn high_availability(mut self, mode: PostgresHa) -> Self {
        self.high_availability = mode;
        self
    }

    /// The primary's zone and, for zone-redundant HA, the standby's.
    pub fn zones(mut self, zone: Option<&str>, standby_zone: Option<&str>) -> Self {
        self.zone = zone.map(str::to_string);
        self.standby_zone = standby_zone.map(str::to_string);
        self
    }

    /// Days of backups, 7-35.
    pub fn backup_retention_days(mut self, days: u32) -> Self {
        self.backup_retention_days = days;
        self
    }

    /// Copy backups to the paired region (default on).
    pub fn geo_redundant_backup(mut self, enabled: bool) -> Self {
        self.geo_redundant_backup = enabled;
        self
    }

    /// `lifecycle.prevent_destroy`: Terraform refuses to destroy the server.
    pub fn prevent_destroy(mut self, enabled: bool) -> Self {
        self.prevent_destroy = enabled;
        self
    }

    /// Adds a database.
    pub fn database(mut self, name: &str) -> Self {
        self.databases.push(name.to_string());
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        if !super::naming::is_server_name(&self.name) {
            stack.error(
                ln,
                "name",
                &format!("`{}` is not a valid PostgreSQL server name", self.name),
                "use 3-63 lowercase letters, digits and `-`, not starting or ending with `-`",
            );
        }
        // The version policy as data (`azure::versions`), judged on the
        // stack's support date.
        super::versions::AZURE_POSTGRES.check(stack, ln, "version", &self.version);
        if !SKUS.contains(&self.sku.as_str()) {
            stack.error(
                ln,
                "sku",
                &format!("`{}` is not a PostgreSQL flexible server SKU", self.sku),
                &format!("use one of: {}", SKUS.join(", ")),
            );
        } else if self.high_availability != PostgresHa::Disabled
            && PostgresTier::of(&self.sku) == Some(PostgresTier::Burstable)
        {
            stack.error(
                ln,
                "sku",
                &format!(
                    "`{}` is in the Burstable tier, which does not support high availability",
                    self.sku
                ),
                "use a GeneralPurpose (GP_Standard_D2ds_v5 or larger) or MemoryOptimized SKU, or disable high availability",
            );
        }
        if !(7..=35).contains(&self.backup_retention_days) {
            stack.error(
                ln,
                "backup_retention_days",
                &format!("{} days is outside 7-35", self.backup_retention_days),
                "Azure keeps PostgreSQL flexible server backups for 7 to 35 days",
            );
        }
        if self.high_availability == PostgresHa::ZoneRedundant
            && (self.zone.is_none()
                || self.standby_zone.is_none()
                || self.zone == self.standby_zone)
        {
            stack.error(
                ln,
                "high_availability",
                "zone-redundant high availability needs two different zones",
                "set zones(Some(\"1\"), Some(\"2\")) in a location with availability zones, or use SameZone",
            );
        }
        for database in &self.databases {
            let valid = !database.is_empty()
                && database.len() <= 63
                && database.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && database
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                stack.error(
                    ln,
                    "databases",
                    &format!("`{database}` is not a valid database name"),
                    "use letters, digits and `_`, starting with a letter, at most 63 characters",
                );
            }
        }
    }
}

impl Construct for PostgresServer {
    type Output = PostgresHandle;

    fn describe(&self) -> String {
        format!("azure::PostgresServer \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> PostgresHandle {
        self.validate(stack);
        let rg = &self.resource_group;
        let mut attributes = rg
            .attributes_for(self.name.as_str())
            .set("version", self.version.as_str())
            .set("sku_name", self.sku.as_str())
            .set("storage_mb", self.storage_mb)
            .set("auto_grow_enabled", true)
            .set("backup_retention_days", self.backup_retention_days)
            .set("geo_redundant_backup_enabled", self.geo_redundant_backup)
            .set("delegated_subnet_id", &self.subnet_id)
            .set("private_dns_zone_id", self.dns_zone.zone.id())
            .set("public_network_access_enabled", false)
            .set_opt("zone", self.zone.clone())
            .block(
                "authentication",
                map! {
                    "active_directory_auth_enabled" => true,
                    "password_auth_enabled" => false,
                    "tenant_id" => &self.admin.tenant_id,
                },
            )
            .block(
                "maintenance_window",
                map! { "day_of_week" => 0, "start_hour" => 3, "start_minute" => 0 },
            )
            // The server registers its A record in the zone only once the zone
            // resolves inside the network.
            .depends_on(self.dns_zone.link.address())
            .tagged();
        match self.high_availability {
            PostgresHa::Disabled => {}
            PostgresHa::SameZone => {
                attributes = attributes.block("high_availability", map! { "mode" => "SameZone" });
            }
            PostgresHa::ZoneRedundant => {
                let mut ha = map! { "mode" => "ZoneRedundant" };
                if let Some(zone) = &self.standby_zone {
                    ha.insert("standby_availability_zone", zone.as_str());
                }
                attributes = attributes.block("high_availability", ha);
            }
        }
        let mut lifecycle = Value::map();
        if self.prevent_destroy {
            lifecycle.insert("prevent_destroy", true);
        }
        if self.high_availability == PostgresHa::ZoneRedundant {
            // After a failover Azure swaps the primary and standby zones;
            // Terraform must not try to swap them back.
            lifecycle.insert(
                "ignore_changes",
                vec!["zone", "high_availability[0].standby_availability_zone"],
            );
        }
        if lifecycle.as_map().is_some_and(|m| !m.is_empty()) {
            attributes = attributes.set("lifecycle", lifecycle);
        }
        let server =
            stack.resource::<kind::PostgresqlFlexibleServer>(&self.logical_name, attributes);
        let administrator = stack.resource::<kind::PostgresqlFlexibleServerAdministrator>(
            &self.logical_name,
            Attributes::new()
                .set("server_name", server.name())
                .set("resource_group_name", &rg.name)
                .set("tenant_id", &self.admin.tenant_id)
                .set("object_id", self.admin.object_id.clone())
                .set("principal_name", self.admin.principal_name.clone())
                .set("principal_type", "Group"),
        );
        let databases = self
            .databases
            .iter()
            .map(|database| {
                let db = stack.resource::<kind::PostgresqlFlexibleServerDatabase>(
                    &format!("{}_{database}", self.logical_name),
                    Attributes::new()
                        .set("name", database.as_str())
                        .set("server_id", server.id())
                        .set("charset", "UTF8")
                        .set("collation", "en_US.utf8"),
                );
                (database.clone(), db)
            })
            .collect();
        PostgresHandle {
            server,
            databases,
            administrator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::{ClientConfig, Network, PrivateDnsZone, ResourceGroup};

    fn server(stack: &mut Stack) -> PostgresServer {
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let net = stack.add(Network::standard("main", "p", &rg, "10.0.0.0/16"));
        let zone = stack.add(PrivateDnsZone::new(
            "postgres",
            "privatelink.postgres.database.azure.com",
            &rg,
            net.vnet_id(),
        ));
        let client = stack.add(ClientConfig);
        let subnet = net
            .postgres
            .clone()
            .map(|s| s.id())
            .expect("postgres subnet");
        PostgresServer::new(PostgresServerProps {
            logical_name: "db",
            name: "p-db-abc123",
            resource_group: &rg,
            delegated_subnet_id: subnet,
            dns_zone: &zone,
            administrator: EntraAdmin {
                tenant_id: client.tenant_id(),
                object_id: Value::from("00000000-0000-0000-0000-000000000000"),
                principal_name: Value::from("db-admins"),
            },
        })
    }

    #[test]
    fn defaults_are_private_and_passwordless() {
        let mut stack = Stack::new("t");
        let builder = server(&mut stack).database("app");
        stack.add(builder);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"public_network_access_enabled\": false"));
        assert!(json.contains("\"password_auth_enabled\": false"));
        assert!(!json.contains("administrator_password"));
        assert!(json.contains("\"geo_redundant_backup_enabled\": true"));
    }

    #[test]
    fn burstable_sku_with_ha_is_an_error_naming_the_sku_field() {
        let mut stack = Stack::new("t");
        let builder = server(&mut stack)
            .sku("B_Standard_B1ms")
            .high_availability(PostgresHa::SameZone);
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `sku`"), "{text}");
        assert!(text.contains("Burstable tier"), "{text}");
        assert!(text.contains("GP_Standard_D2ds_v5"), "{text}");
    }

    #[test]
    fn unknown_sku_and_retention_are_collected() {
        let mut stack = Stack::new("t");
        let builder = server(&mut stack)
            .sku("Standard_D2s_v3")
            .backup_retention_days(3);
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("not a PostgreSQL flexible server SKU"),
            "{text}"
        );
        assert!(text.contains("field `backup_retention_days`"), "{text}");
    }

    #[test]
    fn storage_rounds_up_to_an_offered_size() {
        assert_eq!(storage_mb_for(20), 32768);
        assert_eq!(storage_mb_for(50), 65536);
        assert_eq!(storage_mb_for(100), 131072);
    }
}

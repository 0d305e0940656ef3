//! Cloud SQL for PostgreSQL: private IP only, TLS with client certificates
//! required (apps connect through the Cloud SQL Auth Proxy), backups with
//! point-in-time recovery, the logging flags CIS and checkov expect, IAM database
//! authentication instead of passwords, and optional CMEK.

use std::collections::BTreeMap;

use super::kind;
use crate::core::block::Attributes;
use crate::core::diagnostics::InvalidValue;
use crate::core::reference::{Address, Attr, Id, Name, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;
use crate::Value;

/// Database flags set on every instance: connection, lock, checkpoint and DDL
/// logging (checkov CKV_GCP_51..57, 108..111, CKV2_GCP_13; CIS GCP 6.2), pgAudit, and IAM
/// database authentication.
pub const DATABASE_FLAGS: [(&str, &str); 15] = [
    ("cloudsql.enable_pgaudit", "on"),
    ("cloudsql.iam_authentication", "on"),
    ("log_checkpoints", "on"),
    ("log_connections", "on"),
    ("log_disconnections", "on"),
    ("log_duration", "on"),
    ("log_error_verbosity", "default"),
    ("log_hostname", "on"),
    ("log_lock_waits", "on"),
    ("log_min_duration_statement", "-1"),
    ("log_min_error_statement", "error"),
    ("log_min_messages", "warning"),
    ("log_statement", "ddl"),
    ("log_temp_files", "0"),
    ("pgaudit.log", "ddl,role"),
];

/// Checks that `tier` is a machine tier Cloud SQL offers for PostgreSQL
/// (Enterprise edition): `db-f1-micro`, `db-g1-small`, or `db-custom-<vCPU>-<MiB>`
/// with 1 or an even number of vCPUs up to 96 and 0.9-6.5 GiB per vCPU in
/// multiples of 256 MiB.
///
/// ```
/// use infrasynth::gcp::postgres::check_tier;
/// assert!(check_tier("db-custom-4-16384").is_ok());
/// assert!(check_tier("db-n1-standard-2").is_err());
/// ```
///
/// # Errors
///
/// [`InvalidValue`] saying why the tier is not one and which are.
pub fn check_tier(tier: &str) -> Result<(), InvalidValue> {
    const HINT: &str =
        "use db-f1-micro, db-g1-small or db-custom-<vCPU>-<MiB> (for example db-custom-2-8192)";
    if tier == "db-f1-micro" || tier == "db-g1-small" {
        return Ok(());
    }
    if tier.starts_with("db-n1-") || tier.starts_with("db-n2-") {
        return Err(InvalidValue::new(format!(
            "`{tier}` is a predefined tier Cloud SQL offers for MySQL and SQL Server, not PostgreSQL; {HINT}"
        )));
    }
    if tier.starts_with("db-perf-optimized-") {
        return Err(InvalidValue::new(format!(
            "`{tier}` is an Enterprise Plus tier and instances here use the Enterprise edition; {HINT}"
        )));
    }
    let Some(rest) = tier.strip_prefix("db-custom-") else {
        return Err(InvalidValue::new(format!(
            "`{tier}` is not a Cloud SQL tier; {HINT}"
        )));
    };
    let parsed = rest
        .split_once('-')
        .and_then(|(cpu, mem)| Some((cpu.parse::<u32>().ok()?, mem.parse::<u32>().ok()?)));
    let Some((cpus, mib)) = parsed else {
        return Err(InvalidValue::new(format!(
            "`{tier}` is not of the form db-custom-<vCPU>-<MiB>; {HINT}"
        )));
    };
    if !(cpus == 1 || (cpus % 2 == 0 && (2..=96).contains(&cpus))) {
        return Err(InvalidValue::new(format!(
            "`{tier}` has {cpus} vCPUs; custom tiers have 1 or an even number from 2 to 96 vCPUs"
        )));
    }
    let low = (cpus * 1024 * 9).div_ceil(10).max(3840);
    let high = cpus * 1024 * 13 / 2;
    if mib % 256 != 0 || mib < low || mib > high {
        return Err(InvalidValue::new(format!(
            "`{tier}` has {mib} MiB; with {cpus} vCPU(s) memory must be a multiple of 256 MiB from {low} to {high}"
        )));
    }
    Ok(())
}

/// What [`Postgres`] created.
#[derive(Clone, Debug)]
pub struct PostgresHandles {
    /// The instance.
    pub instance: Ref<kind::SqlInstance>,
    /// The databases by name.
    pub databases: BTreeMap<String, Ref<kind::SqlDatabase>>,
    /// The IAM database users, by the label they were added with.
    pub users: BTreeMap<String, Ref<kind::SqlUser>>,
}

/// The required inputs of a Cloud SQL [`Postgres`] instance, named as in
/// `google_sql_database_instance`.
#[derive(Clone, Debug)]
pub struct PostgresProps<'a> {
    /// The Terraform name of the instance
    /// (`google_sql_database_instance.<logical_name>`) and the prefix of the
    /// databases and users it adds.
    pub logical_name: &'a str,
    /// The instance name in Cloud SQL (`name`): 1-98 lowercase letters, digits
    /// and `-`, starting with a letter, not ending with `-`; not reusable for
    /// a week after deletion.
    pub name: &'a str,
    /// The region (`region`), such as `us-central1`; the network's region.
    pub region: &'a str,
    /// The VPC network the private IP is in
    /// (`settings.ip_configuration.private_network`), from
    /// [`Network`](crate::gcp::Network)'s handle.
    pub private_network: Attr<Id<kind::Network>>,
    /// The private services access range the private IP is taken from
    /// (`settings.ip_configuration.allocated_ip_range`): the name of the
    /// range [`PrivateServiceAccess`](crate::gcp::PrivateServiceAccess)
    /// reserves in `private_network`.
    pub allocated_ip_range: Attr<Name<kind::GlobalAddress>>,
}

/// A Cloud SQL for PostgreSQL instance reachable only over private services
/// access.
///
/// Secure defaults: no public IP, TLS required, regional (HA), deletion
/// protection, 7 days of backups with point-in-time recovery, IAM authentication.
///
/// ```
/// use infrasynth::gcp::{kind, Postgres, PostgresProps};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let network = stack.resource::<kind::Network>("main", Attributes::new());
/// let range = stack.resource::<kind::GlobalAddress>("psa", Attributes::new());
/// let db = stack.add(
///     Postgres::new(PostgresProps {
///         logical_name: "main",
///         name: "demo-db",
///         region: "us-central1",
///         private_network: network.id(),
///         allocated_ip_range: range.name(),
///     })
///     .tier("db-custom-2-8192")
///     .database("app"),
/// );
/// assert!(db.databases.contains_key("app"));
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct Postgres {
    logical: String,
    name: String,
    region: String,
    network: Attr<Id<kind::Network>>,
    allocated_range: Attr<Name<kind::GlobalAddress>>,
    version: String,
    tier: String,
    high_availability: bool,
    zones: Option<(String, Option<String>)>,
    storage_gb: u32,
    max_storage_gb: u32,
    backup_retention_days: u32,
    deletion_protection: bool,
    client_certificates: bool,
    encryption_key: Option<Attr<Id<kind::CryptoKey>>>,
    databases: Vec<String>,
    iam_users: Vec<(String, Attr<String>)>,
    depends_on: Vec<Address>,
}

impl Postgres {
    /// A PostgreSQL 16 instance with only a private IP: `db-custom-2-8192`,
    /// regional (HA), 20 GiB growing to 100 GiB, 7 days of backups with
    /// point-in-time recovery, deletion protection, TLS with client
    /// certificates, IAM authentication.
    pub fn new(props: PostgresProps<'_>) -> Self {
        Postgres {
            logical: props.logical_name.to_string(),
            name: props.name.to_string(),
            region: props.region.to_string(),
            network: props.private_network,
            allocated_range: props.allocated_ip_range,
            version: "16".to_string(),
            tier: "db-custom-2-8192".to_string(),
            high_availability: true,
            zones: None,
            storage_gb: 20,
            max_storage_gb: 100,
            backup_retention_days: 7,
            deletion_protection: true,
            client_certificates: true,
            encryption_key: None,
            databases: Vec::new(),
            iam_users: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// PostgreSQL major version (default `16`).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// Machine tier (default `db-custom-2-8192`); see [`check_tier`].
    pub fn tier(mut self, tier: &str) -> Self {
        self.tier = tier.to_string();
        self
    }

    /// A standby in another zone with automatic failover (`REGIONAL`; default on).
    pub fn high_availability(mut self, on: bool) -> Self {
        self.high_availability = on;
        self
    }

    /// The primary zone and, for HA, the standby's zone.
    pub fn zones(mut self, primary: &str, secondary: Option<&str>) -> Self {
        self.zones = Some((primary.to_string(), secondary.map(str::to_string)));
        self
    }

    /// Initial disk size and the autoresize ceiling, in GiB.
    pub fn storage(mut self, gb: u32, max_gb: u32) -> Self {
        self.storage_gb = gb;
        self.max_storage_gb = max_gb;
        self
    }

    /// Automated backups kept (one a day; default 7).
    pub fn backup_retention_days(mut self, days: u32) -> Self {
        self.backup_retention_days = days;
        self
    }

    /// Refuse deletion, in Terraform and in the Cloud SQL API (default on).
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.deletion_protection = on;
        self
    }

    /// Require trusted client certificates on every connection (default on:
    /// `TRUSTED_CLIENT_CERTIFICATE_REQUIRED`, which the Cloud SQL Auth Proxy and
    /// connectors satisfy); off still requires TLS (`ENCRYPTED_ONLY`).
    pub fn require_client_certificates(mut self, on: bool) -> Self {
        self.client_certificates = on;
        self
    }

    /// Encrypts with a customer-managed key (granted to the Cloud SQL agent).
    pub fn encryption_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// Adds a database.
    pub fn database(mut self, name: &str) -> Self {
        self.databases.push(name.to_string());
        self
    }

    /// Adds an IAM service account database user (`<account>@<project>.iam`);
    /// `label` names its Terraform block.
    pub fn iam_user(mut self, label: &str, user_name: Attr<String>) -> Self {
        self.iam_users.push((label.to_string(), user_name));
        self
    }

    /// Waits for `address` (the service networking connection, a key grant).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    fn validate(&self, stack: &mut Stack, resource: &str) {
        if !super::names::is_resource_name(&self.name, 98) {
            stack.error(
                resource,
                "name",
                &format!("`{}` is not a valid Cloud SQL instance name", self.name),
                "use lowercase letters, digits and `-`, starting with a letter, at most 98 characters",
            );
        }
        // Which majors Cloud SQL offers, and until when, is data
        // (`gcp::versions`), judged on the stack's support date.
        super::versions::CLOUD_SQL_POSTGRES.check(
            stack,
            resource,
            "database_version",
            &self.version,
        );
        if let Err(message) = check_tier(&self.tier) {
            stack.error(
                resource,
                "settings.tier",
                &message.message,
                "see https://cloud.google.com/sql/docs/postgres/instance-settings",
            );
        }
        if let Err(message) = super::region::Region::parse(&self.region) {
            stack.error(
                resource,
                "region",
                &message.message,
                "use the region of the network",
            );
        }
        if let Some((primary, secondary)) = &self.zones {
            for (field, zone) in [
                ("settings.location_preference.zone", Some(primary)),
                (
                    "settings.location_preference.secondary_zone",
                    secondary.as_ref(),
                ),
            ] {
                if let Some(zone) = zone {
                    super::region::check_instance_zone(stack, resource, field, zone, &self.region);
                }
            }
            if secondary.as_deref() == Some(primary.as_str()) {
                stack.error(
                    resource,
                    "settings.location_preference.secondary_zone",
                    "the standby's zone is the primary's zone",
                    "put the standby in another zone of the region",
                );
            }
        }
        if self.storage_gb < 10 || self.max_storage_gb < self.storage_gb {
            stack.error(
                resource,
                "settings.disk_size",
                &format!(
                    "disk {} GiB with ceiling {} GiB",
                    self.storage_gb, self.max_storage_gb
                ),
                "use at least 10 GiB and a ceiling at or above the initial size",
            );
        }
        if !(1..=365).contains(&self.backup_retention_days) {
            stack.error(
                resource,
                "settings.backup_configuration.backup_retention_settings.retained_backups",
                &format!(
                    "{} retained backups is outside 1-365",
                    self.backup_retention_days
                ),
                "keep 1 to 365 daily backups (7 or more in production)",
            );
        }
    }
}

impl Construct for Postgres {
    type Output = PostgresHandles;

    fn describe(&self) -> String {
        format!("gcp::Postgres \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> PostgresHandles {
        let resource = format!("{}.{}", kind::SqlInstance::TYPE, self.logical);
        self.validate(stack, &resource);
        let flags: Vec<Value> = DATABASE_FLAGS
            .iter()
            .map(|(name, value)| map! { "name" => *name, "value" => *value })
            .collect();
        let user_labels = super::names::default_labels(stack);
        let mut location = map! {};
        if let Some((primary, secondary)) = &self.zones {
            location.insert("zone", primary.as_str());
            if self.high_availability {
                if let Some(secondary) = secondary {
                    location.insert("secondary_zone", secondary.as_str());
                }
            }
        }
        let mut settings = map! {
            // Custom tiers exist only in the Enterprise edition (PostgreSQL 16+
            // would default to Enterprise Plus).
            "edition" => "ENTERPRISE",
            "tier" => self.tier.as_str(),
            "availability_type" => if self.high_availability { "REGIONAL" } else { "ZONAL" },
            "disk_type" => "PD_SSD",
            "disk_size" => self.storage_gb,
            "disk_autoresize" => true,
            "disk_autoresize_limit" => self.max_storage_gb,
            "deletion_protection_enabled" => self.deletion_protection,
            "retain_backups_on_delete" => self.deletion_protection,
            "user_labels" => Value::from(user_labels),
            "backup_configuration" => vec![map! {
                "enabled" => true,
                "point_in_time_recovery_enabled" => true,
                "start_time" => "02:00",
                "transaction_log_retention_days" => self.backup_retention_days.clamp(1, 7),
                "backup_retention_settings" => vec![map! {
                    "retained_backups" => self.backup_retention_days,
                    "retention_unit" => "COUNT",
                }],
            }],
            "ip_configuration" => vec![map! {
                "ipv4_enabled" => false,
                "private_network" => &self.network,
                "allocated_ip_range" => &self.allocated_range,
                "ssl_mode" => if self.client_certificates {
                    "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
                } else {
                    "ENCRYPTED_ONLY"
                },
            }],
            "database_flags" => flags,
            "insights_config" => vec![map! {
                "query_insights_enabled" => true,
                "record_application_tags" => false,
                "record_client_address" => false,
            }],
            "maintenance_window" => vec![map! { "day" => 7, "hour" => 3, "update_track" => "stable" }],
        };
        if location.as_map().is_some_and(|m| !m.is_empty()) {
            settings.insert("location_preference", vec![location]);
        }
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("region", self.region.as_str())
            .set(
                "database_version",
                format!("POSTGRES_{}", self.version.replace('.', "_")),
            )
            .set("deletion_protection", self.deletion_protection)
            .set_opt("encryption_key_name", self.encryption_key.as_ref())
            .block("settings", settings);
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        let instance = stack.resource::<kind::SqlInstance>(&self.logical, attributes);
        let databases = self
            .databases
            .iter()
            .map(|db| {
                let database = stack.resource::<kind::SqlDatabase>(
                    db,
                    Attributes::new()
                        .set("name", db.as_str())
                        .set("instance", instance.name()),
                );
                (db.clone(), database)
            })
            .collect();
        let users = self
            .iam_users
            .into_iter()
            .map(|(label, user_name)| {
                let user = stack.resource::<kind::SqlUser>(
                    &label,
                    Attributes::new()
                        .set("name", user_name)
                        .set("instance", instance.name())
                        .set("type", "CLOUD_IAM_SERVICE_ACCOUNT"),
                );
                (label, user)
            })
            .collect();
        PostgresHandles {
            instance,
            databases,
            users,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(stack: &mut Stack) -> Postgres {
        let network = stack.resource::<kind::Network>("main", Attributes::new());
        let range = stack.resource::<kind::GlobalAddress>("psa", Attributes::new());
        Postgres::new(PostgresProps {
            logical_name: "main",
            name: "demo-db",
            region: "us-central1",
            private_network: network.id(),
            allocated_ip_range: range.name(),
        })
    }

    #[test]
    fn defaults_are_private_encrypted_in_transit_and_backed_up() {
        let mut stack = Stack::new("t");
        let db = base(&mut stack);
        let handles = stack.add(db);
        let block = stack.block(handles.instance.address()).unwrap();
        let get = |path: &str| block.get(path).cloned();
        assert_eq!(
            get("settings.ip_configuration.ipv4_enabled"),
            Some(false.into())
        );
        assert_eq!(
            get("settings.ip_configuration.ssl_mode"),
            Some("TRUSTED_CLIENT_CERTIFICATE_REQUIRED".into())
        );
        assert_eq!(get("settings.availability_type"), Some("REGIONAL".into()));
        assert_eq!(
            get("settings.backup_configuration.point_in_time_recovery_enabled"),
            Some(true.into())
        );
        assert_eq!(get("deletion_protection"), Some(true.into()));
        assert_eq!(get("database_version"), Some("POSTGRES_16".into()));
        let flags = get("settings.database_flags").unwrap();
        for flag in [
            "log_checkpoints",
            "log_connections",
            "log_disconnections",
            "log_lock_waits",
            "log_min_duration_statement",
        ] {
            assert!(
                flags
                    .as_list()
                    .unwrap()
                    .iter()
                    .any(|f| f.get_path("name").and_then(Value::as_str) == Some(flag)),
                "{flag}"
            );
        }
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn tiers_not_offered_for_postgres_are_errors() {
        for (tier, says) in [
            ("db-n1-standard-2", "MySQL and SQL Server"),
            ("db-custom-3-12288", "even number"),
            ("db-custom-2-1024", "multiple of 256 MiB from 3840 to 13312"),
            ("db-custom-2-8000", "multiple of 256"),
            ("db-perf-optimized-N-2", "Enterprise Plus"),
            ("n2-standard-2", "not a Cloud SQL tier"),
        ] {
            let mut stack = Stack::new("t");
            let db = base(&mut stack).tier(tier);
            stack.add(db);
            let text = stack.diagnostics().to_string();
            assert!(text.contains("field `settings.tier`"), "{tier}: {text}");
            assert!(text.contains(says), "{tier}: {text}");
        }
    }

    #[test]
    fn bad_versions_and_zones_are_errors() {
        let mut stack = Stack::new("t");
        let db = base(&mut stack)
            .version("8")
            .zones("us-east1-b", Some("us-central1-q"));
        stack.add(db);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `database_version`") && text.contains("16"),
            "{text}"
        );
        assert!(
            text.contains("not in the instance's region us-central1"),
            "{text}"
        );
        assert!(text.contains("us-central1-a"), "{text}");
    }
}

//! PostgreSQL on RDS with secure defaults: encrypted gp3 storage with a
//! customer key, the master password generated and kept in Secrets Manager by
//! RDS (never in Terraform state or output), TLS forced, private only, and in
//! production Multi-AZ, deletion protection, 7+ days of backups, Performance
//! Insights and enhanced monitoring.

use super::iam::{service_trust, IamRole, NameTag};
use super::kind;
use super::security_group::{SecurityGroup, SecurityGroupHandle};
use crate::core::block::Attributes;
use crate::core::environment::Environment;
use crate::core::reference::{Arn, Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// Instance classes RDS offers for PostgreSQL (the current generations).
pub const POSTGRES_INSTANCE_CLASSES: &[&str] = &[
    "db.t3.micro",
    "db.t3.small",
    "db.t3.medium",
    "db.t3.large",
    "db.t3.xlarge",
    "db.t3.2xlarge",
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
    "db.t4g.large",
    "db.t4g.xlarge",
    "db.t4g.2xlarge",
    "db.m5.large",
    "db.m5.xlarge",
    "db.m5.2xlarge",
    "db.m5.4xlarge",
    "db.m5.8xlarge",
    "db.m5.12xlarge",
    "db.m5.16xlarge",
    "db.m5.24xlarge",
    "db.m6g.large",
    "db.m6g.xlarge",
    "db.m6g.2xlarge",
    "db.m6g.4xlarge",
    "db.m6g.8xlarge",
    "db.m6g.12xlarge",
    "db.m6g.16xlarge",
    "db.m6i.large",
    "db.m6i.xlarge",
    "db.m6i.2xlarge",
    "db.m6i.4xlarge",
    "db.m6i.8xlarge",
    "db.m6i.12xlarge",
    "db.m6i.16xlarge",
    "db.m6i.24xlarge",
    "db.m6i.32xlarge",
    "db.m7g.large",
    "db.m7g.xlarge",
    "db.m7g.2xlarge",
    "db.m7g.4xlarge",
    "db.m7g.8xlarge",
    "db.m7g.12xlarge",
    "db.m7g.16xlarge",
    "db.r5.large",
    "db.r5.xlarge",
    "db.r5.2xlarge",
    "db.r5.4xlarge",
    "db.r5.8xlarge",
    "db.r5.12xlarge",
    "db.r5.16xlarge",
    "db.r5.24xlarge",
    "db.r6g.large",
    "db.r6g.xlarge",
    "db.r6g.2xlarge",
    "db.r6g.4xlarge",
    "db.r6g.8xlarge",
    "db.r6g.12xlarge",
    "db.r6g.16xlarge",
    "db.r6i.large",
    "db.r6i.xlarge",
    "db.r6i.2xlarge",
    "db.r6i.4xlarge",
    "db.r6i.8xlarge",
    "db.r6i.12xlarge",
    "db.r6i.16xlarge",
    "db.r6i.24xlarge",
    "db.r6i.32xlarge",
    "db.r7g.large",
    "db.r7g.xlarge",
    "db.r7g.2xlarge",
    "db.r7g.4xlarge",
    "db.r7g.8xlarge",
    "db.r7g.12xlarge",
    "db.r7g.16xlarge",
];

/// Where the database lives and who may connect.
#[derive(Clone, Debug)]
pub struct DatabaseNetwork {
    /// The VPC.
    pub vpc_id: Attr<Id<kind::Vpc>>,
    /// Subnets for the subnet group (the database tier, one per zone).
    pub subnet_ids: Vec<Attr<Id<kind::Subnet>>>,
    /// Security groups whose members may connect.
    pub clients: Vec<Attr<Id<kind::SecurityGroup>>>,
}

/// The required inputs of a [`Postgres`] instance, named as in
/// `aws_db_instance`.
#[derive(Clone, Debug)]
pub struct PostgresProps<'a> {
    /// The Terraform name of the instance (`aws_db_instance.<logical_name>`)
    /// and of the blocks it adds (subnet, parameter and security groups).
    pub logical_name: &'a str,
    /// The instance name in RDS (`identifier`): 1-63 letters, digits and
    /// hyphens, starting with a letter, no `--`, no trailing `-`; unique per
    /// account and region. Also names the subnet, parameter and security
    /// groups it adds.
    pub identifier: &'a str,
    /// The PostgreSQL version (`engine_version`): a major version RDS
    /// supports ([`crate::aws::versions::RDS_POSTGRES`]), such as `16`. A
    /// major alone takes RDS's default minor and its automatic minor
    /// upgrades; a minor pin (`16.4`) needs
    /// [`Postgres::auto_minor_version_upgrade`] off, since RDS would
    /// otherwise move past it and the next plan would ask for a downgrade.
    pub engine_version: &'a str,
    /// The instance class (`instance_class`), such as `db.t4g.medium`; one of
    /// [`POSTGRES_INSTANCE_CLASSES`].
    pub instance_class: &'a str,
    /// Where the instance lives (the database subnets of a VPC) and which
    /// security groups may connect.
    pub network: DatabaseNetwork,
    /// The key encrypting storage, Performance Insights and the master user
    /// secret: its ARN, as `kms_key_id` takes it (from
    /// [`KmsKeyHandle::arn`](crate::aws::KmsKeyHandle::arn)).
    pub kms_key_arn: Attr<Arn<kind::KmsKey>>,
}

/// A PostgreSQL instance.
///
/// ```
/// use infrasynth::aws::{DatabaseNetwork, KmsKey, Postgres, PostgresProps, Vpc};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add(Vpc::new("main", "demo", "10.0.0.0/16", "us-east-1"));
/// let key = stack.add(KmsKey::new("db", "demo-db"));
/// let db = stack.add(Postgres::new(PostgresProps {
///     logical_name: "main",
///     identifier: "demo-db",
///     engine_version: "16",
///     instance_class: "db.t4g.medium",
///     network: DatabaseNetwork {
///         vpc_id: vpc.id(),
///         subnet_ids: vpc.database_subnet_ids(),
///         clients: vec![],
///     },
///     kms_key_arn: key.arn(),
/// }));
/// ```
pub struct Postgres {
    logical: String,
    identifier: String,
    engine_version: String,
    instance_class: String,
    network: DatabaseNetwork,
    kms_key_arn: Attr<Arn<kind::KmsKey>>,
    allocated_storage_gb: u32,
    max_allocated_storage_gb: u32,
    db_name: Option<String>,
    username: String,
    multi_az: Option<bool>,
    deletion_protection: Option<bool>,
    backup_retention_days: Option<u32>,
    performance_insights: Option<bool>,
    monitoring_interval: Option<u32>,
    auto_minor_version_upgrade: bool,
    apply_immediately: Option<bool>,
}

/// What [`Postgres`] created.
#[derive(Clone, Debug)]
pub struct PostgresHandle {
    /// The instance.
    pub instance: Ref<kind::DbInstance>,
    /// The group guarding it.
    pub security_group: SecurityGroupHandle,
    /// Its subnet group.
    pub subnet_group: Ref<kind::DbSubnetGroup>,
    /// Its parameter group.
    pub parameter_group: Ref<kind::DbParameterGroup>,
    /// The enhanced monitoring role, when monitoring is on.
    pub monitoring_role: Option<Ref<kind::IamRole>>,
}

impl PostgresHandle {
    /// Host name to connect to.
    pub fn address(&self) -> Attr<String> {
        self.instance.attr("address")
    }

    /// Port.
    pub fn port(&self) -> Attr<u16> {
        self.instance.attr("port")
    }

    /// The Secrets Manager secret holding the master credentials.
    pub fn master_user_secret_arn(&self) -> Attr<String> {
        self.instance.attr("master_user_secret[0].secret_arn")
    }
}

impl Postgres {
    /// An instance with 20 GiB of gp3 storage growing to 100 GiB, the master
    /// user `dbadmin` whose password RDS keeps in Secrets Manager, and the
    /// production protections where the stack's environment is production.
    pub fn new(props: PostgresProps<'_>) -> Self {
        Postgres {
            logical: props.logical_name.to_string(),
            identifier: props.identifier.to_string(),
            engine_version: props.engine_version.to_string(),
            instance_class: props.instance_class.to_string(),
            network: props.network,
            kms_key_arn: props.kms_key_arn,
            allocated_storage_gb: 20,
            max_allocated_storage_gb: 100,
            db_name: None,
            username: "dbadmin".to_string(),
            multi_az: None,
            deletion_protection: None,
            backup_retention_days: None,
            performance_insights: None,
            monitoring_interval: None,
            auto_minor_version_upgrade: true,
            apply_immediately: None,
        }
    }

    /// RDS applies minor versions itself in the maintenance window (default
    /// on). Turn it off only to pin a minor in `engine_version` (`16.4`).
    pub fn auto_minor_version_upgrade(mut self, on: bool) -> Self {
        self.auto_minor_version_upgrade = on;
        self
    }

    /// Apply modifications (a new major version, an instance class) at once
    /// rather than in the next maintenance window. Default: on outside
    /// production, off in production, where a major upgrade then waits for
    /// the Sunday window (see `docs/operations.md`, Upgrades).
    pub fn apply_immediately(mut self, on: bool) -> Self {
        self.apply_immediately = Some(on);
        self
    }

    /// Initial and maximum (autoscaling) storage in GiB (default 20 / 100).
    pub fn storage_gb(mut self, initial: u32, max: u32) -> Self {
        self.allocated_storage_gb = initial;
        self.max_allocated_storage_gb = max;
        self
    }

    /// The database created with the instance (RDS creates only one).
    pub fn db_name(mut self, name: &str) -> Self {
        self.db_name = Some(name.to_string());
        self
    }

    /// The master user name (default `dbadmin`; its password is generated by RDS).
    pub fn username(mut self, name: &str) -> Self {
        self.username = name.to_string();
        self
    }

    /// A synchronous standby in another zone (default: on in production).
    pub fn multi_az(mut self, on: bool) -> Self {
        self.multi_az = Some(on);
        self
    }

    /// Refuse deletion (default: on in production).
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.deletion_protection = Some(on);
        self
    }

    /// Days of automated backups (default 7, 1 in dev).
    pub fn backup_retention_days(mut self, days: u32) -> Self {
        self.backup_retention_days = Some(days);
        self
    }

    /// Performance Insights, encrypted with the instance's key, 7 days (the
    /// free retention). Default on wherever the class supports it (not the
    /// `micro` and `small` burstable classes).
    pub fn performance_insights(mut self, on: bool) -> Self {
        self.performance_insights = Some(on);
        self
    }

    /// Enhanced monitoring interval in seconds, 0 for off (default 60 outside dev).
    pub fn monitoring_interval(mut self, seconds: u32) -> Self {
        self.monitoring_interval = Some(seconds);
        self
    }
}

/// Whether `id` follows the RDS identifier rules: 1-63 letters, digits and
/// hyphens, starting with a letter, no `--`, not ending with `-`.
pub fn is_valid_rds_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && !id.ends_with('-')
        && !id.contains("--")
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl Construct for Postgres {
    type Output = PostgresHandle;

    fn describe(&self) -> String {
        format!("aws::Postgres \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> PostgresHandle {
        let env = stack.environment().unwrap_or(Environment::PRODUCTION);
        let production = env.is_production();
        let dev = env.is_development();
        let address = format!("aws_db_instance.{}", self.logical);
        let l = &self.logical;
        let id = self.identifier.to_ascii_lowercase();

        if !is_valid_rds_identifier(&self.identifier) {
            stack.error(
                &address,
                "identifier",
                &format!("`{}` is not a valid RDS identifier", self.identifier),
                "use 1-63 letters, digits and hyphens, starting with a letter, without `--` or a trailing `-`",
            );
        }
        if !POSTGRES_INSTANCE_CLASSES.contains(&self.instance_class.as_str()) {
            stack.error(
                &address,
                "instance_class",
                &format!(
                    "`{}` is not an RDS instance class for postgres",
                    self.instance_class
                ),
                &format!("use one of: {}", POSTGRES_INSTANCE_CLASSES.join(", ")),
            );
        }
        let mut parts = self.engine_version.split('.');
        let major = parts.next().and_then(|m| m.parse::<u32>().ok());
        let minor_ok =
            parts.next().is_none_or(|m| m.parse::<u32>().is_ok()) && parts.next().is_none();
        let pins_minor = self.engine_version.contains('.');
        let major = major.filter(|_| minor_ok);
        // The provider keeps a configured `16` while RDS reports 16.6 (a
        // prefix of the actual version, engine_version.go
        // compareActualEngineVersion), but a pinned `16.4` is replaced in
        // state by the 16.6 automatic minor upgrades install, so the next
        // plan asks for `16.6 -> 16.4`, a downgrade RDS refuses.
        if major.is_some() && pins_minor && self.auto_minor_version_upgrade {
            stack.error(
                &address,
                "engine_version",
                &format!(
                    "`{}` pins a minor version while auto_minor_version_upgrade is on: once RDS upgrades the minor, the next plan asks for a downgrade",
                    self.engine_version
                ),
                &format!(
                    "write the major only (`{}`), which follows RDS's minor upgrades, or turn auto_minor_version_upgrade off to keep the pin",
                    major.unwrap_or_default()
                ),
            );
        }
        match major {
            // Which majors RDS still supports, and until when, is data
            // (`aws::versions`), judged on the stack's support date.
            Some(major) => super::versions::RDS_POSTGRES.check(
                stack,
                &address,
                "engine_version",
                &major.to_string(),
            ),
            None => stack.error(
                &address,
                "engine_version",
                &format!("`{}` is not a PostgreSQL version", self.engine_version),
                "use a major version such as `16` (a minor pin such as `16.4` needs auto_minor_version_upgrade off)",
            ),
        }
        if !(20..=65536).contains(&self.allocated_storage_gb)
            || self.max_allocated_storage_gb < self.allocated_storage_gb
        {
            stack.error(
                &address,
                "allocated_storage",
                &format!(
                    "storage {} GiB (max {} GiB) is not valid for gp3",
                    self.allocated_storage_gb, self.max_allocated_storage_gb
                ),
                "use 20-65536 GiB, with max_allocated_storage at least as large",
            );
        }
        let multi_az = self.multi_az.unwrap_or(production);
        let deletion_protection = self.deletion_protection.unwrap_or(production);
        let backups = self
            .backup_retention_days
            .unwrap_or(if dev { 1 } else { 7 });
        let insights_supported =
            !(self.instance_class.ends_with(".micro") || self.instance_class.ends_with(".small"));
        let insights = self.performance_insights.unwrap_or(insights_supported);
        if insights && !insights_supported {
            stack.error(
                &address,
                "performance_insights_enabled",
                &format!(
                    "{} does not support Performance Insights",
                    self.instance_class
                ),
                "use db.t4g.medium or larger, or turn Performance Insights off",
            );
        }
        let monitoring = self.monitoring_interval.unwrap_or(if dev { 0 } else { 60 });
        if production {
            for (on, field, fix) in [
                (multi_az, "multi_az", "keep multi_az on in production"),
                (
                    deletion_protection,
                    "deletion_protection",
                    "keep deletion_protection on in production",
                ),
                (
                    backups >= 7,
                    "backup_retention_period",
                    "keep at least 7 days of backups in production",
                ),
            ] {
                if !on {
                    stack.error(
                        &address,
                        field,
                        &format!("{field} is off for a production database"),
                        fix,
                    );
                }
            }
        }
        if !(if production { 7..=35 } else { 1..=35 }).contains(&backups) {
            stack.error(
                &address,
                "backup_retention_period",
                &format!("{backups} days of backups is outside 1-35"),
                "keep 1-35 days of backups (7 or more in production)",
            );
        }
        if ![0, 1, 5, 10, 15, 30, 60].contains(&monitoring) {
            stack.error(
                &address,
                "monitoring_interval",
                &format!("{monitoring} s is not an enhanced monitoring interval"),
                "use 0 (off), 1, 5, 10, 15, 30 or 60",
            );
        }
        if let Some(name) = &self.db_name {
            if name.is_empty()
                || name.len() > 63
                || !name.starts_with(|c: char| c.is_ascii_alphabetic())
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                stack.error(
                    &address,
                    "db_name",
                    &format!("`{name}` is not a valid PostgreSQL database name"),
                    "use 1-63 letters, digits and `_`, starting with a letter",
                );
            }
        }
        if ["postgres", "rdsadmin", "admin"].contains(&self.username.as_str()) {
            stack.error(
                &address,
                "username",
                &format!("`{}` is reserved by RDS", self.username),
                "use another master user name, such as `dbadmin`",
            );
        }

        let mut sg = SecurityGroup::new(
            &format!("{l}_db"),
            &format!("{id}-db"),
            self.network.vpc_id.clone(),
        )
        .description("PostgreSQL: only from the listed client groups")
        .data_store();
        for client in &self.network.clients {
            sg = sg.allow_from(client.clone(), 5432, "PostgreSQL from clients");
        }
        let security_group = stack.add(sg);
        let subnet_ids: Vec<Value> = self.network.subnet_ids.iter().map(Value::from).collect();
        let subnet_group = stack.resource::<kind::DbSubnetGroup>(
            l,
            Attributes::new()
                .set("name", id.as_str())
                .set("description", format!("Database subnets of {id}"))
                .set("subnet_ids", Value::List(subnet_ids))
                .tagged_name(&id),
        );
        let parameter = |name: &str, value: &str| {
            Value::map()
                .with("name", name)
                .with("value", value)
                .with("apply_method", "pending-reboot")
        };
        let family = format!("postgres{}", major.unwrap_or(16));
        let apply_immediately = self.apply_immediately.unwrap_or(!production);
        // A major upgrade changes the family, which replaces the group. The
        // name carries the family so old and new can coexist, and
        // create_before_destroy makes the new group before the instance
        // switches to it and only then destroys the old one (by default
        // Terraform destroys first, while the instance still uses it).
        let group_lifecycle = Value::map().with("create_before_destroy", true);
        let mut group_attributes = Attributes::new();
        if !apply_immediately {
            // Without apply_immediately RDS queues the upgrade and the group
            // switch for the maintenance window, so the old group still has
            // the instance as a member when Terraform destroys it and RDS
            // refuses. skip_destroy drops the old group from state only; it
            // is deleted by hand after the window (docs/operations.md).
            group_attributes = group_attributes.set("skip_destroy", true);
        }
        let parameter_group = stack.resource::<kind::DbParameterGroup>(
            l,
            group_attributes
                .set("name", format!("{id}-{family}"))
                .set("family", family.as_str())
                .set("description", format!("{id}: TLS only, connection logging"))
                .blocks(
                    "parameter",
                    vec![
                        parameter("rds.force_ssl", "1"),
                        parameter("log_connections", "1"),
                        parameter("log_disconnections", "1"),
                        parameter("log_min_duration_statement", "1000"),
                        parameter("password_encryption", "scram-sha-256"),
                    ],
                )
                .set("lifecycle", Value::List(vec![group_lifecycle]))
                .tagged_name(&id),
        );
        let monitoring_role = (monitoring > 0).then(|| {
            stack
                .add(
                    IamRole::new(
                        &format!("{l}_rds_monitoring"),
                        // IAM role names have at most 64 characters.
                        crate::core::naming::fit(&format!("{id}-rds-monitoring"), 64),
                        service_trust("monitoring.rds.amazonaws.com").to_json(),
                    )
                    .description("RDS enhanced monitoring")
                    .managed_policy("service-role/AmazonRDSEnhancedMonitoringRole"),
                )
                .role
        });
        let mut attributes = Attributes::new()
            .set("identifier", id.as_str())
            .set("engine", "postgres")
            .set("engine_version", self.engine_version.as_str())
            .set("instance_class", self.instance_class.as_str())
            .set("allocated_storage", self.allocated_storage_gb)
            .set("max_allocated_storage", self.max_allocated_storage_gb)
            .set("storage_type", "gp3")
            .set("storage_encrypted", true)
            .set("kms_key_id", &self.kms_key_arn)
            .set("username", self.username.as_str())
            .set("manage_master_user_password", true)
            .set("master_user_secret_kms_key_id", &self.kms_key_arn)
            .set_opt("db_name", self.db_name.clone())
            .set("db_subnet_group_name", subnet_group.name())
            .set("parameter_group_name", parameter_group.name())
            .set("vpc_security_group_ids", vec![security_group.id()])
            .set("publicly_accessible", false)
            .set("multi_az", multi_az)
            .set("deletion_protection", deletion_protection)
            .set("backup_retention_period", backups)
            .set("backup_window", "03:00-04:00")
            .set("maintenance_window", "sun:04:30-sun:05:30")
            .set("copy_tags_to_snapshot", true)
            .set(
                "auto_minor_version_upgrade",
                self.auto_minor_version_upgrade,
            )
            // Changing `engine_version` to the next major is then one edit:
            // RDS refuses a major upgrade the request does not allow.
            .set("allow_major_version_upgrade", true)
            .set("apply_immediately", apply_immediately)
            .set("iam_database_authentication_enabled", true)
            .set("ca_cert_identifier", "rds-ca-rsa2048-g1")
            .set(
                "enabled_cloudwatch_logs_exports",
                vec!["postgresql", "upgrade"],
            )
            .set("performance_insights_enabled", insights)
            .tagged_name(&id);
        if insights {
            attributes = attributes
                .set("performance_insights_kms_key_id", &self.kms_key_arn)
                .set("performance_insights_retention_period", 7);
        }
        if let Some(role) = &monitoring_role {
            attributes = attributes
                .set("monitoring_interval", monitoring)
                .set("monitoring_role_arn", role.arn());
        }
        attributes = if dev {
            attributes.set("skip_final_snapshot", true)
        } else {
            attributes
                .set("skip_final_snapshot", false)
                .set("final_snapshot_identifier", format!("{id}-final"))
        };
        let instance = stack.resource::<kind::DbInstance>(l, attributes);
        PostgresHandle {
            instance,
            security_group,
            subnet_group,
            parameter_group,
            monitoring_role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{KmsKey, Vpc};

    fn build(
        env: Environment,
        configure: impl FnOnce(Postgres) -> Postgres,
    ) -> (Stack, PostgresHandle) {
        let mut stack = Stack::new("t").with_environment(env);
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        let key = stack.add(KmsKey::new("db", "t-db"));
        let network = DatabaseNetwork {
            vpc_id: vpc.id(),
            subnet_ids: vpc.database_subnet_ids(),
            clients: vec![],
        };
        let db = stack.add(configure(Postgres::new(PostgresProps {
            logical_name: "main",
            identifier: "t-db",
            engine_version: "16",
            instance_class: "db.t4g.medium",
            network,
            kms_key_arn: key.arn(),
        })));
        (stack, db)
    }

    #[test]
    fn production_defaults() {
        let (stack, db) = build(Environment::PRODUCTION, |p| p.db_name("app"));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(db.instance.address()).unwrap();
        for (field, value) in [
            ("multi_az", true),
            ("deletion_protection", true),
            ("storage_encrypted", true),
            ("manage_master_user_password", true),
            ("publicly_accessible", false),
            ("iam_database_authentication_enabled", true),
            ("performance_insights_enabled", true),
            ("skip_final_snapshot", false),
            ("copy_tags_to_snapshot", true),
        ] {
            assert_eq!(block.get(field), Some(&Value::Bool(value)), "{field}");
        }
        assert!(block.get("password").is_none());
        assert_eq!(
            block.get("backup_retention_period").and_then(Value::as_i64),
            Some(7)
        );
        assert_eq!(
            block
                .get("final_snapshot_identifier")
                .and_then(Value::as_str),
            Some("t-db-final")
        );
        assert!(db.monitoring_role.is_some());
    }

    #[test]
    fn dev_skips_the_final_snapshot_and_monitoring() {
        let (stack, db) = build(Environment::DEV, |p| p);
        let block = stack.block(db.instance.address()).unwrap();
        assert_eq!(block.get("skip_final_snapshot"), Some(&Value::Bool(true)));
        assert!(block.get("final_snapshot_identifier").is_none());
        assert!(db.monitoring_role.is_none());
        // Free at 7 days, so on in dev too.
        assert_eq!(
            block.get("performance_insights_enabled"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn performance_insights_follow_the_instance_class() {
        let (stack, db) = build(Environment::DEV, |mut p| {
            p.instance_class = "db.t4g.micro".to_string();
            p
        });
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(db.instance.address()).unwrap();
        assert_eq!(
            block.get("performance_insights_enabled"),
            Some(&Value::Bool(false))
        );
        let (stack, _) = build(Environment::DEV, |mut p| {
            p.instance_class = "db.t4g.micro".to_string();
            p.performance_insights(true)
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `performance_insights_enabled`: db.t4g.micro does not support"),
            "{text}"
        );
    }

    #[test]
    fn unknown_instance_class_lists_valid_ones() {
        let (stack, _) = build(Environment::DEV, |mut p| {
            p.instance_class = "db.x9.huge".to_string();
            p
        });
        let text = stack.diagnostics().to_string();
        assert!(text.contains("resource `aws_db_instance.main`, field `instance_class`: `db.x9.huge` is not an RDS instance class for postgres"), "{text}");
        assert!(text.contains("use one of: db.t3.micro"), "{text}");
    }

    #[test]
    fn invalid_identifier_and_version() {
        let (stack, _) = build(Environment::DEV, |mut p| {
            p.identifier = "1bad--name-".to_string();
            p.engine_version = "9.6".to_string();
            p
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `identifier`: `1bad--name-` is not a valid RDS identifier"),
            "{text}"
        );
        assert!(
            text.contains("field `engine_version`")
                && text.contains("`9` is not a PostgreSQL major version RDS for PostgreSQL offers"),
            "{text}"
        );
    }

    #[test]
    fn production_refuses_weakened_settings() {
        let (stack, _) = build(Environment::PRODUCTION, |p| {
            p.multi_az(false)
                .deletion_protection(false)
                .backup_retention_days(3)
        });
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `multi_az`"), "{text}");
        assert!(text.contains("field `deletion_protection`"), "{text}");
        assert!(
            text.contains("field `backup_retention_period`") && text.contains("at least 7 days"),
            "{text}"
        );
    }

    #[test]
    fn reserved_user_and_bad_db_name() {
        let (stack, _) = build(Environment::DEV, |p| {
            p.username("rdsadmin").db_name("my-db")
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `username`: `rdsadmin` is reserved"),
            "{text}"
        );
        assert!(
            text.contains("field `db_name`: `my-db` is not a valid PostgreSQL database name"),
            "{text}"
        );
    }

    #[test]
    fn storage_backups_and_monitoring_ranges() {
        let (stack, _) = build(Environment::STAGING, |p| {
            p.storage_gb(10, 5)
                .backup_retention_days(40)
                .monitoring_interval(7)
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `allocated_storage`") && text.contains("use 20-65536 GiB"),
            "{text}"
        );
        assert!(
            text.contains("field `backup_retention_period`: 40 days of backups is outside 1-35"),
            "{text}"
        );
        assert!(
            text.contains("field `monitoring_interval`") && text.contains("use 0 (off), 1, 5"),
            "{text}"
        );
    }

    /// hashicorp/terraform-provider-aws v5.100.0,
    /// internal/service/rds/engine_version.go (compareActualEngineVersion):
    /// a configured `16` stays in state while RDS runs 16.6 (a prefix of the
    /// actual version), a configured `16.4` is overwritten by 16.6, and the
    /// next plan asks for a downgrade; db_instance.html.markdown: "If
    /// `auto_minor_version_upgrade` is enabled, you can provide a prefix of
    /// the version".
    #[test]
    fn a_minor_pin_needs_automatic_minor_upgrades_off() {
        let (stack, db) = build(Environment::DEV, |p| p);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(db.instance.address()).unwrap();
        assert_eq!(
            block.get("engine_version").and_then(Value::as_str),
            Some("16")
        );
        assert_eq!(
            block.get("auto_minor_version_upgrade"),
            Some(&Value::Bool(true))
        );

        let (stack, _) = build(Environment::DEV, |mut p| {
            p.engine_version = "16.4".to_string();
            p
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("resource `aws_db_instance.main`, field `engine_version`: `16.4` pins a minor version while auto_minor_version_upgrade is on")
                && text.contains("write the major only (`16`)"),
            "{text}"
        );

        let (stack, db) = build(Environment::DEV, |mut p| {
            p.engine_version = "16.4".to_string();
            p.auto_minor_version_upgrade(false)
        });
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(db.instance.address()).unwrap();
        assert_eq!(
            block.get("engine_version").and_then(Value::as_str),
            Some("16.4")
        );
        assert_eq!(
            block.get("auto_minor_version_upgrade"),
            Some(&Value::Bool(false))
        );
    }

    /// A major upgrade (15 -> 16) is one edit: the parameter group's name
    /// carries the family, so the new group is created before the old one is
    /// destroyed (create_before_destroy), and the instance allows the major
    /// upgrade (db_instance.html.markdown: "When upgrading the major version
    /// of an engine, `allow_major_version_upgrade` must be set to `true`").
    #[test]
    fn a_major_upgrade_creates_the_new_parameter_group_first() {
        let synth = |env: Environment, version: &str| {
            let (stack, _) = build(env, |mut p| {
                p.engine_version = version.to_string();
                p
            });
            assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
            let text = stack.synth().unwrap().main_tf_json().to_string();
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        };
        let v15 = synth(Environment::DEV, "15");
        let v16 = synth(Environment::DEV, "16");
        let group =
            |doc: &serde_json::Value| doc["resource"]["aws_db_parameter_group"]["main"].clone();
        assert_eq!(group(&v15)["name"], "t-db-postgres15");
        assert_eq!(group(&v16)["name"], "t-db-postgres16");
        assert_eq!(group(&v16)["family"], "postgres16");
        assert_eq!(
            group(&v16)["lifecycle"],
            serde_json::json!([{ "create_before_destroy": true }])
        );
        // Outside production the change applies at once, so the old group
        // is free when Terraform destroys it.
        assert!(group(&v16)["skip_destroy"].is_null());
        let instance = &v16["resource"]["aws_db_instance"]["main"];
        assert_eq!(instance["allow_major_version_upgrade"], true);
        assert_eq!(instance["apply_immediately"], true);
        assert_eq!(
            instance["parameter_group_name"],
            "${aws_db_parameter_group.main.name}"
        );

        // In production the upgrade waits for the maintenance window; the
        // old group, still in use until then, is left to be deleted by hand.
        let production = synth(Environment::PRODUCTION, "16");
        assert_eq!(group(&production)["skip_destroy"], true);
        assert_eq!(
            production["resource"]["aws_db_instance"]["main"]["apply_immediately"],
            false
        );
    }
}

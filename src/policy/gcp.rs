//! GCP rules. Attribute names are the hashicorp/google 6.50 provider's.

use super::rule::{in_production, on, Expect, Rule};

const TRUE: Expect = Expect::Bool {
    value: true,
    missing_ok: false,
};

/// The GCP rule table.
pub fn rules() -> Vec<Rule> {
    vec![
        on(
            "no-public-access",
            "google_sql_database_instance",
            "settings.ip_configuration.ipv4_enabled",
            Expect::Bool {
                value: false,
                missing_ok: false,
            },
            "a public IP on the database",
        ),
        on(
            "tls-in-transit",
            "google_sql_database_instance",
            "settings.ip_configuration.ssl_mode",
            Expect::OneOf(&["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"]),
            "TLS to the database",
        ),
        on(
            "backups",
            "google_sql_database_instance",
            "settings.backup_configuration.enabled",
            TRUE,
            "automated backups of the database",
        ),
        in_production(on(
            "no-force-destroy",
            "google_storage_bucket",
            "force_destroy",
            Expect::Bool {
                value: false,
                missing_ok: true,
            },
            "force_destroy on a production bucket (destroy would delete its objects)",
        )),
        // The provider defaults deletion_protection to true; only an explicit false fails.
        in_production(on(
            "deletion-protection",
            "google_sql_database_instance",
            "deletion_protection",
            Expect::Bool {
                value: true,
                missing_ok: true,
            },
            "deletion protection of the production database",
        )),
        in_production(on(
            "high-availability",
            "google_sql_database_instance",
            "settings.availability_type",
            Expect::OneOf(&["REGIONAL"]),
            "regional availability of the production database",
        )),
        on(
            "no-literal-secrets",
            "google_sql_user",
            "password",
            Expect::Absent,
            "a literal database password in the output",
        ),
        on(
            "no-public-access",
            "google_storage_bucket",
            "public_access_prevention",
            Expect::OneOf(&["enforced"]),
            "public access prevention on the bucket",
        ),
        on(
            "no-public-access",
            "google_storage_bucket",
            "uniform_bucket_level_access",
            TRUE,
            "uniform bucket-level access",
        ),
        on(
            "auth",
            "google_redis_instance",
            "auth_enabled",
            TRUE,
            "AUTH on the cache",
        ),
        on(
            "tls-in-transit",
            "google_redis_instance",
            "transit_encryption_mode",
            Expect::OneOf(&["SERVER_AUTHENTICATION"]),
            "in-transit encryption of the cache",
        ),
        in_production(on(
            "high-availability",
            "google_redis_instance",
            "tier",
            Expect::OneOf(&["STANDARD_HA"]),
            "the production cache tier",
        )),
        on(
            "private-nodes",
            "google_container_cluster",
            "private_cluster_config.enable_private_nodes",
            TRUE,
            "private nodes",
        ),
        in_production(on(
            "private-api",
            "google_container_cluster",
            "private_cluster_config.enable_private_endpoint",
            TRUE,
            "the production Kubernetes API's private endpoint",
        )),
        on(
            "no-open-api",
            "google_container_cluster",
            "master_authorized_networks_config.cidr_blocks.cidr_block",
            Expect::NoneOf(&["0.0.0.0/0"]),
            "the Kubernetes API open to the internet",
        ),
        on(
            "workload-identity",
            "google_container_cluster",
            "workload_identity_config.workload_pool",
            Expect::Present,
            "Workload Identity",
        ),
        on(
            "no-legacy-auth",
            "google_container_cluster",
            "enable_legacy_abac",
            Expect::Bool {
                value: false,
                missing_ok: true,
            },
            "legacy ABAC",
        ),
        on(
            "metadata-concealment",
            "google_container_node_pool",
            "node_config.workload_metadata_config.mode",
            Expect::OneOf(&["GKE_METADATA"]),
            "the GKE metadata server on nodes",
        ),
        on(
            "shielded-nodes",
            "google_container_node_pool",
            "node_config.shielded_instance_config.enable_secure_boot",
            TRUE,
            "secure boot on nodes",
        ),
        // A default-deny firewall denies from 0.0.0.0/0 on purpose: only
        // allow rules are judged.
        Rule {
            only_if: &[("allow", "*")],
            ..on(
                "no-open-ingress",
                "google_compute_firewall",
                "source_ranges",
                Expect::NoneOf(&["0.0.0.0/0"]),
                "a firewall allow rule open to the whole internet",
            )
        },
        on(
            "logs-on",
            "google_compute_subnetwork",
            "log_config.aggregation_interval",
            Expect::Present,
            "subnet flow logs",
        ),
        on(
            "key-rotation",
            "google_kms_crypto_key",
            "rotation_period",
            Expect::Present,
            "rotation of the KMS key",
        ),
    ]
}

//! Azure rules. Attribute names are the hashicorp/azurerm 4.55 provider's.

use super::rule::{in_production, on, Expect, Rule};

const TRUE: Expect = Expect::Bool {
    value: true,
    missing_ok: false,
};
const FALSE: Expect = Expect::Bool {
    value: false,
    missing_ok: false,
};

/// The Azure rule table.
pub fn rules() -> Vec<Rule> {
    vec![
        on(
            "no-public-access",
            "azurerm_postgresql_flexible_server",
            "public_network_access_enabled",
            FALSE,
            "public network access to the database",
        ),
        on(
            "no-literal-secrets",
            "azurerm_postgresql_flexible_server",
            "administrator_password",
            Expect::Absent,
            "a literal admin password in the output",
        ),
        in_production(on(
            "backups",
            "azurerm_postgresql_flexible_server",
            "geo_redundant_backup_enabled",
            TRUE,
            "geo-redundant backups of the production database",
        )),
        in_production(on(
            "high-availability",
            "azurerm_postgresql_flexible_server",
            "high_availability.mode",
            Expect::OneOf(&["ZoneRedundant"]),
            "zone-redundant HA of the production database",
        )),
        on(
            "tls-in-transit",
            "azurerm_redis_cache",
            "non_ssl_port_enabled",
            Expect::Bool {
                value: false,
                missing_ok: true,
            },
            "the non-TLS port of the cache",
        ),
        on(
            "tls-in-transit",
            "azurerm_redis_cache",
            "minimum_tls_version",
            Expect::OneOf(&["1.2"]),
            "the cache's minimum TLS version",
        ),
        on(
            "no-public-access",
            "azurerm_redis_cache",
            "public_network_access_enabled",
            FALSE,
            "public network access to the cache",
        ),
        on(
            "no-public-access",
            "azurerm_managed_redis",
            "public_network_access",
            // The provider's default is `Enabled`.
            Expect::OneOf(&["Disabled"]),
            "public network access to the cache",
        ),
        on(
            "tls-in-transit",
            "azurerm_managed_redis",
            "default_database.client_protocol",
            Expect::OneOf(&["Encrypted"]),
            "plaintext connections to the cache",
        ),
        on(
            "tls-in-transit",
            "azurerm_storage_account",
            "min_tls_version",
            Expect::OneOf(&["TLS1_2"]),
            "the storage account's minimum TLS version",
        ),
        on(
            "tls-in-transit",
            "azurerm_storage_account",
            "https_traffic_only_enabled",
            Expect::Bool {
                value: true,
                missing_ok: true,
            },
            "HTTPS-only traffic",
        ),
        on(
            "no-public-access",
            "azurerm_storage_account",
            "allow_nested_items_to_be_public",
            FALSE,
            "public blob access",
        ),
        on(
            "no-public-access",
            "azurerm_storage_account",
            "network_rules.default_action",
            Expect::OneOf(&["Deny"]),
            "the storage firewall's default action",
        ),
        on(
            "no-public-access",
            "azurerm_storage_container",
            "container_access_type",
            Expect::OneOf(&["private"]),
            "the container's access type",
        ),
        on(
            "no-local-accounts",
            "azurerm_kubernetes_cluster",
            "local_account_disabled",
            TRUE,
            "local Kubernetes accounts",
        ),
        on(
            "no-open-api",
            "azurerm_kubernetes_cluster",
            "api_server_access_profile.authorized_ip_ranges",
            Expect::NoneOf(&["0.0.0.0/0"]),
            "the Kubernetes API open to the internet",
        ),
        in_production(on(
            "private-api",
            "azurerm_kubernetes_cluster",
            "private_cluster_enabled",
            TRUE,
            "the production Kubernetes API's private endpoint",
        )),
        on(
            "purge-protection",
            "azurerm_key_vault",
            "purge_protection_enabled",
            TRUE,
            "purge protection of the key vault",
        ),
        // Deny rules from the Internet are what a default-deny NSG is made of:
        // only inbound allow rules are judged.
        Rule {
            only_if: &[("direction", "Inbound"), ("access", "Allow")],
            ..on(
                "no-open-ingress",
                "azurerm_network_security_rule",
                "source_address_prefix",
                Expect::NoneOf(&["*", "0.0.0.0/0", "Internet", "Any"]),
                "an inbound allow rule open to the internet",
            )
        },
    ]
}

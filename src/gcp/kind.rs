//! The google resource kinds the GCP builders emit, and typed accessors for the
//! attributes other builders read (e-mails, self links, IP addresses).

use crate::core::reference::{Attr, HasName, Ref, ResourceKind};
use crate::core::value::Expr;

macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident => $ty:literal $(, $named:ident)?;)*) => {$(
        $(#[$doc])*
        pub enum $name {}
        impl ResourceKind for $name {
            const TYPE: &'static str = $ty;
        }
        $(impl $named for $name {})?
    )*};
}

kinds! {
    /// A VPC network.
    Network => "google_compute_network", HasName;
    /// A regional subnetwork.
    Subnetwork => "google_compute_subnetwork", HasName;
    /// A Cloud Router (hosts Cloud NAT).
    Router => "google_compute_router", HasName;
    /// Cloud NAT on a router.
    RouterNat => "google_compute_router_nat", HasName;
    /// A VPC firewall rule.
    Firewall => "google_compute_firewall", HasName;
    /// A reserved global internal range (private services access).
    GlobalAddress => "google_compute_global_address", HasName;
    /// The VPC peering with Google's service producers.
    ServiceNetworkingConnection => "google_service_networking_connection";
    /// A Cloud SQL instance.
    SqlInstance => "google_sql_database_instance", HasName;
    /// A database on a Cloud SQL instance.
    SqlDatabase => "google_sql_database", HasName;
    /// A Cloud SQL user (here: IAM service account users, no passwords).
    SqlUser => "google_sql_user", HasName;
    /// A Memorystore for Redis instance.
    RedisInstance => "google_redis_instance", HasName;
    /// A Cloud Storage bucket.
    Bucket => "google_storage_bucket", HasName;
    /// One member of one role on a bucket.
    BucketIamMember => "google_storage_bucket_iam_member";
    /// A Cloud KMS key ring.
    KeyRing => "google_kms_key_ring", HasName;
    /// A Cloud KMS crypto key.
    CryptoKey => "google_kms_crypto_key", HasName;
    /// One member of one role on a crypto key.
    CryptoKeyIamMember => "google_kms_crypto_key_iam_member";
    /// An IAM service account.
    ServiceAccount => "google_service_account", HasName;
    /// One member of one role on a service account.
    ServiceAccountIamMember => "google_service_account_iam_member";
    /// One member of one role on the project.
    ProjectIamMember => "google_project_iam_member";
    /// The project's audit logging configuration for one service.
    ProjectIamAuditConfig => "google_project_iam_audit_config";
    /// A Secret Manager secret.
    Secret => "google_secret_manager_secret";
    /// A version (the value) of a secret.
    SecretVersion => "google_secret_manager_secret_version";
    /// One member of one role on a secret.
    SecretIamMember => "google_secret_manager_secret_iam_member";
    /// An API enabled on the project.
    ProjectService => "google_project_service";
    /// A Google service agent made on demand (google-beta only at 6.50.0).
    ProjectServiceIdentity => "google_project_service_identity";
    /// The data source that makes Cloud Storage's service agent exist and
    /// returns it.
    StorageProjectServiceAccount => "google_storage_project_service_account";
    /// A GKE cluster.
    Cluster => "google_container_cluster", HasName;
    /// A separately managed GKE node pool.
    NodePool => "google_container_node_pool", HasName;
}

/// The marker type of a service account's `email`.
pub enum Email {}
/// The marker type of an IPv4 address attribute.
pub enum IpAddress {}
/// The marker type of a port number attribute.
pub enum Port {}

impl Ref<ServiceAccount> {
    /// The account's e-mail (`name@project.iam.gserviceaccount.com`).
    pub fn email(&self) -> Attr<Email> {
        self.attr("email")
    }

    /// The IAM member string `serviceAccount:<email>`.
    pub fn member(&self) -> Attr<String> {
        self.attr("member")
    }
}

impl Ref<SqlInstance> {
    /// The private IP address (the only one: public IPv4 is disabled).
    pub fn private_ip_address(&self) -> Attr<IpAddress> {
        self.attr("private_ip_address")
    }

    /// `project:region:name`, what the Cloud SQL Auth Proxy connects to.
    pub fn connection_name(&self) -> Attr<String> {
        self.attr("connection_name")
    }
}

impl Ref<RedisInstance> {
    /// The primary endpoint's IP address.
    pub fn host(&self) -> Attr<IpAddress> {
        self.attr("host")
    }

    /// The AUTH string (sensitive; store it in a [`Secret`](super::Secret)).
    pub fn auth_string(&self) -> Attr<String> {
        self.attr("auth_string")
    }

    /// The port (6378 with transit encryption).
    pub fn port(&self) -> Attr<Port> {
        self.attr("port")
    }

    /// The PEM of every server CA certificate, newline-separated: what a
    /// client verifies the TLS endpoint against (`SERVER_AUTHENTICATION`
    /// presents a certificate signed by the instance's own CA, which no
    /// system trust store holds). All of them, because during a CA rotation
    /// Memorystore lists the old and the new one (`server_ca_certs`, a list
    /// of objects whose `cert` is the PEM).
    pub fn server_ca_pem(&self) -> Attr<String> {
        let certs = Expr::attribute(self.address(), "server_ca_certs[*].cert");
        Attr::from_expr(certs.call_with("join", "\"\\n\", ", ""))
    }
}

impl Ref<Cluster> {
    /// The API server's IP address (private in production).
    pub fn endpoint(&self) -> Attr<IpAddress> {
        self.attr("endpoint")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;
    use crate::core::stack::Stack;

    #[test]
    fn accessors_render_interpolations() {
        let mut stack = Stack::new("t");
        let sa = stack.resource::<ServiceAccount>("app", Attributes::new());
        assert_eq!(
            sa.email().expr().template(),
            "${google_service_account.app.email}"
        );
        assert_eq!(
            sa.name().expr().template(),
            "${google_service_account.app.name}"
        );
        let redis = stack.resource::<RedisInstance>("main", Attributes::new());
        assert_eq!(
            redis.server_ca_pem().expr().template(),
            r#"${join("\n", google_redis_instance.main.server_ca_certs[*].cert)}"#
        );
    }
}

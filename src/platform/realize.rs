//! The one skeleton every cloud's realization of a [`Platform`] follows.
//!
//! A cloud implements [`Realization`], one method per step; [`run`] calls the
//! steps in one fixed order, on one stack, and returns the stack with the
//! cloud's typed handles of everything it made (`AwsPlatform`,
//! `GcpPlatform`, `AzurePlatform`). The steps and what each cloud makes in
//! them:
//!
//! | step | AWS | GCP | Azure |
//! |---|---|---|---|
//! | [`foundation`](Realization::foundation) | provider, the logs KMS key | provider and project, enabled APIs, Data Access audit logs | provider, client config, resource group, Log Analytics |
//! | [`network`](Realization::network) | VPC, subnets, NAT, flow logs | VPC, subnetwork, Cloud NAT, firewalls, private services access | VNet, subnets, NAT, private DNS zones |
//! | [`keys`](Realization::keys) | KMS keys per purpose | Cloud KMS ring and keys (CMEK profiles) | customer-managed key identity, Key Vault |
//! | [`cluster`](Realization::cluster) | EKS, node groups | node service account, GKE, node pools | AKS identity and disk encryption, AKS, node pools |
//! | [`workload_identities`](Realization::workload_identities) | nothing (see below) | a service account per workload | a managed identity per workload |
//! | [`database`](Realization::database) | RDS PostgreSQL | Cloud SQL, IAM database users | PostgreSQL flexible server |
//! | [`cache`](Realization::cache) | ElastiCache Redis | Memorystore, AUTH secret | Azure Cache for Redis |
//! | [`buckets`](Realization::buckets) | S3 buckets, access-log bucket | GCS buckets | storage account, containers |
//! | [`workload_access`](Realization::workload_access) | IRSA roles with their grants | workload identity bindings, bucket roles | role assignments |
//! | [`outputs`](Realization::outputs) | the outputs of `platform::outputs`, KMS key ARNs, OIDC issuer | the outputs of `platform::outputs`, Cloud SQL connection name, AUTH secret | the outputs of `platform::outputs`, resource group, Key Vault URI, tenant |
//! | [`dependencies`](Realization::dependencies) | nothing | each resource waits for its API | nothing |
//!
//! Each step receives the results of the earlier steps it may build on,
//! never later ones, so the order is the one place dependencies are decided.
//! Workloads come in two steps because the clouds disagree on when an
//! identity can exist: a GCP service account must exist before Cloud SQL
//! (its IAM database user) and the cache (its secret reader), while an AWS
//! IRSA role carries its bucket and cache grants inline and so can only be
//! made once those exist.
//!
//! The network precedes the keys because Azure's Key Vault sits behind a
//! private endpoint in the network; AWS's logs key, which the VPC's flow logs
//! already use, is therefore part of its foundation.
//!
//! The outputs every cloud declares are the fields of
//! [`Outputs`]: the outputs step returns them and
//! [`run`] declares them, so no cloud can leave one out or spell one
//! differently.
//!
//! The three realizations (`platform/aws/mod.rs`, `gcp/mod.rs`,
//! `azure/mod.rs`) are laid out alike so a step can be compared across clouds:
//! the context every step reads (`Aws`, `Gcp`, `Azure`), the steps in the
//! order above, then the steps' helpers.
//!
//! Problems are recorded on the stack, never panicked on: a step that meets
//! an unusable spec (already reported by [`super::validate`]) carries on
//! with a stand-in, so the later steps still run and report their own
//! problems, and the handles always exist. A stack with errors never
//! synthesizes.

use crate::core::calendar::Date;
use crate::core::stack::Stack;
use crate::platform::outputs::Outputs;
use crate::platform::Platform;

/// One cloud's realization of a [`Platform`], as the steps [`run`] calls in
/// order (see the [module docs](self) for what each cloud makes in each).
///
/// `Self` is what every step reads (the platform, names, region,
/// per-environment choices) plus what the foundation made; each associated
/// type is what one step made, as typed handles.
pub trait Realization<'p>: Sized {
    /// What [`Realization::network`] made.
    type Network;
    /// What [`Realization::keys`] made.
    type Keys;
    /// What [`Realization::cluster`] made.
    type Cluster;
    /// What [`Realization::workload_identities`] made.
    type Identities;
    /// What [`Realization::database`] made.
    type Database;
    /// What [`Realization::cache`] made.
    type Cache;
    /// What [`Realization::buckets`] made.
    type Buckets;
    /// What [`Realization::workload_access`] made.
    type Workloads;
    /// Everything, as returned by [`run`].
    type Handles;

    /// Checks the platform's fields this cloud reads before anything is
    /// built from them (region or location, zones): a mistake there is then
    /// one error, not one per resource derived from it (see
    /// [`Stack::end_input_check`]). The default checks nothing.
    fn check_input(_platform: &Platform, _stack: &mut Stack) {}

    /// Provider or project settings, shared logging, and what every later
    /// step reads.
    fn foundation(platform: &'p Platform, stack: &mut Stack) -> Self;

    /// The private network.
    fn network(&self, stack: &mut Stack) -> Self::Network;

    /// Encryption keys (and the secret store) the services use.
    fn keys(&self, network: &Self::Network, stack: &mut Stack) -> Self::Keys;

    /// The Kubernetes cluster and its node pools.
    fn cluster(
        &self,
        network: &Self::Network,
        keys: &Self::Keys,
        stack: &mut Stack,
    ) -> Self::Cluster;

    /// The identity each workload acts as, where the cloud can make it
    /// before the services that must know it.
    fn workload_identities(&self, cluster: &Self::Cluster, stack: &mut Stack) -> Self::Identities;

    /// The PostgreSQL server and its databases.
    fn database(
        &self,
        network: &Self::Network,
        keys: &Self::Keys,
        cluster: &Self::Cluster,
        identities: &Self::Identities,
        stack: &mut Stack,
    ) -> Self::Database;

    /// The Redis cache.
    fn cache(
        &self,
        network: &Self::Network,
        keys: &Self::Keys,
        cluster: &Self::Cluster,
        identities: &Self::Identities,
        stack: &mut Stack,
    ) -> Self::Cache;

    /// Object storage, one bucket (or container) per bucket spec.
    fn buckets(
        &self,
        network: &Self::Network,
        keys: &Self::Keys,
        stack: &mut Stack,
    ) -> Self::Buckets;

    /// What each workload may reach (and, where it carries its grants, its
    /// identity), by workload name: its buckets, and the database and cache
    /// only where it declares their use; also the identity of the database
    /// bootstrap (see [`super::data_access`]). `data` is the database and the
    /// cache.
    fn workload_access(
        &self,
        keys: &Self::Keys,
        cluster: &Self::Cluster,
        identities: &Self::Identities,
        data: (&Self::Database, &Self::Cache),
        buckets: &Self::Buckets,
        stack: &mut Stack,
    ) -> Self::Workloads;

    /// The cloud's own outputs, declared on `stack`, and the values of the
    /// outputs every cloud declares, which [`run`] declares under the names
    /// of [`super::outputs`].
    fn outputs(&self, parts: &Parts<'p, Self>, stack: &mut Stack) -> Outputs;

    /// Ordering no reference carries, once every part exists (GCP: each
    /// resource waits for the API it first calls). Nothing by default.
    fn dependencies(&self, parts: &Parts<'p, Self>, stack: &mut Stack) {
        let _ = (parts, stack);
    }

    /// The typed handles of everything made.
    fn handles(self, parts: Parts<'p, Self>) -> Self::Handles;
}

/// What the steps after the foundation made, as [`run`] collects them for
/// [`Realization::outputs`] and [`Realization::handles`].
pub struct Parts<'p, R: Realization<'p>> {
    /// From [`Realization::network`].
    pub network: R::Network,
    /// From [`Realization::keys`].
    pub keys: R::Keys,
    /// From [`Realization::cluster`].
    pub cluster: R::Cluster,
    /// From [`Realization::workload_identities`].
    pub identities: R::Identities,
    /// From [`Realization::database`].
    pub database: R::Database,
    /// From [`Realization::cache`].
    pub cache: R::Cache,
    /// From [`Realization::buckets`].
    pub buckets: R::Buckets,
    /// From [`Realization::workload_access`].
    pub workloads: R::Workloads,
}

/// Realizes `platform` with `R`: a stack from [`super::new_stack`]
/// (environment, default tags, cloud-neutral checks), every step in the
/// order of [`Realization`], and the handles.
///
/// # Errors
///
/// None returned: problems are diagnostics on the stack, reported when it is
/// synthesized. The handles exist even then, so customize code can run
/// unchanged; the stack will not synthesize.
pub fn run<'p, R: Realization<'p>>(platform: &'p Platform) -> (Stack, R::Handles) {
    run_as_of::<R>(platform, None)
}

/// [`run`] on a stack whose versions are judged on `support_date` (see
/// [`crate::core::support`]); `None` checks only that they are known.
///
/// # Errors
///
/// None returned, as for [`run`].
pub fn run_as_of<'p, R: Realization<'p>>(
    platform: &'p Platform,
    support_date: Option<Date>,
) -> (Stack, R::Handles) {
    run_with::<R>(platform, support_date, None)
}

/// [`run_as_of`] with live facts on the stack before the first check
/// ([`super::facts::CloudFacts::install`]).
///
/// # Errors
///
/// None returned, as for [`run`].
pub fn run_with<'p, R: Realization<'p>>(
    platform: &'p Platform,
    support_date: Option<Date>,
    facts: Option<&super::facts::CloudFacts>,
) -> (Stack, R::Handles) {
    let mut stack = super::new_stack(platform);
    if let Some(facts) = facts {
        facts.install(&mut stack);
    }
    // Before any builder runs: each checks its version against this day.
    stack.set_support_date(support_date);
    // The platform's fields were checked by `new_stack`, the cloud's are
    // checked here; what the builders derive from a field already reported
    // is not reported again.
    R::check_input(platform, &mut stack);
    stack.end_input_check();
    let s = &mut stack;
    let cloud = R::foundation(platform, s);
    let network = cloud.network(s);
    let keys = cloud.keys(&network, s);
    let cluster = cloud.cluster(&network, &keys, s);
    let identities = cloud.workload_identities(&cluster, s);
    let database = cloud.database(&network, &keys, &cluster, &identities, s);
    let cache = cloud.cache(&network, &keys, &cluster, &identities, s);
    let buckets = cloud.buckets(&network, &keys, s);
    let workloads = cloud.workload_access(
        &keys,
        &cluster,
        &identities,
        (&database, &cache),
        &buckets,
        s,
    );
    let parts = Parts {
        network,
        keys,
        cluster,
        identities,
        database,
        cache,
        buckets,
        workloads,
    };
    cloud.outputs(&parts, s).declare(s);
    cloud.dependencies(&parts, s);
    let handles = cloud.handles(parts);
    (stack, handles)
}

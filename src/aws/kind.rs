//! Resource kind markers for AWS: each Terraform type this module emits, as an
//! uninhabited enum, so references are typed (`Attr<Id<kind::Vpc>>`).

use crate::core::reference::{HasArn, HasName, ResourceKind};

macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident = $ty:literal $(: $($marker:ident),+)?;)*) => {$(
        $(#[$doc])*
        pub enum $name {}
        impl ResourceKind for $name {
            const TYPE: &'static str = $ty;
        }
        $($(impl $marker for $name {})+)?
    )*};
}

kinds! {
    /// `aws_vpc`.
    Vpc = "aws_vpc": HasArn;
    /// `aws_subnet`.
    Subnet = "aws_subnet": HasArn;
    /// `aws_internet_gateway`.
    InternetGateway = "aws_internet_gateway": HasArn;
    /// `aws_eip`.
    Eip = "aws_eip";
    /// `aws_nat_gateway`.
    NatGateway = "aws_nat_gateway";
    /// `aws_route_table`.
    RouteTable = "aws_route_table": HasArn;
    /// `aws_route`.
    Route = "aws_route";
    /// `aws_route_table_association`.
    RouteTableAssociation = "aws_route_table_association";
    /// `aws_default_security_group`.
    DefaultSecurityGroup = "aws_default_security_group": HasArn;
    /// `aws_security_group`.
    SecurityGroup = "aws_security_group": HasArn, HasName;
    /// `aws_vpc_security_group_ingress_rule`.
    IngressRule = "aws_vpc_security_group_ingress_rule": HasArn;
    /// `aws_vpc_security_group_egress_rule`.
    EgressRule = "aws_vpc_security_group_egress_rule": HasArn;
    /// `aws_flow_log`.
    FlowLog = "aws_flow_log": HasArn;
    /// `aws_cloudwatch_log_group`.
    LogGroup = "aws_cloudwatch_log_group": HasArn, HasName;
    /// `aws_kms_key`.
    KmsKey = "aws_kms_key": HasArn;
    /// `aws_kms_alias`.
    KmsAlias = "aws_kms_alias": HasArn, HasName;
    /// `aws_kms_key_policy`.
    KmsKeyPolicy = "aws_kms_key_policy";
    /// `aws_iam_role`.
    IamRole = "aws_iam_role": HasArn, HasName;
    /// `aws_iam_role_policy` (inline policy).
    IamRolePolicy = "aws_iam_role_policy": HasName;
    /// `aws_iam_role_policy_attachment`.
    IamRolePolicyAttachment = "aws_iam_role_policy_attachment";
    /// `aws_iam_openid_connect_provider`.
    OidcProvider = "aws_iam_openid_connect_provider": HasArn;
    /// `aws_db_subnet_group`.
    DbSubnetGroup = "aws_db_subnet_group": HasArn, HasName;
    /// `aws_db_parameter_group`.
    DbParameterGroup = "aws_db_parameter_group": HasArn, HasName;
    /// `aws_db_instance`.
    DbInstance = "aws_db_instance": HasArn;
    /// `aws_elasticache_subnet_group`.
    CacheSubnetGroup = "aws_elasticache_subnet_group": HasArn, HasName;
    /// `aws_elasticache_replication_group`.
    CacheReplicationGroup = "aws_elasticache_replication_group": HasArn;
    /// `aws_s3_bucket`.
    S3Bucket = "aws_s3_bucket": HasArn;
    /// `aws_s3_bucket_versioning`.
    S3BucketVersioning = "aws_s3_bucket_versioning";
    /// `aws_s3_bucket_server_side_encryption_configuration`.
    S3BucketEncryption = "aws_s3_bucket_server_side_encryption_configuration";
    /// `aws_s3_bucket_public_access_block`.
    S3BucketPublicAccessBlock = "aws_s3_bucket_public_access_block";
    /// `aws_s3_bucket_ownership_controls`.
    S3BucketOwnershipControls = "aws_s3_bucket_ownership_controls";
    /// `aws_s3_bucket_policy`.
    S3BucketPolicy = "aws_s3_bucket_policy";
    /// `aws_s3_bucket_lifecycle_configuration`.
    S3BucketLifecycle = "aws_s3_bucket_lifecycle_configuration";
    /// `aws_s3_bucket_logging` (server access logs).
    S3BucketLogging = "aws_s3_bucket_logging";
    /// `aws_s3_bucket_notification`.
    S3BucketNotification = "aws_s3_bucket_notification";
    /// `aws_elasticache_user`.
    CacheUser = "aws_elasticache_user": HasArn;
    /// `aws_elasticache_user_group`.
    CacheUserGroup = "aws_elasticache_user_group": HasArn;
    /// `aws_eks_cluster`.
    EksCluster = "aws_eks_cluster": HasArn, HasName;
    /// `aws_eks_node_group`.
    EksNodeGroup = "aws_eks_node_group": HasArn;
    /// `aws_eks_addon`.
    EksAddon = "aws_eks_addon": HasArn;
    /// `aws_launch_template`.
    LaunchTemplate = "aws_launch_template": HasArn, HasName;
    /// `data.aws_partition`.
    Partition = "aws_partition";
    /// `data.aws_arn`: the parts of an ARN, parsed by the provider without an
    /// API call.
    ArnParts = "aws_arn";
    /// `data.aws_iam_policy_document`.
    PolicyDocument = "aws_iam_policy_document";
    /// `data.aws_eks_addon_version`: the add-on version EKS makes the
    /// default for a Kubernetes version.
    EksAddonVersion = "aws_eks_addon_version";
}

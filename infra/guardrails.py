"""The account's guardrails a clinic's auditor asks for, as code: threat detection (GuardDuty), a posture
score against AWS Foundational Security Best Practices (Security Hub), continuous checks of the properties
SafeSlot depends on (AWS Config managed rules), an API trail whose files prove they were not altered
(CloudTrail log file validation), and alerts when the sealing key or an application role is touched.

GuardDuty, Security Hub and the Config recorder exist once per account and region: an account whose
organization already runs them centrally keeps those and drops them here (docs/security.md says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_config as config
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_securityhub as securityhub
from aws_cdk import aws_sns as sns
from constructs import Construct

FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"
# The properties SafeSlot depends on, each checked continuously by an AWS-managed Config rule.
CONFIG_RULES = {
    "DynamoDbEncryptedWithKms": config.ManagedRuleIdentifiers.DYNAMODB_TABLE_ENCRYPTED_KMS,
    "DynamoDbPointInTimeRecovery": config.ManagedRuleIdentifiers.DYNAMODB_PITR_ENABLED,
    "S3AccountPublicAccessBlocked": config.ManagedRuleIdentifiers.S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC,
    "S3BucketPublicAccessBlocked": config.ManagedRuleIdentifiers.S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED,
    "S3BucketEncrypted": config.ManagedRuleIdentifiers.S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED,
    "S3BucketTlsOnly": config.ManagedRuleIdentifiers.S3_BUCKET_SSL_REQUESTS_ONLY,
    "KeysRotate": config.ManagedRuleIdentifiers.CMK_BACKING_KEY_ROTATION_ENABLED,
    "KeysNotPendingDeletion": config.ManagedRuleIdentifiers.KMS_CMK_NOT_SCHEDULED_FOR_DELETION,
    "LogGroupsEncrypted": config.ManagedRuleIdentifiers.CLOUDWATCH_LOG_GROUP_ENCRYPTED,
    "SnsTopicsEncrypted": config.ManagedRuleIdentifiers.SNS_ENCRYPTED_KMS,
    "TrailLogFilesValidated": config.ManagedRuleIdentifiers.CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED,
    "TrailEncrypted": config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENCRYPTION_ENABLED,
}
# Calls that change what the sealing key allows or whether it works at all. ScheduleKeyDeletion and
# DisableKey also have the stack's older rule (`KeyDeletionScheduled`, matched on the request's key id);
# this one matches the key the call resolved to, so an alias or another spelling of the id is caught too.
KEY_EVENTS = ["PutKeyPolicy", "DisableKey", "ScheduleKeyDeletion", "DisableKeyRotation"]
# Calls that change what an application role may do.
ROLE_EVENTS = ["PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy",
               "UpdateAssumeRolePolicy", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary"]
API_CALL = "AWS API Call via CloudTrail"


class Guardrails(Construct):
    """Wired by one line in `SafeSlotStack`; every alert goes to the stack's alert topic."""

    def __init__(self, scope: Construct, construct_id: str, *, alerts: sns.ITopic, sealing_key: kms.IKey,
                 app_roles: Sequence[iam.IRole], access_logs: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self.alerts = alerts
        self.detector = guardduty.CfnDetector(self, "GuardDuty", enable=True,
                                              finding_publishing_frequency="FIFTEEN_MINUTES")
        self._security_hub()
        self.trail = self._trail(access_logs)
        self._config_rules(access_logs)
        self._alert_on("SealingKeyChanged", "aws.kms", {
            "eventName": KEY_EVENTS, "resources": {"ARN": [sealing_key.key_arn]}})
        self._alert_on("AppRolePolicyChanged", "aws.iam", {
            "eventSource": ["iam.amazonaws.com"], "eventName": ROLE_EVENTS,
            "requestParameters": {"roleName": [role.role_name for role in app_roles]}})
        events.Rule(self, "SevereThreatFound", event_pattern=events.EventPattern(
            source=["aws.guardduty"], detail_type=["GuardDuty Finding"],
            detail={"severity": [{"numeric": [">=", 7]}]}), targets=[targets.SnsTopic(alerts)])

    def _security_hub(self) -> None:
        hub = securityhub.CfnHub(self, "SecurityHub", enable_default_standards=False,
                                 control_finding_generator="SECURITY_CONTROL", auto_enable_controls=True)
        standard = securityhub.CfnStandard(
            self, "FoundationalBestPractices",
            standards_arn=f"arn:{Stack.of(self).partition}:securityhub:{Stack.of(self).region}::{FSBP}")
        standard.add_dependency(hub)

    def _trail(self, access_logs: s3.IBucket) -> cloudtrail.Trail:
        """Every region's management events, global services included, into a private, versioned bucket,
        encrypted with a key of its own; each hour's digest file signs the log files (validation)."""
        stack = Stack.of(self)
        key = kms.Key(self, "TrailKey", description="SafeSlot CloudTrail logs key", enable_key_rotation=True,
                      removal_policy=RemovalPolicy.RETAIN, pending_window=Duration.days(30))
        trail_arn = f"arn:{stack.partition}:cloudtrail:*:{stack.account}:trail/*"
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
            actions=["kms:GenerateDataKey*"], resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arn},
                        "StringEquals": {"aws:SourceAccount": stack.account}}))
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")], actions=["kms:DescribeKey"],
            resources=["*"], conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))
        bucket = _private_bucket(self, "TrailBucket", access_logs, "trail/",
                                 encryption_key=key, lifecycle_rules=[s3.LifecycleRule(
                                     id="expire", expiration=Duration.days(7 * 365),
                                     noncurrent_version_expiration=Duration.days(30))])
        return cloudtrail.Trail(self, "Trail", bucket=bucket, encryption_key=key, enable_file_validation=True,
                                is_multi_region_trail=True, include_global_service_events=True,
                                management_events=cloudtrail.ReadWriteType.ALL)

    def _config_rules(self, access_logs: s3.IBucket) -> None:
        """A recorder of every supported resource type (global ones too), its delivery channel, and the rules."""
        role = iam.Role(self, "ConfigRole", assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "service-role/AWS_ConfigRole")])
        bucket = _private_bucket(self, "ConfigBucket", access_logs, "config/",
                                 encryption=s3.BucketEncryption.S3_MANAGED)
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("config.amazonaws.com")], actions=["s3:GetBucketAcl", "s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringEquals": {"AWS:SourceAccount": Stack.of(self).account}}))
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("config.amazonaws.com")], actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"AWSLogs/{Stack.of(self).account}/Config/*")],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                         "AWS:SourceAccount": Stack.of(self).account}}))
        recorder = config.CfnConfigurationRecorder(
            self, "Recorder", role_arn=role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True))
        channel = config.CfnDeliveryChannel(
            self, "DeliveryChannel", s3_bucket_name=bucket.bucket_name,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"))
        for name, identifier in CONFIG_RULES.items():
            rule = config.ManagedRule(self, name, identifier=identifier)
            rule.node.add_dependency(recorder)
            rule.node.add_dependency(channel)

    def _alert_on(self, name: str, source: str, detail: dict[str, Any]) -> events.Rule:
        return events.Rule(self, name, event_pattern=events.EventPattern(
            source=[source], detail_type=[API_CALL], detail=detail), targets=[targets.SnsTopic(self.alerts)])


def _private_bucket(scope: Construct, construct_id: str, access_logs: s3.IBucket, log_prefix: str,
                    **encryption: Any) -> s3.Bucket:
    return s3.Bucket(scope, construct_id, versioned=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                     enforce_ssl=True, minimum_tls_version=1.2, removal_policy=RemovalPolicy.RETAIN,
                     object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                     server_access_logs_bucket=access_logs, server_access_logs_prefix=log_prefix, **encryption)

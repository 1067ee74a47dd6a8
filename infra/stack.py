"""SafeSlot on AWS, one stack per stage (and a small one in the backup replica's region).

Every property here is asserted in tests/infra: key rotation, tables with PITR and deletion
protection, locked-down backup buckets, alarms, WAF, TLS 1.2, least-privilege IAM, log retention.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import (
    Annotations,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_apigateway as apigateway,
)
from aws_cdk import (
    aws_certificatemanager as acm,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cloudwatch_actions as cw_actions,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_events as events,
)
from aws_cdk import (
    aws_events_targets as targets,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from aws_cdk import (
    aws_wafv2 as wafv2,
)
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.api.schedules import DEADLINES, Deadline
from chalicelib.crypto.shred_keys import KEY_TABLE
from chalicelib.jobs.backup import EXPORTS
from chalicelib.jobs.runner import METRIC_NAMESPACE, SUCCESS_METRIC, failure_metric, metric_dimensions
from chalicelib.jobs.shred_key_file import KEYS
from chalicelib.services import mail_queue
from chalicelib.services.erasure.mirror import PREFIX as ERASURE_LEDGER_PREFIX
from chalicelib.services.exports.storage import PREFIX as ORG_EXPORTS
from chalicelib.services.identity.authentication import LOCKOUT_LOG_MESSAGE
from infra.guardrails import Guardrails
from infra.resources import AUDIT_DIGEST_RETENTION_YEARS, AUDIT_SIGNING_KEY_DESCRIPTION
from infra.tables import TableSpec, table_specs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
API_STAGE = "v"  # the API Gateway stage: the first path segment through the default endpoint
RESERVED_CONCURRENCY = 100  # caps the blast radius of a flood on DynamoDB and KMS
BACKUP_DAILY_DAYS, BACKUP_MONTHLY_DAYS = 35, 366
# The oldest run the backup job keeps (first of the month, 12 months back) is at most 12 * 31 days old:
# S3 expires backups a week after that, as a backstop to the job's own pruning.
BACKUP_KEPT_DAYS = 12 * 31 + 7
# The erasure ledger's mirror (services/erasure/mirror.py) must outlive every backup taken before an
# erasure, which expires at most BACKUP_KEPT_DAYS after it was made; a month more as a margin.
ERASURE_MIRROR_DAYS = BACKUP_KEPT_DAYS + 31
ORG_EXPORT_DAYS = 1  # an owner's encrypted export is deleted within a day (ADR 0013)
AUDIT_FUNCTIONS = ("daily_audit_digest", "daily_audit_verify", "audit_chain_sweep")  # run as the audit role
MAIL_CONSUMER = "MailQueue"  # chalicelib/api/queues.py's consumer of the mail queue (ADR 0016)
MAIL_QUEUE_OLDEST_SECONDS = 900  # a mail waiting this long means the consumer is stuck


@dataclass(frozen=True)
class StageConfig:
    stage: str
    replica_region: str
    allowed_origins: str = ""
    mail_from: str = "no-reply@safeslot.example"
    domain_name: str | None = None
    certificate_arn: str | None = None
    webauthn_rp_id: str = "localhost"
    alert_subscriptions: tuple[str, ...] = ()  # e-mail addresses, +E.164 phone numbers, https:// URLs
    primary_key_arn: str | None = None  # the deployed data key (output DataKeyArn), replicated to replica_region
    serve_prefix: str | None = None  # switch-over: serve restored tables named <serve_prefix><table>

    @property
    def serving_prefix(self) -> str:
        """The prefix of the tables the application uses: its own, or restored ones after a switch-over."""
        return self.serve_prefix or self.prefix

    @property
    def prefix(self) -> str:
        return f"safeslot-{self.stage}-"

    @property
    def backup_bucket(self) -> str:
        return f"{self.prefix}backups-{{account}}"

    @property
    def api_role_name(self) -> str:
        return f"{self.prefix}api"


class ReplicaStack(Stack):
    """The backup replica bucket and its own key, in a second region."""

    def __init__(self, scope: Construct, construct_id: str, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = _data_key(self, "ReplicaKey", f"SafeSlot {config.stage} backup replica key")
        app_role = iam.Role.from_role_name(self, "ApiRole", config.api_role_name)
        key.grant_encrypt_decrypt(app_role)
        self.bucket = _backup_bucket(self, "ReplicaBucket", key,
                                     config.backup_bucket.format(account=self.account) + "-replica",
                                     _access_log_bucket(self))
        self.bucket.grant_read_write(app_role)  # the daily backup copies here; the drill reads from here
        self._data_key_replica(config, app_role)

    def _data_key_replica(self, config: StageConfig, app_role: iam.IRole) -> None:
        """The multi-region data key's replica: what was sealed in the primary region opens here with the
        primary gone (the weekly drill proves it). Its ARN exists once the main stack is deployed, so
        `make deploy` deploys that stack first and passes its output DataKeyArn as `primary_key_arn`."""
        if not config.primary_key_arn:
            Annotations.of(self).add_warning_v2(
                "safeslot:no-key-replica", "No primary_key_arn: the replica region gets no data key replica; "
                "`make deploy` passes it after deploying the main stack.")
            return
        account_root = iam.AccountRootPrincipal()
        policy = iam.PolicyDocument(statements=[
            iam.PolicyStatement(principals=[account_root], actions=["kms:*"], resources=["*"]),
            iam.PolicyStatement(principals=[app_role],
                                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                                resources=["*"]),  # in a key policy, "*" means this key
        ])
        kms.CfnReplicaKey(self, "DataKeyReplica", primary_key_arn=config.primary_key_arn, key_policy=policy,
                          description=f"SafeSlot {config.stage} data key (replica)", pending_window_in_days=30)


class SafeSlotStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.key = _data_key(self, "DataKey", f"SafeSlot {config.stage} data key", multi_region=True)
        CfnOutput(self, "DataKeyArn", value=self.key.key_arn)  # the replica stack's primary_key_arn
        self.tables = {spec.logical_name: self._table(spec) for spec in table_specs(config.prefix)}
        self.access_logs = _access_log_bucket(self)
        self.backup_bucket = _backup_bucket(self, "BackupBucket", self.key,
                                            config.backup_bucket.format(account=self.account), self.access_logs)
        self.export_bucket = _org_export_bucket(self, self.key, self.access_logs)
        _allow_log_encryption(self.key, self)
        self.alerts = self._alert_topic()
        self.index_key_blob = self.node.try_get_context("index_key_blob") or ""
        self._audit_trail_resources()
        self.mail_queue, self.mail_dead_letters = self._mail_queue()
        self.chalice = self._chalice_app()
        self._grant_app_access()
        self._connect_mail_consumer()
        self._grant_audit_jobs()
        self._api_logging_and_tls()
        self._firewall()
        self._alarms()
        self._function_alarms()
        self._job_alarms()
        self._mail_queue_alarms()
        self._dashboard()
        Guardrails(self, "Guardrails", alerts=self.alerts, sealing_key=self.key, access_logs=self.access_logs,
                   app_roles=[self.api_role, self.audit_role])

    # --- data -------------------------------------------------------------------------------------

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self, f"Table-{spec.logical_name}",
            table_name=f"{self.config.prefix}{spec.logical_name}",
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True, recovery_period_in_days=spec.pitr_days),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=spec.ttl_attribute,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name, partition_key=_attribute(index.partition),
                sort_key=_attribute(index.sort) if index.sort else None,
                projection_type=dynamodb.ProjectionType[index.projection],
                non_key_attributes=list(index.non_key_attributes) or None,
            )
        return table

    # --- the Chalice app --------------------------------------------------------------------------

    def _chalice_app(self) -> Chalice:
        config = self.config
        environment = {
            "SAFESLOT_STAGE": config.stage,
            "SAFESLOT_TABLE_PREFIX": config.serving_prefix,
            "SAFESLOT_HOME_TABLE_PREFIX": config.prefix,  # the shred keys stay in the stage's own table
            "SAFESLOT_KEY_ARN": self.key.key_arn,
            "SAFESLOT_INDEX_KEY_BLOB": self.index_key_blob,
            "SAFESLOT_ALLOWED_ORIGINS": config.allowed_origins,
            "SAFESLOT_BACKUP_BUCKET": self.backup_bucket.bucket_name,
            "SAFESLOT_REPLICA_BUCKET": config.backup_bucket.format(account=self.account) + "-replica",
            "SAFESLOT_REPLICA_REGION": config.replica_region,
            "SAFESLOT_MAIL_FROM": config.mail_from,
            "SAFESLOT_WEBAUTHN_RP_ID": config.webauthn_rp_id,
            "SAFESLOT_WEBAUTHN_ORIGIN": f"https://{config.webauthn_rp_id}",
            "SAFESLOT_PUBLIC_URL": f"https://{config.webauthn_rp_id}",
            "SAFESLOT_ALERT_TOPIC_ARN": self.alerts.topic_arn,
            "SAFESLOT_AUDIT_DIGEST_BUCKET": self.digest_bucket.bucket_name,
            "SAFESLOT_AUDIT_SIGNING_KEY": self.signing_key.key_arn,
            "SAFESLOT_EXPORT_BUCKET": self.export_bucket.bucket_name,
            "SAFESLOT_MAIL_QUEUE_URL": self.mail_queue.queue_url,
        }
        role = iam.Role(self, "ApiRole", role_name=config.api_role_name,
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.api_role = role
        return Chalice(
            self, "App", source_dir=str(PROJECT_ROOT),
            stage_config={
                "api_gateway_stage": API_STAGE,
                "environment_variables": environment,
                "manage_iam_role": False,
                "iam_role_arn": role.role_arn,
            },
        )

    def _mail_queue(self) -> tuple[sqs.Queue, sqs.Queue]:
        """The queue "we sent you an e-mail if..." routes hand their work to (ADR 0016): encrypted with the
        data key, TLS only, and a dead-letter queue after MAX_RECEIVES failed tries, which alarms."""
        name = f"{self.config.prefix}{mail_queue.QUEUE_NAME}"
        dead = sqs.Queue(self, "MailDeadLetters", queue_name=f"{name}-dlq", encryption=sqs.QueueEncryption.KMS,
                         encryption_master_key=self.key, enforce_ssl=True,
                         retention_period=Duration.seconds(mail_queue.DLQ_RETENTION_SECONDS))
        queue = sqs.Queue(self, "MailQueue", queue_name=name, encryption=sqs.QueueEncryption.KMS,
                          encryption_master_key=self.key, enforce_ssl=True,
                          data_key_reuse=Duration.minutes(5),
                          visibility_timeout=Duration.seconds(mail_queue.VISIBILITY_TIMEOUT_SECONDS),
                          retention_period=Duration.seconds(mail_queue.RETENTION_SECONDS),
                          dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=mail_queue.MAX_RECEIVES,
                                                                queue=dead))
        return queue, dead

    def _connect_mail_consumer(self) -> None:
        """Chalice names a queue when it packages the app; the consumer's trigger is pointed at this stack's
        queue instead, and the API role may send to it and its consumer receive and delete."""
        function = self.chalice.get_resource(MAIL_CONSUMER)
        events = self._sam_functions()[MAIL_CONSUMER]["Properties"]["Events"]
        for event_name, event in events.items():
            if event["Type"] == "SQS":
                function.add_property_override(f"Events.{event_name}.Properties.Queue", self.mail_queue.queue_arn)
        self.mail_queue.grant_send_messages(self.api_role)
        self.mail_queue.grant_consume_messages(self.api_role)

    def _grant_app_access(self) -> None:
        role = self.api_role
        for table in self.tables.values():
            table.grant_read_write_data(role)
        self._grant_restored_tables(role)
        self.key.grant_encrypt_decrypt(role)  # encrypt, decrypt, generate data key: never key management
        _decrypt_only_by(self.key, role)  # vendor people reach sealed data only through support grants
        self.backup_bucket.grant_read_write(role)
        self.export_bucket.grant_read_write(role, f"{ORG_EXPORTS}*")  # owners' exports: write, link, delete
        self.alerts.grant_publish(role)
        self.digest_bucket.grant_read(role)  # verification on request; only the audit role writes digests
        self.signing_key.grant(role, "kms:GetPublicKey")
        role.add_to_policy(iam.PolicyStatement(
            actions=["ses:SendEmail", "ses:SendRawEmail"],  # raw: booking e-mails carry an .ics file
            resources=[f"arn:aws:ses:{self.region}:{self.account}:identity/{self.config.mail_from}"],
        ))
        role.add_to_policy(iam.PolicyStatement(
            actions=["sns:Publish"], resources=["*"],  # SMS to a phone number has no resource ARN
            conditions={"StringEquals": {"aws:RequestedRegion": self.region}},
        ))
        self._grant_backup_jobs(role)
        log_group = logs.LogGroup(self, "ApiLogs", retention=LOG_RETENTION, encryption_key=self.key,
                                  removal_policy=RemovalPolicy.RETAIN)
        log_group.grant_write(role)
        for name in self._function_names():
            self._harden_function(name, log_group)
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AWSXRayDaemonWriteAccess"))
        self.api_log_group = log_group

    def _grant_restored_tables(self, role: iam.Role) -> None:
        """After a switch-over the application reads and writes restored tables the stack did not create
        (their names begin with the stage prefix, so the backup and drill grants cover them already)."""
        if not self.config.serve_prefix:
            return
        tables = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.config.serve_prefix}"
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
                     "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                     "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
            resources=[f"{tables}*", f"{tables}*/index/*"]))

    def _grant_backup_jobs(self, role: iam.Role) -> None:
        """On-demand backups of our tables, and scratch tables for the restore drill (prefix `drill-`)."""
        tables = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.config.prefix}"
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:CreateBackup", "dynamodb:DeleteBackup", "dynamodb:DescribeBackup"],
            resources=[f"{tables}*", f"{tables}*/backup/*"]))
        role.add_to_policy(iam.PolicyStatement(  # ListBackups has no resource-level permissions
            actions=["dynamodb:ListBackups"], resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": self.region}}))
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable",
                     "dynamodb:BatchWriteItem", "dynamodb:Scan",
                     # scratch tables get the originals' protections (jobs/tables.py create_like)
                     "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive"],
            resources=[f"{tables}drill-*"]))
        role.add_to_policy(iam.PolicyStatement(  # ADR 0010: no copy of the shred keys a restore could bring back
            effect=iam.Effect.DENY,
            actions=["dynamodb:CreateBackup", "dynamodb:ExportTableToPointInTime",
                     "dynamodb:RestoreTableToPointInTime"],
            resources=[f"{tables}{KEY_TABLE}"]))
        role.add_to_policy(iam.PolicyStatement(  # tables encrypted with the data key need a grant on it
            actions=["kms:CreateGrant", "kms:DescribeKey"], resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{self.region}.amazonaws.com"},
                        "Bool": {"kms:GrantIsForAWSResource": "true"}}))

    def _function_names(self) -> list[str]:
        """Logical ids of every function the Chalice app packages (the API and each scheduled job)."""
        return sorted(self._sam_functions())

    def _sam_functions(self) -> dict[str, Any]:
        template = json.loads((Path(self.chalice._sam_package_dir) / "sam.json").read_text())
        return {name: resource for name, resource in template["Resources"].items()
                if resource["Type"] == "AWS::Serverless::Function"}

    def _harden_function(self, name: str, log_group: logs.LogGroup) -> None:
        function = self.chalice.get_resource(name)
        function.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name, "LogFormat": "JSON"})
        function.add_property_override("Tracing", "Active")
        function.add_property_override("KmsKeyArn", self.key.key_arn)  # environment encrypted at rest
        # the API is capped against floods; each job runs one at a time, so runs never overlap; the mail
        # consumer gets room for the trigger's maximum concurrency, so SQS never meets a throttle
        concurrency = {"APIHandler": RESERVED_CONCURRENCY, MAIL_CONSUMER: 2 * mail_queue.MAX_CONSUMERS}
        function.add_property_override("ReservedConcurrentExecutions", concurrency.get(name, 1))
        _skip_checks(function, {
            "CKV_AWS_116": "The API is invoked synchronously by API Gateway and the jobs by EventBridge rules "
                           "whose failures alarm; the mail consumer's queue has its own dead-letter queue, "
                           "which alarms.",
            "CKV_AWS_117": "Calls only AWS APIs (DynamoDB, KMS, S3, SES, SNS) over TLS and reaches no private "
                           "resource; a VPC would add NAT or endpoints and no protection.",
        })

    def _api_logging_and_tls(self) -> None:
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=LOG_RETENTION, encryption_key=self.key,
                                    removal_policy=RemovalPolicy.RETAIN)
        api = self.chalice.get_resource("RestAPI")
        _skip_checks(api, {"CKV_AWS_120": "Responses are personal and marked no-store; a cache would serve "
                                          "one caller's data to another."})
        api.add_property_override("AccessLogSetting", {
            "DestinationArn": access_logs.log_group_arn,
            "Format": '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                      '"method":"$context.httpMethod","path":"$context.resourcePath",'
                      '"status":"$context.status","latencyMs":"$context.responseLatency"}',
        })
        api.add_property_override("TracingEnabled", True)
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True, "DataTraceEnabled": False,
            "ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}])
        config = self.config
        url = (f"https://{config.domain_name}/" if config.domain_name else
               f"https://{api.ref}.execute-api.{self.region}.amazonaws.com/{API_STAGE}/")
        CfnOutput(self, "ApiUrl", value=url)
        if config.domain_name and config.certificate_arn:
            api.add_property_override("DisableExecuteApiEndpoint", True)
            domain = apigateway.CfnDomainName(
                self, "ApiDomain", domain_name=config.domain_name,
                regional_certificate_arn=acm.Certificate.from_certificate_arn(
                    self, "Certificate", config.certificate_arn).certificate_arn,
                endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(types=["REGIONAL"]),
                security_policy="TLS_1_2",
            )
            apigateway.CfnBasePathMapping(self, "ApiMapping", domain_name=domain.ref,
                                          rest_api_id=api.ref, stage=API_STAGE)

    def _path_prefix(self) -> str:
        """What precedes /v1 in the path WAF sees: nothing through the custom domain (mapped at the root,
        the default endpoint disabled), the stage name through the default endpoint."""
        return "" if self.config.domain_name and self.config.certificate_arn else f"/{API_STAGE}"

    def _firewall(self) -> None:
        def rate_rule(name: str, priority: int, path_prefix: str, limit: int) -> Any:
            return wafv2.CfnWebACL.RuleProperty(
                name=name, priority=priority, action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                visibility_config=_visibility(name),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=(
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=limit, aggregate_key_type="IP",
                        scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                                positional_constraint="STARTS_WITH", search_string=path_prefix,
                                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                                    priority=0, type="NONE")],
                            ))))))

        managed = wafv2.CfnWebACL.RuleProperty(
            name="aws-common", priority=0, override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=_visibility("aws-common"),
            statement=wafv2.CfnWebACL.StatementProperty(managed_rule_group_statement=(
                wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name="AWSManagedRulesKnownBadInputsRuleSet"))))
        acl = wafv2.CfnWebACL(
            self, "WebAcl", scope="REGIONAL", default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("safeslot"),
            rules=[managed, rate_rule("auth-rate", 1, f"{self._path_prefix()}/v1/auth", 300),
                   rate_rule("public-rate", 2, f"{self._path_prefix()}/v1/public", 1000)],
        )
        api = self.chalice.get_resource("RestAPI")
        association = wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", web_acl_arn=acl.attr_arn,
            resource_arn=f"arn:aws:apigateway:{self.region}::/restapis/{api.ref}/stages/{API_STAGE}",
        )
        association.add_override("DependsOn", ["RestAPIvStage"])  # the stage SAM's transform creates
        Annotations.of(association).acknowledge_warning(
            "CloudFormation-Validate::E3005", "RestAPIvStage is created by the SAM transform")

    # --- alarms -----------------------------------------------------------------------------------

    def _alert_topic(self) -> sns.Topic:
        """The topic alarms publish to, under a key of its own whose policy lets CloudWatch and
        EventBridge use it (an alarm cannot publish to a topic whose key it may not use); operators
        subscribe from configuration (`alert_subscriptions`)."""
        key = kms.Key(self, "AlertsKey", description=f"SafeSlot {self.config.stage} alerts topic key",
                      enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN,
                      pending_window=Duration.days(30))
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                        iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],  # "*": this key
            conditions={"StringEquals": {"aws:SourceAccount": self.account}}))
        topic = sns.Topic(self, "Alerts", master_key=key, display_name="SafeSlot alerts", enforce_ssl=True)
        for endpoint in self.config.alert_subscriptions:
            sns.Subscription(self, f"AlertSubscription-{_subscription_id(endpoint)}", topic=topic,
                             endpoint=endpoint, protocol=_subscription_protocol(endpoint))
        self.alerts_key = key
        return topic

    def _alarm(self, name: str, metric: cloudwatch.Metric, threshold: float, *,
               period: Duration | None = None, evaluation_periods: int = 1,
               comparison: cloudwatch.ComparisonOperator =
               cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
               missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
               ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self, name, metric=metric.with_(period=period or Duration.minutes(5)), threshold=threshold,
            evaluation_periods=evaluation_periods, datapoints_to_alarm=evaluation_periods,
            treat_missing_data=missing, comparison_operator=comparison)
        alarm.add_alarm_action(cw_actions.SnsAction(self.alerts))
        return alarm

    def _function_alarms(self) -> None:
        """Errors, throttles and near-timeout durations of every function (the API and each job)."""
        for name in self._function_names():
            function = self.chalice.get_resource(name)
            dimensions = {"FunctionName": function.ref}
            timeout = self._sam_functions()[name]["Properties"].get("Timeout", 60)
            for metric_name, statistic, threshold in (("Errors", "Sum", 1), ("Throttles", "Sum", 1),
                                                      ("Duration", "Maximum", timeout * 1000 * 0.8)):
                self._alarm(f"{name}{metric_name}", cloudwatch.Metric(
                    namespace="AWS/Lambda", metric_name=metric_name, dimensions_map=dimensions,
                    statistic=statistic), threshold)

    def _job_alarms(self) -> None:
        """For each scheduled job: its failures (as the job runner emits them, with its exact dimensions),
        and a dead man's switch that alarms when no run has succeeded within the job's deadline."""
        for name, deadline in self._scheduled_jobs().items():
            dimensions = metric_dimensions(deadline.job)
            self._alarm(f"{name}Failed", cloudwatch.Metric(
                namespace=METRIC_NAMESPACE, metric_name=failure_metric(deadline.job),
                dimensions_map=dimensions, statistic="Sum"), 1)
            self._alarm(f"{name}NotSucceeding", cloudwatch.Metric(
                namespace=METRIC_NAMESPACE, metric_name=SUCCESS_METRIC, dimensions_map=dimensions,
                statistic="Sum"), 1, period=Duration.hours(1), evaluation_periods=deadline.hours,
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=cloudwatch.TreatMissingData.BREACHING)

    def _scheduled_jobs(self) -> dict[str, Deadline]:
        """Each scheduled function's logical id -> its job and deadline; a schedule without one is an error."""
        deadlines = {_logical_id(function): deadline for function, deadline in DEADLINES.items()}
        scheduled = [name for name in self._function_names() if name not in ("APIHandler", MAIL_CONSUMER)]
        missing = [name for name in scheduled if name not in deadlines]
        if missing:
            raise ValueError(f"scheduled functions without a deadline in schedules.DEADLINES: {missing}")
        return {name: deadlines[name] for name in scheduled}

    def _dashboard(self) -> None:
        """One page of the service's health: API traffic and errors, every function, every job."""
        api = {"ApiName": "safeslot"}
        functions = {name: {"FunctionName": self.chalice.get_resource(name).ref} for name in self._function_names()}

        def lambda_metrics(metric_name: str, statistic: str) -> list[cloudwatch.IMetric]:
            return [cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name, dimensions_map=dims,
                                      statistic=statistic, label=name) for name, dims in functions.items()]

        def job_metrics(metric_name: str | None) -> list[cloudwatch.IMetric]:
            return [cloudwatch.Metric(namespace=METRIC_NAMESPACE, label=d.job, statistic="Sum",
                                      metric_name=metric_name or failure_metric(d.job),
                                      dimensions_map=metric_dimensions(d.job))
                    for d in self._scheduled_jobs().values()]

        dashboard = cloudwatch.Dashboard(self, "Health", dashboard_name=f"safeslot-{self.config.stage}")
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests and errors", left=[
                cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=m, dimensions_map=api, statistic="Sum")
                for m in ("Count", "4XXError", "5XXError")]),
            cloudwatch.GraphWidget(title="API latency p99 (ms)", left=[cloudwatch.Metric(
                namespace="AWS/ApiGateway", metric_name="Latency", dimensions_map=api, statistic="p99")]),
            cloudwatch.GraphWidget(title="Function errors", left=lambda_metrics("Errors", "Sum")),
            cloudwatch.GraphWidget(title="Function throttles", left=lambda_metrics("Throttles", "Sum")),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Job successes", left=job_metrics(SUCCESS_METRIC)),
            cloudwatch.GraphWidget(title="Job failures", left=job_metrics(None)),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=[
                c for c in self.node.children if isinstance(c, cloudwatch.Alarm)], width=12),
        )

    def _mail_queue_alarms(self) -> None:
        """A mail that failed MAX_RECEIVES times (it sits in the dead-letter queue), and one waiting too long."""
        self._alarm("MailDeadLettersWaiting", self.mail_dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"), 1)
        self._alarm("MailQueueStuck", self.mail_queue.metric_approximate_age_of_oldest_message(
            period=Duration.minutes(5), statistic="Maximum"), MAIL_QUEUE_OLDEST_SECONDS)

    def _alarms(self) -> None:
        api_name = {"ApiName": "safeslot"}
        lockouts = logs.MetricFilter(
            self, "LockoutMetric", log_group=self.api_log_group, metric_namespace="SafeSlot",
            metric_name="AccountLockouts", metric_value="1",
            filter_pattern=logs.FilterPattern.string_value("$.message", "=", LOCKOUT_LOG_MESSAGE))
        alarms = {
            "Api5xxRate": (cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                                             dimensions_map=api_name, statistic="Average"), 0.01),
            "LockoutSpike": (lockouts.metric(statistic="Sum"), 20),
        }
        for name, (metric, threshold) in alarms.items():
            self._alarm(name, metric, threshold)
        events.Rule(
            self, "KeyDeletionScheduled", event_pattern=events.EventPattern(
                source=["aws.kms"], detail_type=["AWS API Call via CloudTrail"],
                detail={"eventName": ["ScheduleKeyDeletion", "DisableKey"],
                        "requestParameters": {"keyId": [self.key.key_arn, self.key.key_id]}}),
            targets=[targets.SnsTopic(self.alerts)])


    # --- the audit trail (docs/adr/0008-audit-outbox-and-signed-digests.md) ---------------------

    def _audit_trail_resources(self) -> None:
        """The digest bucket (compliance-mode Object Lock), the signing key and the role of the audit jobs."""
        self.audit_role = iam.Role(self, "AuditJobRole", role_name=f"{self.config.prefix}audit-jobs",
                                   assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.signing_key = kms.Key(
            self, "AuditSigningKey", description=AUDIT_SIGNING_KEY_DESCRIPTION,
            key_spec=kms.KeySpec.ECC_NIST_P256, key_usage=kms.KeyUsage.SIGN_VERIFY,
            removal_policy=RemovalPolicy.RETAIN, pending_window=Duration.days(30))
        _skip_checks(self.signing_key.node.default_child, {
            "CKV_AWS_7": "Asymmetric KMS keys cannot rotate automatically; digests name the key that signed them."})
        self.signing_key.grant(self.audit_role, "kms:Sign", "kms:GetPublicKey")
        self.digest_bucket = s3.Bucket(
            self, "AuditDigestBucket", versioned=True, object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(
                Duration.days(365 * AUDIT_DIGEST_RETENTION_YEARS + 2)),
            encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=self.access_logs, server_access_logs_prefix="audit-digests/")

    def _grant_audit_jobs(self) -> None:
        """Chain, sign and verify: the audit tables, the orgs list, the digest bucket, alerts, its logs."""
        role = self.audit_role
        for function in AUDIT_FUNCTIONS:  # chalice takes one role per stage from CDK: these run as the audit role
            self.chalice.get_resource(_logical_id(function)).add_property_override("Role", role.role_arn)
        for name in ("audit_events", "audit_outbox"):
            self.tables[name].grant_read_write_data(role)
        self.tables["orgs"].grant_read_data(role)
        self.digest_bucket.grant_read(role)
        role.add_to_policy(iam.PolicyStatement(  # write once, under the bucket's lock: never delete
            actions=["s3:PutObject", "s3:PutObjectRetention"],
            resources=[self.digest_bucket.arn_for_objects("digests/*")]))
        self.key.grant_encrypt_decrypt(role)
        self.alerts.grant_publish(role)
        self.api_log_group.grant_write(role)
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AWSXRayDaemonWriteAccess"))


def _logical_id(function_name: str) -> str:
    """The logical id `chalice package` gives a function (daily_backup -> DailyBackup)."""
    return "".join(part.capitalize() for part in function_name.split("_"))


def _subscription_protocol(endpoint: str) -> sns.SubscriptionProtocol:
    if endpoint.startswith("https://"):
        return sns.SubscriptionProtocol.HTTPS
    if endpoint.startswith("+"):
        return sns.SubscriptionProtocol.SMS
    if "@" in endpoint:
        return sns.SubscriptionProtocol.EMAIL
    raise ValueError("an alert subscription is an e-mail address, a +E.164 phone number or an https:// URL")


def _subscription_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:8]  # stable, and no address in a logical id


def _data_key(scope: Construct, construct_id: str, description: str, multi_region: bool = False) -> kms.Key:
    return kms.Key(scope, construct_id, description=description, enable_key_rotation=True,
                   removal_policy=RemovalPolicy.RETAIN, pending_window=Duration.days(30),
                   multi_region=multi_region)


def _access_log_bucket(scope: Construct) -> s3.Bucket:
    """Server access logs of the backup bucket (S3 delivers them only to SSE-S3 buckets)."""
    bucket = s3.Bucket(
        scope, "AccessLogBucket", versioned=True, encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(BACKUP_MONTHLY_DAYS + 35))],
    )
    _skip_checks(bucket.node.default_child, {"CKV_AWS_18": "This is the access-log bucket; logging it to "
                                                           "itself would loop."})
    return bucket


def _allow_log_encryption(key: kms.Key, stack: Stack) -> None:
    """CloudWatch Logs encrypts this stack's log groups with the data key, for log groups of this account only."""
    key.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],  # in a key policy, "*" means this key
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                f"arn:aws:logs:{stack.region}:{stack.account}:log-group:*"}},
    ))


def _decrypt_only_by(key: kms.Key, role: iam.Role) -> None:
    """Deny direct decryption with the data key to every principal but the application's role, whatever
    their IAM policies say (an account administrator included). Decryption that an AWS service does on a
    caller's behalf (DynamoDB and S3 server-side encryption, CloudWatch Logs, SNS) is left to IAM: what it
    returns of our tables is still sealed. docs/security.md says what this leaves open."""
    key.add_to_resource_policy(iam.PolicyStatement(
        sid="DecryptOnlyByTheApplication", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
        actions=["kms:Decrypt", "kms:ReEncryptFrom"], resources=["*"],
        conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn]},
                    "BoolIfExists": {"aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false"}},
    ))


def _skip_checks(resource: Any, reasons: dict[str, str]) -> None:
    """Suppress checkov checks on one resource, each with its written reason."""
    resource.add_metadata("checkov", {"skip": [{"id": check, "comment": why} for check, why in reasons.items()]})


def _backup_bucket(scope: Construct, construct_id: str, key: kms.IKey, name: str,
                   access_logs: s3.Bucket) -> s3.Bucket:
    return s3.Bucket(
        scope, construct_id, bucket_name=name, versioned=True, object_lock_enabled=True,
        server_access_logs_bucket=access_logs, server_access_logs_prefix=f"{name}/",
        object_lock_default_retention=s3.ObjectLockRetention.governance(Duration.days(BACKUP_DAILY_DAYS)),
        encryption=s3.BucketEncryption.KMS, encryption_key=key, bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
        minimum_tls_version=1.2, removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=[
            # Every file of a run is under EXPORTS; the job prunes runs, which leaves noncurrent versions.
            s3.LifecycleRule(id="exports", prefix=EXPORTS, expiration=Duration.days(BACKUP_KEPT_DAYS),
                             noncurrent_version_expiration=Duration.days(1),
                             abort_incomplete_multipart_upload_after=Duration.days(1)),
            # The shred key file is overwritten each run, each version locked a day only: an overwritten
            # version (it may hold a key destroyed since) goes a day after it stops being current.
            s3.LifecycleRule(id="shred-keys", prefix=KEYS, noncurrent_version_expiration=Duration.days(1),
                             abort_incomplete_multipart_upload_after=Duration.days(1)),
            # Never pruned by the backup job: erasures are replayed by every restore of an older backup.
            s3.LifecycleRule(id="erasure-ledger", prefix=ERASURE_LEDGER_PREFIX,
                             expiration=Duration.days(ERASURE_MIRROR_DAYS),
                             noncurrent_version_expiration=Duration.days(1)),
        ],
    )


def _org_export_bucket(scope: Construct, key: kms.IKey, access_logs: s3.Bucket) -> s3.Bucket:
    """Owners' encrypted exports: private, SSE-KMS, TLS only, unversioned, every object gone within a day."""
    bucket = s3.Bucket(
        scope, "OrgExportBucket", versioned=False, encryption=s3.BucketEncryption.KMS, encryption_key=key,
        bucket_key_enabled=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
        minimum_tls_version=1.2, object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN, server_access_logs_bucket=access_logs,
        server_access_logs_prefix="org-exports/",
        lifecycle_rules=[s3.LifecycleRule(id="org-exports", prefix=ORG_EXPORTS,
                                          expiration=Duration.days(ORG_EXPORT_DAYS),
                                          abort_incomplete_multipart_upload_after=Duration.days(1))],
    )
    _skip_checks(bucket.node.default_child, {
        "CKV_AWS_21": "Exports must be gone within a day; versions would outlive the lifecycle rule.",
        "CKV_AWS_144": "A day-long copy for one download needs no replica in a second region."})
    return bucket


def _attribute(key: Any) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=getattr(dynamodb.AttributeType, key.type))


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)

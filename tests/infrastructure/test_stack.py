"""The synthesized CloudFormation, checked property by property (moto cannot deploy it faithfully)."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest

pytest.importorskip("aws_cdk")  # installed by requirements-dev.txt; absent only outside `make test`
from aws_cdk.assertions import Match, Template

from chalicelib.jobs.shred_key_file import KEY_FILE

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
DOMAIN = {"domain_name": "book.clinic.example",
          "certificate_arn": "arn:aws:acm:us-east-1:111111111111:certificate/abc"}


def synth(tmp_path_factory, context: dict[str, str]):
    """Synthesize both stacks. `chalice package` exports the stage's variables (CDK tokens) into this
    process's environment: they are put back, so that later tests in the process see their own."""
    from chalicelib.config import settings
    from infra.app import build_app

    saved = dict(os.environ)
    stage = context.get("stage", "test")
    try:
        app = build_app(context={"stage": stage, **context},
                        outdir=str(tmp_path_factory.mktemp("cdk")))
        main = app.node.find_child(f"SafeSlot-{stage}")
        replica = app.node.find_child(f"SafeSlot-{stage}-replica")
        assembly = app.synth()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
    return Template.from_stack(main), Template.from_stack(replica), assembly


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    return synth(tmp_path_factory, {})


@pytest.fixture(scope="module")
def main(stacks):
    return stacks[0]


@pytest.fixture(scope="module")
def replica(stacks):
    return stacks[1]


def resources(template: Template, kind: str) -> dict:
    return template.find_resources(kind)


def test_every_key_rotates_and_is_retained(main, replica):
    for template in (main, replica):
        keys = resources(template, "AWS::KMS::Key")
        assert keys
        for key in keys.values():
            signing = key["Properties"].get("KeyUsage") == "SIGN_VERIFY"  # asymmetric keys cannot rotate
            assert key["Properties"].get("EnableKeyRotation") is (None if signing else True)
            assert key["DeletionPolicy"] == "Retain"


def test_application_role_cannot_manage_or_delete_keys_and_has_no_wildcard_actions(main):
    for policy in resources(main, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith("*") and ":" in a and a.split(":")[1] == "*" for a in actions), actions
            assert "kms:ScheduleKeyDeletion" not in actions and "kms:*" not in actions
            if statement["Resource"] == "*":  # only actions that have no resource-level permissions
                assert actions in (["sns:Publish"], ["dynamodb:ListBackups"])
                assert "aws:RequestedRegion" in json.dumps(statement["Condition"])


def test_key_policy_grants_no_key_deletion_to_application_roles(main):
    for key in resources(main, "AWS::KMS::Key").values():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = json.dumps(statement.get("Principal", {}))
            if "ApiRole" in principal:
                assert "kms:ScheduleKeyDeletion" not in json.dumps(statement["Action"])


def test_every_table_is_on_demand_encrypted_with_the_key_recoverable_and_retained(main):
    from infra.tables import table_specs

    tables = resources(main, "AWS::DynamoDB::Table")
    names = {t["Properties"]["TableName"]: t for t in tables.values()}
    specs = table_specs("safeslot-test-")
    assert set(names) == {f"safeslot-test-{s.logical_name}" for s in specs}
    for spec in specs:
        table = names[f"safeslot-test-{spec.logical_name}"]
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"]["SSEEnabled"] is True and props["SSESpecification"]["SSEType"] == "KMS"
        assert "DataKey" in json.dumps(props["SSESpecification"]["KMSMasterKeyId"])
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
        ttl = props.get("TimeToLiveSpecification")
        assert (ttl or {}).get("AttributeName") == spec.ttl_attribute
        assert {i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])} == {i.name for i in spec.indexes}


def test_every_index_projects_what_its_model_declares_and_availability_reads_a_lean_one(main):
    """The slots query reads one index of small items (ADR 0019): keys plus what blocks time."""
    tables = {t["Properties"]["TableName"]: t for t in resources(main, "AWS::DynamoDB::Table").values()}
    indexes = {i["IndexName"]: i["Projection"]
               for i in tables["safeslot-test-bookings"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes["by-start"] == {"ProjectionType": "ALL"}
    assert indexes["busy-by-start"]["ProjectionType"] == "INCLUDE"
    assert sorted(indexes["busy-by-start"]["NonKeyAttributes"]) == ["granules", "hold_expires_at", "staff_id",
                                                                    "status"]


def assert_backup_bucket(template: Template) -> None:
    buckets = {name: b for name, b in resources(template, "AWS::S3::Bucket").items()
               if not name.startswith(("AccessLogBucket", "AuditDigestBucket", "OrgExportBucket", "Guardrails"))}
    assert len(buckets) == 1
    bucket = next(iter(buckets.values()))
    props = bucket["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert_backup_files_expire(props["LifecycleConfiguration"]["Rules"])
    assert_erasure_mirror_outlives_the_backups(props["LifecycleConfiguration"]["Rules"])
    assert bucket["DeletionPolicy"] == "Retain"
    assert "AccessLogBucket" in json.dumps(props["LoggingConfiguration"])
    policy = json.dumps(resources(template, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policy and '"Effect": "Deny"' in policy


def assert_backup_files_expire(rules: list[dict]) -> None:
    """Every file the backup job writes (all under backup.EXPORTS) expires, never before the job would still
    keep its run; the versions its pruning leaves behind expire too (they lived on forever)."""
    from chalicelib.config import settings
    from chalicelib.jobs import backup

    covering = [r for r in rules if r["Status"] == "Enabled"
                and backup.EXPORTS.startswith(r.get("Prefix", r.get("Filter", {}).get("Prefix", "")))]
    assert covering, f"no lifecycle rule covers {backup.EXPORTS}"
    oldest_kept = max_age_of_a_kept_run(settings().backups_daily, settings().backups_monthly)
    expirations = [r.get("ExpirationInDays") for r in covering]
    assert None not in expirations and min(expirations) > oldest_kept
    assert any(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for r in covering)


def assert_erasure_mirror_outlives_the_backups(rules: list[dict]) -> None:
    """The erasure ledger's mirror expires only after every backup that could be restored over it."""
    from chalicelib.services.erasure import mirror

    def prefix(rule: dict) -> str:
        return str(rule.get("Prefix", rule.get("Filter", {}).get("Prefix", "")))

    enabled = [r for r in rules if r["Status"] == "Enabled"]
    mirror_rules = [r for r in enabled if mirror.PREFIX.startswith(prefix(r))]
    backup_days = max(r["ExpirationInDays"] for r in enabled if prefix(r) == "exports/")
    assert mirror_rules and all(r.get("ExpirationInDays", 10 ** 6) > backup_days for r in mirror_rules)


def max_age_of_a_kept_run(daily: int, monthly: int) -> int:
    """The age in days of the oldest run the job keeps, over two years of daily runs."""
    from datetime import date, timedelta

    from chalicelib.jobs.backup import runs_to_keep

    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(730)]
    oldest = 0
    for today_index, today in enumerate(days):
        kept = runs_to_keep([d.isoformat() for d in days[:today_index + 1]], daily, monthly)
        oldest = max(oldest, (today - date.fromisoformat(min(kept))).days)
    return oldest


def test_backup_buckets_are_versioned_locked_encrypted_private_and_tls_only(main, replica):
    assert_backup_bucket(main)
    assert_backup_bucket(replica)


def test_replica_lives_in_a_second_region(stacks):
    _, _, assembly = stacks
    regions = {stack.stack_name: stack.environment.region for stack in assembly.stacks}
    assert regions["SafeSlot-test"] != regions["SafeSlot-test-replica"]


def test_alert_topic_is_encrypted_and_every_alarm_notifies_it(main):
    topics = resources(main, "AWS::SNS::Topic")
    assert len(topics) == 1 and "KmsMasterKeyId" in next(iter(topics.values()))["Properties"]
    alarms = resources(main, "AWS::CloudWatch::Alarm")
    metrics = {a["Properties"].get("MetricName") for a in alarms.values()}
    assert {"Errors", "Throttles", "Duration", "5XXError", "AccountLockouts", "BackupFailures",
            "RestoreDrillFailures", "JobSucceeded"} <= metrics
    for alarm in alarms.values():
        assert "Alerts" in json.dumps(alarm["Properties"]["AlarmActions"])


def test_scheduled_key_deletion_raises_an_alert(main):
    main.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": Match.object_like({"source": ["aws.kms"], "detail": Match.object_like({
            "eventName": Match.array_with(["ScheduleKeyDeletion"])})}),
        "Targets": Match.any_value(),
    })


def test_api_has_a_web_acl_with_rate_limits_on_auth_and_public_routes(main):
    acl = next(iter(resources(main, "AWS::WAFv2::WebACL").values()))["Properties"]
    rate_rules = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acl["Rules"]
                  if "RateBasedStatement" in r["Statement"]}
    assert set(rate_rules) == {"auth-rate", "public-rate"}
    assert "/v1/auth" in json.dumps(rate_rules["auth-rate"]) and "/v1/public" in json.dumps(rate_rules["public-rate"])
    assert resources(main, "AWS::WAFv2::WebACLAssociation")


def test_api_writes_access_logs_and_function_logs_with_retention(main):
    api = next(iter(resources(main, "AWS::Serverless::Api").values()))["Properties"]
    assert "DestinationArn" in api["AccessLogSetting"]
    groups = resources(main, "AWS::Logs::LogGroup")
    assert len(groups) >= 2 and all(g["Properties"]["RetentionInDays"] == 365 for g in groups.values())
    function = next(iter(resources(main, "AWS::Serverless::Function").values()))["Properties"]
    assert "LogGroup" in function["LoggingConfig"]


def test_every_job_runs_on_its_schedule_alone_with_the_long_timeout_and_the_apis_hardening(main):
    functions = resources(main, "AWS::Serverless::Function")
    jobs = {name: f["Properties"] for name, f in functions.items() if name not in ("APIHandler", "MailQueue")}

    assert set(jobs) == {"DailyBackup", "WeeklyRestoreDrill", "DailyAccounts", "DailyRetention",
                         "AppointmentReminders", "PolicyNotices", "AuditChainSweep", "DailyAuditDigest",
                         "DailyAuditVerify", "OrgExports", "DailyOrgDeletions"}
    for name, job in jobs.items():
        assert [event["Type"] for event in job["Events"].values()] == ["Schedule"], name
        timeout = 120 if name == "AuditChainSweep" else 900
        assert (job["Timeout"], job["ReservedConcurrentExecutions"], job["Tracing"]) == (timeout, 1, "Active")
        assert "LogGroup" in job["LoggingConfig"] and "DataKey" in json.dumps(job["KmsKeyArn"])
    assert "cron(0 3 * * ? *)" in json.dumps(jobs["DailyBackup"]["Events"])


def test_function_environment_points_at_the_stage_resources(main):
    function = next(iter(resources(main, "AWS::Serverless::Function").values()))["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["SAFESLOT_STAGE"] == "test" and variables["SAFESLOT_TABLE_PREFIX"] == "safeslot-test-"
    assert "DataKey" in json.dumps(variables["SAFESLOT_KEY_ARN"])
    assert "BackupBucket" in json.dumps(variables["SAFESLOT_BACKUP_BUCKET"])
    assert "ApiRole" in json.dumps(function["Role"])


def test_custom_domain_uses_tls_1_2_and_disables_the_default_endpoint(tmp_path_factory):
    main, _, _ = synth(tmp_path_factory, DOMAIN)

    main.has_resource_properties("AWS::ApiGateway::DomainName", {
        "DomainName": "book.clinic.example", "SecurityPolicy": "TLS_1_2"})
    api = next(iter(resources(main, "AWS::Serverless::Api").values()))["Properties"]
    assert api["DisableExecuteApiEndpoint"] is True


def test_templates_pass_cfn_lint(stacks, tmp_path):
    from cfnlint.api import lint_all

    _, _, assembly = stacks
    for stack in assembly.stacks:
        path = tmp_path / f"{stack.stack_name}.json"
        path.write_text(json.dumps(stack.template))
        problems = [m for m in lint_all(path.read_text()) if m.rule.id[0] in "EW"]
        assert problems == [], [f"{m.rule.id} {m.message}" for m in problems]


CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"


def test_checkov_finds_nothing_but_suppressions_with_written_reasons(stacks, tmp_path):
    _, _, assembly = stacks
    for stack in assembly.stacks:
        (tmp_path / f"{stack.stack_name}.json").write_text(json.dumps(stack.template))
    assert CHECKOV.exists(), "make test installs checkov into .venv-checkov"

    run = subprocess.run([str(CHECKOV), "-d", str(tmp_path), "--framework", "cloudformation", "--output", "json",
                          "--skip-download"], capture_output=True, text=True, timeout=600)

    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert sum(r["summary"]["resource_count"] for r in reports) > 30
    assert sum(r["summary"]["passed"] for r in reports) > 50
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    assert failed == [], [(c["check_id"], c["resource"]) for c in failed]
    assert all(len((c.get("check_result") or {}).get("suppress_comment", "")) > 20 for c in skipped)


def test_lambda_package_holds_the_app_and_runtime_requirements_only(stacks):
    _, _, assembly = stacks
    packages = list(Path(assembly.directory).glob("asset.*.zip"))
    assert len(packages) == 1

    names = zipfile.ZipFile(packages[0]).namelist()

    assert {"app.py", "chalicelib/openapi.yaml", "chalicelib/api/http.py", "pynamodb/models.py"} <= set(names)
    assert not any(n.startswith(("tests/", "infra/", "bench/", "scripts/", "moto/", "_pytest/", "chalice/cli"))
                   for n in names)


def test_only_the_application_role_decrypts_with_the_data_key_directly(main):
    """Vendor engineers with console access cannot open sealed data: the key policy denies them Decrypt."""
    (data_key,) = [k for name, k in resources(main, "AWS::KMS::Key").items() if name.startswith("DataKey")]
    statements = data_key["Properties"]["KeyPolicy"]["Statement"]
    (deny,) = [s for s in statements if s.get("Sid") == "DecryptOnlyByTheApplication"]

    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert set(deny["Action"]) == {"kms:Decrypt", "kms:ReEncryptFrom"}
    allowed = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert len(allowed) == 1 and "ApiRole" in json.dumps(allowed)
    assert deny["Condition"]["BoolIfExists"] == {"aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false"}


def test_rate_rules_match_the_paths_clients_send_through_the_default_endpoint(main):
    from tests.infrastructure.test_operations import rate_limited

    assert rate_limited(main, "/v/v1/auth/login") == {"auth-rate"}
    assert rate_limited(main, "/v/v1/public/orgs/demo") == {"public-rate"}
    assert rate_limited(main, "/v1/auth/login") == set()  # the default endpoint always has the stage


# --- the audit trail ------------------------------------------------------------------------------------

def test_audit_digests_are_locked_in_compliance_mode_for_six_years_private_and_tls_only(main):
    [(name, bucket)] = [(n, b) for n, b in resources(main, "AWS::S3::Bucket").items()
                        if n.startswith("AuditDigestBucket")]
    props = bucket["Properties"]
    retention = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert props["ObjectLockEnabled"] is True and props["VersioningConfiguration"]["Status"] == "Enabled"
    assert retention["Mode"] == "COMPLIANCE" and retention["Days"] >= 6 * 365
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["DeletionPolicy"] == "Retain"
    policies = resources(main, "AWS::S3::BucketPolicy").values()
    [policy] = [p for p in policies if p["Properties"]["Bucket"] == {"Ref": name}]
    assert '"aws:SecureTransport": "false"' in json.dumps(policy) and '"Deny"' in json.dumps(policy)


def statements_granting(main, action: str) -> list[dict]:
    found = []
    for policy in resources(main, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if action in actions:
                found.append({**statement, "Roles": policy["Properties"]["Roles"]})
    return found


def test_only_the_audit_jobs_role_may_sign_digests_or_write_them(main):
    [key] = [k for k in resources(main, "AWS::KMS::Key").values() if k["Properties"].get("KeyUsage") == "SIGN_VERIFY"]
    assert key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    for action in ("kms:Sign", "s3:PutObject"):
        granted = [s for s in statements_granting(main, action)
                   if any(name in json.dumps(s["Resource"]) for name in ("AuditSigningKey", "AuditDigestBucket"))]
        assert granted and all("AuditJobRole" in json.dumps(s["Roles"]) for s in granted), action
    assert not any("s3:DeleteObject" in json.dumps(s) and "AuditDigestBucket" in json.dumps(s)
                   for s in statements_granting(main, "s3:DeleteObject*"))


def test_audit_jobs_run_as_the_audit_role_and_the_api_does_not(main):
    functions = resources(main, "AWS::Serverless::Function")
    for name in ("DailyAuditDigest", "DailyAuditVerify", "AuditChainSweep"):
        assert "AuditJobRole" in json.dumps(functions[name]["Properties"]["Role"]), name
    assert "AuditJobRole" not in json.dumps(functions["APIHandler"]["Properties"]["Role"])
    variables = functions["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert "AuditSigningKey" in json.dumps(variables["SAFESLOT_AUDIT_SIGNING_KEY"])
    assert "AuditDigestBucket" in json.dumps(variables["SAFESLOT_AUDIT_DIGEST_BUCKET"])


def test_the_audit_alarm_watches_exactly_what_the_verification_job_emits(main, aws_stack, capsys):
    from chalicelib.jobs.runner import JobReport, _emit_metrics

    report = JobReport("audit_verify", failures=["org x: audit chain fails at event 3"], details={"seconds": 1})
    _emit_metrics(report)
    document = next(json.loads(line) for line in capsys.readouterr().out.splitlines() if "AuditChainFailures" in line)
    emitted = document["_aws"]["CloudWatchMetrics"][0]
    [alarm] = [a["Properties"] for a in resources(main, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("MetricName") == "AuditChainFailures"]

    assert alarm["Namespace"] == emitted["Namespace"]
    watched = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert watched == {name: document[name] for name in emitted["Dimensions"][0]}
    assert alarm["Threshold"] == 1 and "Alerts" in json.dumps(alarm["AlarmActions"])


def test_shred_keys_stay_out_of_every_backup_and_their_copies_go_within_days(main, replica):
    """ADR 0010: the key table is the stage's own whatever tables are served, its point-in-time window is a
    day, the application may not back it up or export it, and overwritten key files expire a day later."""
    from chalicelib.jobs.shred_key_file import KEYS

    table = next(t["Properties"] for t in resources(main, "AWS::DynamoDB::Table").values()
                 if t["Properties"]["TableName"] == "safeslot-test-shred_keys")
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1}
    policies = [*resources(main, "AWS::IAM::Policy").values(), *resources(main, "AWS::IAM::ManagedPolicy").values()]
    denied = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any("dynamodb:CreateBackup" in s["Action"] and "dynamodb:ExportTableToPointInTime" in s["Action"]
               and "shred_keys" in json.dumps(s["Resource"]) for s in denied)
    for template in (main, replica):
        bucket = next(b for name, b in resources(template, "AWS::S3::Bucket").items()
                      if not name.startswith(("AccessLogBucket", "AuditDigestBucket")))
        rules = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]
                 if r["Status"] == "Enabled" and KEYS.startswith(r.get("Prefix", "-"))]
        assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules] == [1]
    function = next(iter(resources(main, "AWS::Serverless::Function").values()))["Properties"]
    assert function["Environment"]["Variables"]["SAFESLOT_HOME_TABLE_PREFIX"] == "safeslot-test-"


def test_org_exports_live_a_day_in_a_private_encrypted_tls_only_bucket_the_api_writes(main):
    from chalicelib.services.exports.storage import PREFIX

    (name, bucket), = [(n, b) for n, b in resources(main, "AWS::S3::Bucket").items() if n.startswith("OrgExportBucket")]
    props = bucket["Properties"]
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption["SSEAlgorithm"] == "aws:kms" and "DataKey" in json.dumps(encryption["KMSMasterKeyID"])
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert "VersioningConfiguration" not in props  # no versions outliving the rule
    assert [(r["Prefix"], r["ExpirationInDays"], r["Status"]) for r in props["LifecycleConfiguration"]["Rules"]] == [
        (PREFIX, 1, "Enabled")]
    policies = [p for p in resources(main, "AWS::S3::BucketPolicy").values() if name in json.dumps(p)]
    assert '"aws:SecureTransport": "false"' in json.dumps(policies)
    function = next(iter(resources(main, "AWS::Serverless::Function").values()))["Properties"]
    assert name in json.dumps(function["Environment"]["Variables"]["SAFESLOT_EXPORT_BUCKET"])
    api_policy = json.dumps([p for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")  # CDK overflows
                             for n, p in resources(main, kind).items() if n.startswith("ApiRole")])
    assert name in api_policy and "s3:PutObject" in api_policy


# --- guardrails (infra/guardrails.py): what a clinic's auditor asks of the account ----------------------

def logical_id(template: Template, kind: str, prefix: str) -> str:
    [found] = [name for name in resources(template, kind) if name.startswith(prefix)]
    return found


def alerting_rules(template: Template, source: str) -> list[dict]:
    """Event patterns of the rules on `source` whose target is the alert topic."""
    topic = logical_id(template, "AWS::SNS::Topic", "Alerts")
    return [rule["Properties"]["EventPattern"] for rule in resources(template, "AWS::Events::Rule").values()
            if rule["Properties"]["EventPattern"].get("source") == [source]
            and topic in json.dumps(rule["Properties"]["Targets"])]


def test_guardduty_watches_the_account_and_its_severe_findings_alert(main):
    main.has_resource_properties("AWS::GuardDuty::Detector", {"Enable": True})
    [finding] = alerting_rules(main, "aws.guardduty")
    assert finding["detail"] == {"severity": [{"numeric": [">=", 7]}]}


def test_security_hub_runs_the_aws_foundational_security_best_practices_standard(main):
    main.has_resource_properties("AWS::SecurityHub::Hub", {})
    [standard] = resources(main, "AWS::SecurityHub::Standard").values()
    assert "standards/aws-foundational-security-best-practices/v/1.0.0" in json.dumps(standard)
    assert standard.get("DependsOn")


def test_config_records_every_resource_and_checks_encryption_pitr_public_access_and_tls(main):
    main.has_resource_properties("AWS::Config::ConfigurationRecorder", {
        "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": True}})
    main.has_resource_properties("AWS::Config::DeliveryChannel", {"S3BucketName": Match.any_value()})
    rules = {rule["Properties"]["Source"]["SourceIdentifier"]: rule
             for rule in resources(main, "AWS::Config::ConfigRule").values()}
    assert {"DYNAMODB_TABLE_ENCRYPTED_KMS", "DYNAMODB_PITR_ENABLED", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
            "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC",
            "S3_BUCKET_SSL_REQUESTS_ONLY", "CMK_BACKING_KEY_ROTATION_ENABLED", "KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
            "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"} <= set(rules)
    recorder = logical_id(main, "AWS::Config::ConfigurationRecorder", "Guardrails")
    assert all(recorder in rule.get("DependsOn", []) for rule in rules.values())  # rules need a recorder
    assert all(rule["Properties"]["Source"]["Owner"] == "AWS" for rule in rules.values())


def test_a_cloudtrail_trail_of_every_region_validates_its_log_files_encrypted_in_a_private_bucket(main):
    [trail] = resources(main, "AWS::CloudTrail::Trail").values()
    properties = trail["Properties"]
    assert (properties["EnableLogFileValidation"], properties["IsMultiRegionTrail"], properties["IsLogging"],
            properties["IncludeGlobalServiceEvents"]) == (True, True, True, True)
    trail_key = logical_id(main, "AWS::KMS::Key", "GuardrailsTrailKey")
    assert trail_key in json.dumps(properties["KMSKeyId"])
    bucket = resources(main, "AWS::S3::Bucket")[properties["S3BucketName"]["Ref"]]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"} and "LoggingConfiguration" in bucket
    assert trail_key in json.dumps(bucket["BucketEncryption"])


def test_the_sealing_key_disabled_scheduled_for_deletion_or_its_policy_changed_alerts_the_topic(main):
    data_key = logical_id(main, "AWS::KMS::Key", "DataKey")
    patterns = [p for p in alerting_rules(main, "aws.kms") if data_key in json.dumps(p)]
    watched = {name for p in patterns for name in p["detail"]["eventName"]}
    assert {"PutKeyPolicy", "DisableKey", "ScheduleKeyDeletion"} <= watched
    assert all(p["detail-type"] == ["AWS API Call via CloudTrail"] for p in patterns)


def test_a_change_to_an_application_roles_policies_alerts_the_topic(main):
    [pattern] = alerting_rules(main, "aws.iam")
    assert {"PutRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "DeleteRolePolicy"} <= set(
        pattern["detail"]["eventName"])
    roles = json.dumps(pattern["detail"]["requestParameters"]["roleName"])
    assert logical_id(main, "AWS::IAM::Role", "ApiRole") in roles
    assert logical_id(main, "AWS::IAM::Role", "AuditJobRole") in roles


def test_mail_queue_is_encrypted_tls_only_has_a_dead_letter_queue_that_alarms_and_feeds_its_consumer(main):
    """ADR 0016: what e-mail routes hand off waits encrypted with the data key; a mail that fails five times
    goes to the dead-letter queue and an operator is told; the consumer's trigger is this queue."""
    queues = resources(main, "AWS::SQS::Queue")
    by_name = {q["Properties"]["QueueName"]: (logical, q["Properties"]) for logical, q in queues.items()}
    mail_id, mail = by_name["safeslot-test-mail"]
    dead_id, dead = by_name["safeslot-test-mail-dlq"]
    for properties in (mail, dead):
        assert "DataKey" in json.dumps(properties["KmsMasterKeyId"])
    assert mail["RedrivePolicy"]["maxReceiveCount"] == 5 and dead_id in json.dumps(mail["RedrivePolicy"])
    assert mail["VisibilityTimeout"] >= 6 * 60
    policies = resources(main, "AWS::SQS::QueuePolicy")
    denies_plain_http = [p for p in policies.values() if '"aws:SecureTransport": "false"' in json.dumps(p)]
    assert {json.dumps(p["Properties"]["Queues"]) for p in denies_plain_http} >= {
        json.dumps([{"Ref": mail_id}]), json.dumps([{"Ref": dead_id}])}

    consumer = resources(main, "AWS::Serverless::Function")["MailQueue"]["Properties"]
    [event] = consumer["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": [mail_id, "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    assert consumer["ReservedConcurrentExecutions"] > event["Properties"]["ScalingConfig"]["MaximumConcurrency"]

    alarms = resources(main, "AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"])) for a in alarms
               if a["Properties"].get("Namespace") == "AWS/SQS"}
    assert ("ApproximateNumberOfMessagesVisible", json.dumps([{"Name": "QueueName", "Value": {
        "Fn::GetAtt": [dead_id, "QueueName"]}}])) in watched
    assert any(metric == "ApproximateAgeOfOldestMessage" and mail_id in dims for metric, dims in watched)


def test_the_api_role_may_send_to_the_mail_queue_and_receive_from_it_only(main):
    queues = resources(main, "AWS::SQS::Queue")
    mail_id = next(k for k, q in queues.items() if q["Properties"]["QueueName"] == "safeslot-test-mail")
    policies = [*resources(main, "AWS::IAM::Policy").values(), *resources(main, "AWS::IAM::ManagedPolicy").values()]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]
                  if any(str(a).startswith("sqs:") for a in (s["Action"] if isinstance(s["Action"], list)
                                                              else [s["Action"]]))]
    assert statements and all(json.dumps(s["Resource"]) == json.dumps({"Fn::GetAtt": [mail_id, "Arn"]})
                              for s in statements)
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions
    assert not any(a in actions for a in ("sqs:*", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:PurgeQueue"))


# --- Backup copies expire on schedule in both regions, noncurrent versions too: the backup job is run (in moto)
# over several days with pruning, and every object version it left in either bucket is checked against the
# lifecycle rules this module's synth really makes for that bucket (one synth for both concerns: ~1 min each).

OBJECT_LOCK_DAYS = 35  # governance retention of every version (infra/stack.py BACKUP_DAILY_DAYS)


@pytest.fixture(scope="module")
def lifecycle_rules(main, replica) -> dict[str, list[dict]]:
    """The lifecycle rules of the backup bucket of each stack: "primary" and "replica"."""
    found = {}
    for name, template in (("primary", main), ("replica", replica)):
        buckets = [b for n, b in resources(template, "AWS::S3::Bucket").items()
                   if not n.startswith(("AccessLogBucket", "AuditDigestBucket"))]
        found[name] = buckets[0]["Properties"]["LifecycleConfiguration"]["Rules"]
    return found


def covering(rules: list[dict], key: str) -> list[dict]:
    return [r for r in rules if r["Status"] == "Enabled"
            and key.startswith(r.get("Prefix", r.get("Filter", {}).get("Prefix", "")))]


def days_until_gone(rules: list[dict], key: str, current: bool) -> int | None:
    """How many days after it was written (current) or replaced (noncurrent) S3 removes this version;
    None if no rule ever does. A version under Object Lock goes once its retention ends."""
    rules = covering(rules, key)
    if current:
        days = [r["ExpirationInDays"] for r in rules if r.get("ExpirationInDays")]
    else:
        days = [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules
                if r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")]
    return max(min(days), OBJECT_LOCK_DAYS) if days else None


def versions(bucket: str, region: str) -> list[dict]:
    s3 = boto3.client("s3", region_name=region)
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        found += [{**v, "marker": False} for v in page.get("Versions", [])]
        found += [{**m, "marker": True} for m in page.get("DeleteMarkers", [])]
    return found


@pytest.fixture
def keep_one_run(monkeypatch):
    """Prune down to the newest run, so that a few days of backups leave pruned versions behind."""
    monkeypatch.setenv("SAFESLOT_BACKUPS_DAILY", "1")
    monkeypatch.setenv("SAFESLOT_BACKUPS_MONTHLY", "0")


def test_every_version_the_backup_job_leaves_in_either_region_expires(keep_one_run, lifecycle_rules, client,
                                                                    fake_clock):
    from chalicelib.config import settings
    from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
    from tests.functional.jobs.helpers import invoke

    book(client, make_clinic(), at(next_weekday(), "10:00"))
    for _ in range(3):
        assert invoke(client, "daily_backup")["ok"]
        fake_clock.advance(days=1)

    written = {"primary": versions(settings().backup_bucket, settings().region),
               "replica": versions(settings().replica_bucket, settings().replica_region)}
    for region, found in written.items():
        rules = lifecycle_rules[region]
        assert_backup_files_expire(rules)
        assert any(not v["IsLatest"] for v in found) and any(v["marker"] for v in found)  # pruning happened
        for version in found:
            current = version["IsLatest"] and not version["marker"]
            if current and version["Key"] == KEY_FILE:
                continue  # the live shred keys: every run rewrites the file, the replaced version expires below
            gone_after = days_until_gone(rules, version["Key"], current)
            assert gone_after is not None, (region, version["Key"], "current" if current else "noncurrent")
            if current:
                assert gone_after > max_age_of_a_kept_run(settings().backups_daily, settings().backups_monthly)
            else:
                assert gone_after <= OBJECT_LOCK_DAYS + 1, (region, version["Key"])


def test_a_rule_that_misses_the_prefix_the_job_writes_is_caught(lifecycle_rules):
    misnamed = [{**rule, "Prefix": "daily/"} for rule in lifecycle_rules["replica"]]

    assert days_until_gone(misnamed, "exports/2026-11-23/manifest.json", current=True) is None
    assert days_until_gone(lifecycle_rules["replica"], "exports/2026-11-23/manifest.json", current=True)

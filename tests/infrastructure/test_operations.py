"""Operations that keep their promises once deployed: alarms that watch what the code really emits and
can reach someone, a dead man's switch per scheduled job, safe production defaults, a firewall that sees
the paths clients send. The production template is synthesized here; the job runner really runs."""

from __future__ import annotations

import json
import os
import re

import pytest

pytest.importorskip("aws_cdk")
from tests.infrastructure import test_stack
from tests.infrastructure.test_stack import DOMAIN, resources, synth

pytestmark = pytest.mark.timeout(900)  # one synth with `chalice package`: ~2 min, far more on a busy machine

SUBSCRIBERS = "ops@clinic.example,+15555550100,https://pager.clinic.example/hook"
PRODUCTION = {"stage": "prod", **DOMAIN, "mail_from": "no-reply@book.clinic.example",
              "alert_subscriptions": SUBSCRIBERS}
PRIMARY_KEY = "arn:aws:kms:us-east-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab"
RESTORED = "safeslot-test-pitr-20261124t030000-"


@pytest.fixture(scope="module")
def production_stacks(tmp_path_factory):
    """Production's settings after a switch-over to restored tables, its key's replica deployed (one synth:
    ~2 min). Stage `test`: the models took this process's table names at import, as `make synth` takes a
    stage's own."""
    return synth(tmp_path_factory, {**PRODUCTION, "stage": "test", "primary_key_arn": PRIMARY_KEY,
                                    "table_prefix": RESTORED})


@pytest.fixture(scope="module")
def production(production_stacks):
    return production_stacks[0]


def alarms(template) -> list[dict]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


def watched(alarm: dict) -> tuple[str, str, frozenset]:
    return (alarm["Namespace"], alarm["MetricName"],
            frozenset((d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])))


def emitted(output: str) -> set[tuple[str, str, frozenset]]:
    """(namespace, metric, dimensions) of every metric in the EMF documents printed to stdout."""
    found = set()
    for line in output.splitlines():
        if not (line.startswith("{") and '"_aws"' in line):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                found |= {(directive["Namespace"], m["Name"], dimensions) for m in directive["Metrics"]}
    return found


def scheduled_jobs(template) -> dict:
    """Logical id of each scheduled function in the template -> its `Deadline`."""
    from chalicelib.api.schedules import DEADLINES
    from infra.stack import MAIL_CONSUMER, _logical_id

    deadlines = {_logical_id(function): deadline for function, deadline in DEADLINES.items()}
    return {name: deadlines[name] for name in resources(template, "AWS::Serverless::Function")
            if name not in ("APIHandler", MAIL_CONSUMER)}


def test_job_alarms_watch_exactly_the_metrics_the_job_runner_emits(production, aws_stack, capsys):
    from chalicelib.jobs.runner import run_job

    jobs = scheduled_jobs(production).values()
    capsys.readouterr()
    for deadline in jobs:
        run_job(deadline.job, lambda report: None)
        run_job(deadline.job, lambda report: report.fail("disk on fire"))
    metrics = emitted(capsys.readouterr().out)

    ours = [a for a in alarms(production) if a["Namespace"] == "SafeSlot" and "MetricName" in a
            and a["MetricName"] != "AccountLockouts"]  # lockouts come from a log metric filter
    assert len(ours) == 2 * len(jobs)
    for alarm in ours:
        assert watched(alarm) in metrics, watched(alarm)
    for deadline in jobs:
        job_alarms = [a for a in ours if ("job", deadline.job) in watched(a)[2]]
        assert {a["ComparisonOperator"] for a in job_alarms} == {"GreaterThanOrEqualToThreshold",
                                                                 "LessThanThreshold"}, deadline.job


SCHEDULE_HOURS = {r"cron\(\d+ \d+ \* \* \? \*\)": 24, r"cron\(\d+ \d+ \? \* [A-Z]{3} \*\)": 168}


def schedule_hours(expression: str) -> float:
    """How often a schedule expression of ours fires, in hours."""
    rate = re.fullmatch(r"rate\((\d+) (minute|hour)s?\)", expression)
    if rate:
        return int(rate.group(1)) / (60 if rate.group(2) == "minute" else 1)
    return next(hours for pattern, hours in SCHEDULE_HOURS.items() if re.fullmatch(pattern, expression))


def test_every_scheduled_function_has_a_dead_mans_switch_no_shorter_than_its_schedule(production):
    switches = {dict(watched(a)[2])["job"]: a for a in alarms(production) if a.get("MetricName") == "JobSucceeded"}
    functions = resources(production, "AWS::Serverless::Function")
    jobs = scheduled_jobs(production)  # KeyError: a schedule without a deadline (synthesis refuses it too)

    from infra.stack import MAIL_CONSUMER

    assert set(jobs) == set(functions) - {"APIHandler", MAIL_CONSUMER} and len(jobs) >= 5
    for function, deadline in jobs.items():
        (event,) = functions[function]["Properties"]["Events"].values()
        alarm = switches[deadline.job]
        window_hours = alarm["Period"] * alarm["EvaluationPeriods"] / 3600
        assert schedule_hours(event["Properties"]["Schedule"]) <= window_hours <= 24 * 7, function
        assert (alarm["TreatMissingData"], alarm["DatapointsToAlarm"]) == ("breaching", alarm["EvaluationPeriods"])
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "LessThanThreshold"


def test_every_function_alarms_on_errors_throttles_and_running_close_to_its_timeout(production):
    functions = resources(production, "AWS::Serverless::Function")
    lambda_alarms = [a for a in alarms(production) if a.get("Namespace") == "AWS/Lambda"]
    for name, function in functions.items():
        mine = {a["MetricName"]: a for a in lambda_alarms if a["Dimensions"][0]["Value"] == {"Ref": name}}
        assert set(mine) == {"Errors", "Throttles", "Duration"}, name
        assert mine["Duration"]["Threshold"] < function["Properties"]["Timeout"] * 1000
        assert mine["Duration"]["Statistic"] == "Maximum"


def test_alarms_can_publish_to_the_alert_topic_through_its_key(production):
    (topic_id, topic), = resources(production, "AWS::SNS::Topic").items()
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = resources(production, "AWS::KMS::Key")[key_id]
    grants = {}
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        services = statement["Principal"].get("Service", []) if isinstance(statement["Principal"], dict) else []
        for service in [services] if isinstance(services, str) else services:
            grants.setdefault(service, set()).update(statement["Action"])
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= grants.get(service, set()), service
    for alarm in alarms(production):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_operators_are_subscribed_from_configuration(production):
    subscriptions = {(s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
                     for s in resources(production, "AWS::SNS::Subscription").values()}
    assert subscriptions == {("email", "ops@clinic.example"), ("sms", "+15555550100"),
                             ("https", "https://pager.clinic.example/hook")}


def test_a_dashboard_shows_the_api_every_function_and_every_job(production):
    (dashboard,) = resources(production, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "5XXError" in body and "Latency" in body and "JobSucceeded" in body and "alarm" in body
    for name in resources(production, "AWS::Serverless::Function"):
        assert f'{{\\"Ref\\": \\"{name}\\"}}' in body or name in body
    for deadline in scheduled_jobs(production).values():
        assert f'\\"job\\",\\"{deadline.job}\\"' in body


@pytest.mark.parametrize("left_out", ["domain_name", "certificate_arn", "mail_from", "alert_subscriptions"])
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_production_refuses_to_synthesize_without_domain_mail_from_and_subscription(left_out, how, tmp_path):
    from infra.app import IncompleteStageConfig, build_app

    context = {name: value for name, value in PRODUCTION.items() if name != left_out}
    if how == "blank":
        context[left_out] = " , " if left_out == "alert_subscriptions" else "  "
    with pytest.raises(IncompleteStageConfig, match=left_out):
        build_app(context=context, outdir=str(tmp_path))
    assert os.environ.get("SAFESLOT_TABLE_PREFIX") != "safeslot-prod-"  # refused before changing anything


def test_production_links_and_webauthn_use_its_domain(production):
    variables = next(iter(resources(production, "AWS::Serverless::Function").values()))["Properties"][
        "Environment"]["Variables"]
    assert variables["SAFESLOT_PUBLIC_URL"] == "https://book.clinic.example"
    assert variables["SAFESLOT_WEBAUTHN_RP_ID"] == "book.clinic.example"
    assert variables["SAFESLOT_MAIL_FROM"] == "no-reply@book.clinic.example"


def waf_matches(statement: dict, path: str) -> bool:
    """How WAF evaluates the statements we use, on a request's URI path."""
    if "OrStatement" in statement:
        return any(waf_matches(s, path) for s in statement["OrStatement"]["Statements"])
    match = statement["ByteMatchStatement"]
    assert match["PositionalConstraint"] == "STARTS_WITH" and "UriPath" in match["FieldToMatch"]
    return path.startswith(match["SearchString"])


def rate_limited(template, path: str) -> set[str]:
    acl = next(iter(resources(template, "AWS::WAFv2::WebACL").values()))["Properties"]
    return {rule["Name"] for rule in acl["Rules"] if "RateBasedStatement" in rule["Statement"]
            and waf_matches(rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"], path)}


def test_rate_rules_match_the_paths_clients_send_through_the_custom_domain(production):
    assert rate_limited(production, "/v1/auth/login") == {"auth-rate"}
    assert rate_limited(production, "/v1/public/orgs/demo/bookings") == {"public-rate"}
    assert rate_limited(production, "/v1/users") == set()


def test_the_data_key_is_multi_region_and_the_application_may_use_its_replica_in_the_second_region(
        production_stacks):
    main, replica, _ = production_stacks
    keys = resources(main, "AWS::KMS::Key")
    assert next(k for name, k in keys.items() if name.startswith("DataKey"))["Properties"]["MultiRegion"] is True
    (replica_key,) = resources(replica, "AWS::KMS::ReplicaKey").values()
    assert replica_key["Properties"]["PrimaryKeyArn"] == PRIMARY_KEY
    statements = replica_key["Properties"]["KeyPolicy"]["Statement"]
    app = [s for s in statements if "safeslot-test-api" in json.dumps(s["Principal"])]
    assert app and "kms:Decrypt" in app[0]["Action"] and "kms:ScheduleKeyDeletion" not in json.dumps(app)


def test_a_deploy_points_the_application_at_restored_tables_and_its_role_covers_them(production):
    variables = next(iter(resources(production, "AWS::Serverless::Function").values()))["Properties"][
        "Environment"]["Variables"]
    assert variables["SAFESLOT_TABLE_PREFIX"] == RESTORED
    policies = [*resources(production, "AWS::IAM::Policy").values(),
                *resources(production, "AWS::IAM::ManagedPolicy").values()]  # CDK overflows big role policies
    granted = [s for p in policies
               for s in p["Properties"]["PolicyDocument"]["Statement"] if RESTORED in json.dumps(s["Resource"])]
    actions = {a for s in granted for a in s["Action"]}
    assert {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"} <= actions
    assert any(json.dumps(s["Resource"]).count("/index/*") for s in granted)
    names = {t["Properties"]["TableName"] for t in resources(production, "AWS::DynamoDB::Table").values()}
    assert "safeslot-test-bookings" in names  # the old tables stay (retained) for comparison and switch-back


def test_a_switch_over_refuses_tables_of_another_stage(tmp_path):
    from infra.app import IncompleteStageConfig, build_app

    with pytest.raises(IncompleteStageConfig, match="table_prefix"):
        build_app(context={**PRODUCTION, "table_prefix": "safeslot-staging-pitr-x-"}, outdir=str(tmp_path))
    assert os.environ.get("SAFESLOT_TABLE_PREFIX") != "safeslot-prod-"  # refused before changing anything


def test_the_production_templates_pass_cfn_lint(production_stacks, tmp_path):
    test_stack.test_templates_pass_cfn_lint(production_stacks, tmp_path)


def test_checkov_finds_nothing_in_the_production_templates_but_suppressions_with_reasons(production_stacks,
                                                                                        tmp_path):
    test_stack.test_checkov_finds_nothing_but_suppressions_with_written_reasons(production_stacks, tmp_path)

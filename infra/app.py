"""The CDK app: `cdk synth -c stage=prod` (or `make deploy STAGE=prod`). Stage settings come from context."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


# Access logs reach their bucket through a bucket policy, not the legacy LogDeliveryWrite ACL.
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


# Production refuses to synthesize without these (-c name=value or cdk.json): with no domain its e-mails
# would link to localhost and WebAuthn would trust localhost; with no subscription no alarm reaches anyone.
PRODUCTION_REQUIRES = ("domain_name", "certificate_arn", "mail_from", "alert_subscriptions")


class IncompleteStageConfig(ValueError):
    """A production stage is missing settings it cannot run safely without."""


def _serve_prefix(stage: str, prefix: str | None) -> str | None:
    """A switch-over's table prefix (`-c table_prefix=...`): restored tables of this stage only."""
    if prefix and not prefix.startswith(f"safeslot-{stage}-"):
        raise IncompleteStageConfig(f"table_prefix must begin with safeslot-{stage}- (the stage's restored tables)")
    return prefix or None


def build_app(stage: str | None = None, context: dict[str, str] | None = None, outdir: str | None = None):  # type: ignore[no-untyped-def]
    """The app with its two stacks; `context` overrides cdk.json's (tests set stage, domain, ...)."""
    import aws_cdk as cdk

    app = cdk.App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    stage = stage or app.node.try_get_context("stage") or "prod"
    get = app.node.try_get_context
    subscriptions = tuple(e.strip() for e in (get("alert_subscriptions") or "").split(",") if e.strip())
    given = {name: (get(name) or "").strip() for name in ("domain_name", "certificate_arn", "mail_from")}
    given["alert_subscriptions"] = ",".join(subscriptions)
    missing = [name for name in PRODUCTION_REQUIRES if not given[name]]
    if stage == "prod" and missing:
        raise IncompleteStageConfig(f"stage prod needs -c {'=... -c '.join(missing)}=... (see docs/deploy.md)")
    serve_prefix = _serve_prefix(stage, get("table_prefix"))  # checked before anything else changes
    os.environ["SAFESLOT_TABLE_PREFIX"] = f"safeslot-{stage}-"  # models read their table names at import
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # `chalice package` needs one, no credentials
    from infra.stack import ReplicaStack, SafeSlotStack, StageConfig

    config = StageConfig(
        stage=stage,
        replica_region=get("replica_region") or "us-west-2",
        allowed_origins=get("allowed_origins") or "",
        mail_from=get("mail_from") or "no-reply@safeslot.example",
        domain_name=get("domain_name"),
        certificate_arn=get("certificate_arn"),
        webauthn_rp_id=get("domain_name") or "localhost",
        primary_key_arn=get("primary_key_arn"),
        serve_prefix=serve_prefix,
        alert_subscriptions=subscriptions,
    )
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = get("region") or os.environ.get("CDK_DEFAULT_REGION", "us-east-1")
    main = SafeSlotStack(app, f"SafeSlot-{stage}", config, env=cdk.Environment(account=account, region=region))
    replica = ReplicaStack(app, f"SafeSlot-{stage}-replica", config,
                           env=cdk.Environment(account=account, region=config.replica_region))
    replica.add_stack_dependency(main)  # the replica key's policy names the API role made here
    return app


if __name__ == "__main__":
    build_app().synth()

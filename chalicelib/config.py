"""Settings read once from the environment.

Every stage (local, test, prod) sets the same variables; `.chalice/config.json` holds them for
deployed stages and `make run` / the test suite set them for the local ones.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

APP_NAME = "safeslot"


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    # The stage's own tables, which a switch-over to restored tables (table_prefix) never replaces: the
    # ones no backup holds, such as the shred keys, stay where they are.
    home_table_prefix: str
    key_arn: str
    index_key_blob: str
    allowed_origins: tuple[str, ...]
    backup_bucket: str
    replica_bucket: str
    replica_region: str
    endpoint_url: str | None
    mail_from: str
    webauthn_rp_id: str
    webauthn_origin: str
    public_url: str  # where customers open the booking and manage pages (links in e-mails)
    public_writes_per_ip: int  # bookings and changes per source address per 15 minutes
    login_failures_per_ip: int  # failed or refused sign-in steps per source address per 15 minutes
    alert_topic_arn: str  # SNS topic that operators subscribe to (job failures)
    backups_daily: int  # daily backup runs kept
    backups_monthly: int  # first-of-month runs kept beyond those
    data_key_max_age_seconds: int  # a data key is reused this long: writes go on so long after KMS refuses
    audit_digest_bucket: str  # signed audit digests, S3 Object Lock in compliance mode
    audit_signing_key_id: str  # asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs the digests
    audit_digest_retention_days: int  # how long each digest stays locked (six years and more)
    voice_origination: str  # the number or pool that places second-factor calls (End User Messaging)
    duo_ca_bundle: str | None  # tests only: the CA of a local fake Duo; None pins Duo's own CAs
    export_bucket: str  # owners' encrypted org exports, deleted by the bucket's lifecycle within a day
    mail_queue_url: str  # SQS: the work "we sent you an e-mail if..." routes hand off (ADR 0016)
    webhooks_allow_local: bool = False  # local and test stages only: webhooks may post to http:// and loopback

    def table_name(self, name: str) -> str:
        """Full DynamoDB table name for a logical table, e.g. `orgs` -> `safeslot-local-orgs`."""
        return f"{self.table_prefix}{name}"

    @property
    def replica_key_arn(self) -> str:
        """The data key's replica in the replica region: the same multi-region key (`mrk-` id) under that
        region's ARN. Empty when the data key is single-region (nothing sealed opens there)."""
        parts = self.key_arn.split(":")
        if len(parts) != 6 or not parts[5].startswith("key/mrk-"):
            return ""
        return ":".join([*parts[:3], self.replica_region, *parts[4:]])

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")


@functools.cache
def settings() -> Settings:
    """The process-wide settings; `settings.cache_clear()` re-reads them (tests)."""
    stage = os.environ.get("SAFESLOT_STAGE", "local")
    prefix = os.environ.get("SAFESLOT_TABLE_PREFIX", f"{APP_NAME}-{stage}-")
    origins = os.environ.get("SAFESLOT_ALLOWED_ORIGINS", "")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION", "us-east-1"),
        table_prefix=prefix,
        home_table_prefix=os.environ.get("SAFESLOT_HOME_TABLE_PREFIX", prefix),
        key_arn=os.environ.get("SAFESLOT_KEY_ARN", ""),
        index_key_blob=os.environ.get("SAFESLOT_INDEX_KEY_BLOB", ""),
        allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        backup_bucket=os.environ.get("SAFESLOT_BACKUP_BUCKET", f"{prefix}backups"),
        replica_bucket=os.environ.get("SAFESLOT_REPLICA_BUCKET", f"{prefix}backups-replica"),
        replica_region=os.environ.get("SAFESLOT_REPLICA_REGION", "us-west-2"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        mail_from=os.environ.get("SAFESLOT_MAIL_FROM", "no-reply@safeslot.example"),
        webauthn_rp_id=os.environ.get("SAFESLOT_WEBAUTHN_RP_ID", "localhost"),
        webauthn_origin=os.environ.get("SAFESLOT_WEBAUTHN_ORIGIN", "http://localhost:8000"),
        public_url=os.environ.get("SAFESLOT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        public_writes_per_ip=int(os.environ.get("SAFESLOT_PUBLIC_WRITES_PER_IP", "20")),
        login_failures_per_ip=int(os.environ.get("SAFESLOT_LOGIN_FAILURES_PER_IP", "30")),
        alert_topic_arn=os.environ.get("SAFESLOT_ALERT_TOPIC_ARN", ""),
        backups_daily=int(os.environ.get("SAFESLOT_BACKUPS_DAILY", "35")),
        backups_monthly=int(os.environ.get("SAFESLOT_BACKUPS_MONTHLY", "12")),
        data_key_max_age_seconds=int(os.environ.get("SAFESLOT_DATA_KEY_MAX_AGE_SECONDS", "60")),
        audit_digest_bucket=os.environ.get("SAFESLOT_AUDIT_DIGEST_BUCKET", f"{prefix}audit-digests"),
        audit_signing_key_id=os.environ.get("SAFESLOT_AUDIT_SIGNING_KEY", ""),
        audit_digest_retention_days=int(os.environ.get("SAFESLOT_AUDIT_DIGEST_RETENTION_DAYS", "2200")),
        voice_origination=os.environ.get("SAFESLOT_VOICE_ORIGINATION", ""),
        duo_ca_bundle=os.environ.get("SAFESLOT_DUO_CA_BUNDLE") or None,
        export_bucket=os.environ.get("SAFESLOT_EXPORT_BUCKET", f"{prefix}org-exports"),
        mail_queue_url=os.environ.get("SAFESLOT_MAIL_QUEUE_URL", ""),
        webhooks_allow_local=os.environ.get("SAFESLOT_WEBHOOKS_ALLOW_LOCAL") == "1" and stage in ("local", "test"),
    )

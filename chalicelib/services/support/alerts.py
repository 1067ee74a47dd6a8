"""Telling a clinic about support access: its owners and admins by e-mail, break-glass also on SNS."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.logs import logger
from chalicelib.models.user import User
from chalicelib.services import notify

ALERTED_ROLES = ("owner", "admin")


def tell_clinic_admins(org_id: str, subject: str, text: str) -> int:
    """E-mail every enabled owner and admin of the org; returns how many were told."""
    told = 0
    for user in User.query(org_id):
        if user.role in ALERTED_ROLES and not user.disabled:
            notify.send_email(user.unseal()["email"], subject, text)
            told += 1
    return told


def raise_alarm(subject: str, text: str) -> None:
    """Publish to the operators' alert topic (break-glass is reviewed on both sides)."""
    topic = settings().alert_topic_arn
    if not topic:
        logger.error("support break-glass and no alert topic is set")
        return
    aws.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=text)

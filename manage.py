"""Operator CLI. Runs against whatever AWS the environment points at (real, or the local stack).

    python manage.py create-org --slug clinic --name "Clinic" --owner-email o@clinic.example [--timezone ...]
    python manage.py verify-audit --org clinic
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]


def create_org(args: argparse.Namespace) -> int:
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org as create

    org = create(args.slug, args.name, timezone=args.timezone, actor="operator")
    owner = create_first_owner(org.org_id, args.owner_email, args.owner_name)
    print(json.dumps({"org_id": org.org_id, "slug": org.slug, "owner_id": owner.user["id"],
                      "owner_setup_token": owner.setup_token}))
    print("Give the owner the setup token; it works once, for 72 hours (POST /v1/auth/setup).",
          file=sys.stderr)
    return 0


def verify_audit(args: argparse.Namespace) -> int:
    from chalicelib.services import audit
    from chalicelib.services.organizations import org_by_slug

    result = audit.verify(org_by_slug(args.org).org_id)
    print(json.dumps(result.__dict__))
    return 0 if result.ok else 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="manage.py", description="SafeSlot operator commands")
    commands = root.add_subparsers(dest="command", required=True)
    org = commands.add_parser("create-org", help="create an organization")
    org.add_argument("--slug", required=True)
    org.add_argument("--name", required=True)
    org.add_argument("--owner-email", required=True)
    org.add_argument("--owner-name", default="Owner")
    org.add_argument("--timezone", default="UTC")
    org.set_defaults(run=create_org)
    verify = commands.add_parser("verify-audit", help="check an org's audit chain; exit 1 if broken")
    verify.add_argument("--org", required=True, help="the org's slug")
    verify.set_defaults(run=verify_audit)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    run: Command = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""What is kept of where a request came from (ASVS 14.2 data minimisation; issue 22, item 8).

Requests are judged on the full address (IP allowlists, per-address limits); what is STORED with an
audit event or a login attempt is the address's network (IPv4 /24, IPv6 /48) and the user agent's
product tokens without their comments (device, OS build, locale): enough to tell a clinic's office
from another country, not to single out one patient's device years later. Rate-limit counters key a
source address by its keyed hash (`counter_subject`), and live only for their window.
"""

from __future__ import annotations

import ipaddress
import re

IPV4_PREFIX = 24
IPV6_PREFIX = 48
USER_AGENT_MAX = 128
_SPACES = re.compile(r"\s+")


def truncated_ip(address: str | None) -> str | None:
    """`203.0.113.7` -> `203.0.113.0/24`, `2001:db8:1:2::5` -> `2001:db8:1::/48`; None for none or garbage."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    prefix = IPV4_PREFIX if parsed.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def coarse_user_agent(user_agent: str | None) -> str | None:
    """The product tokens of a User-Agent (`Mozilla/5.0 AppleWebKit/537.36 Chrome/120.0 Safari/537.36`):
    every parenthesised comment, where devices and OS builds are named, is dropped; at most 128 chars."""
    if not user_agent:
        return None
    kept, depth = [], 0
    for char in user_agent:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and char.isprintable():
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()[:USER_AGENT_MAX] or None

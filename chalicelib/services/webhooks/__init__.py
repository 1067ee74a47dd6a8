"""Signed webhooks (issue 29, item 5): owners' HTTPS endpoints told of booking events, from the queue."""

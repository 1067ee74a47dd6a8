"""The mail queue's consumer run after each request of a Chalice test client (services/mail_queue)."""

from __future__ import annotations

from chalice.test import Client


def drain_after_each_request(test_client: Client) -> None:
    """What a route queued is done, by the consumer the Lambda runs, before the test reads the answer:
    tests that expect the mail find it, as they would a moment later on AWS."""
    from scripts.queue_consumer import drain

    send = test_client.http.request

    def request_then_drain(*args, **kwargs):
        answer = send(*args, **kwargs)
        drain()
        return answer

    test_client.http.request = request_then_drain

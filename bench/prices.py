"""AWS list prices the cost model uses: ONE table, with the day they were read. Change them here only.

us-east-1, on-demand, no free tier, no savings plans. Read on READ_ON from AWS's public pricing pages
(DynamoDB on-demand since its November 2024 cut); this machine cannot reach AWS, so re-check them
before quoting a figure to anyone, and move READ_ON with them.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_ON = "2026-12-06"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float
    per: float  # units the price is for
    unit: str

    @property
    def each(self) -> float:
        return self.usd / self.per


PRICES: dict[str, Price] = {
    "dynamodb_read_request_unit": Price(0.125, 1_000_000, "on-demand read request unit"),
    "dynamodb_write_request_unit": Price(0.625, 1_000_000, "on-demand write request unit"),
    "kms_request": Price(0.03, 10_000, "symmetric-key API request"),
    "lambda_request": Price(0.20, 1_000_000, "invocation"),
    "lambda_gb_second": Price(0.0000166667, 1, "GB-second, x86"),
    "ses_email": Price(0.10, 1_000, "outbound e-mail"),
    "sqs_request": Price(0.40, 1_000_000, "standard queue request (64 KB)"),
    "api_gateway_request": Price(3.50, 1_000_000, "REST API request (first 333 million)"),
}

# Not prices: what the model assumes where the local stack cannot measure AWS itself.
DYNAMODB_CALL_MS = 6.0  # a DynamoDB call's latency inside the region, added to own-code time for Lambda
SQS_REQUESTS_PER_MAIL = 3  # the queued mail's SendMessage, the consumer's ReceiveMessage and DeleteMessage

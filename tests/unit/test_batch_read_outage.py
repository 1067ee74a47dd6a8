"""A BatchGetItem goes through the raw botocore client (not PynamoDB): its timeouts and throttling are
still storage_unavailable (nothing changed, retry), never a generic service_unavailable. Seen in the
50-way race of tests/e2e/test_booking_concurrency.py, where the losers' early lock read (`lost_already`)
timed out on the local stack."""

from __future__ import annotations

from unittest import mock

import botocore.exceptions
import pytest

from chalicelib.aws import RequestDeadlineExceeded
from chalicelib.errors import StorageUnavailable
from chalicelib.models import batch_read


@pytest.mark.parametrize("error", [
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), RequestDeadlineExceeded(),
    botocore.exceptions.ClientError({"Error": {"Code": "ThrottlingException"},
                                     "ResponseMetadata": {"HTTPStatusCode": 400}}, "BatchGetItem"),
], ids=type)
def test_a_batch_read_that_times_out_is_storage_unavailable(error):
    client = mock.Mock()
    client.batch_get_item.side_effect = error
    with (mock.patch.object(batch_read, "shared_connection", return_value=mock.Mock(client=client)),
          pytest.raises(StorageUnavailable) as raised):
        batch_read._fetch({"table": {"Keys": [], "ConsistentRead": True}})
    assert raised.value.__cause__ is error


def test_a_bug_in_a_batch_read_stays_a_bug():
    client = mock.Mock()
    client.batch_get_item.side_effect = botocore.exceptions.ParamValidationError(report="bad")
    with (mock.patch.object(batch_read, "shared_connection", return_value=mock.Mock(client=client)),
          pytest.raises(botocore.exceptions.ParamValidationError)):
        batch_read._fetch({"table": {"Keys": [], "ConsistentRead": True}})

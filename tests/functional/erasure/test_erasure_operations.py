"""An operator erases a customer on a clinic's written request (manage.py), audited on both chains."""

from __future__ import annotations

import json

import pytest

import manage
from chalicelib.models.audit import AuditEvent
from chalicelib.models.customer import Customer
from chalicelib.services import customers
from tests.functional.booking.helpers import make_clinic

ANN = customers.CustomerDetails("Ann Oduya", "ann.oduya@example.org", "+14155550142", "Asthma, uses an inhaler")


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = manage.main(list(argv))
    output = capsys.readouterr().out
    return code, json.loads(output[output.index("{"):])


def test_an_operator_erases_on_a_written_request_audited_on_both_chains(clinic, capsys):
    customer_id = customers.create_customer(clinic.org_id, ANN, "t")

    code, report = run(capsys, "erase-customer", "--org", "clinic", "--customer", customer_id,
                       "--reason", "patient_request")

    assert code == 0 and report["deleted"]["customers"] == 1
    assert Customer.count(clinic.org_id) == 0
    for chain in (clinic.org_id, "_system"):
        erased = [e for e in AuditEvent.query(chain) if e.action == "customer.erased"]
        assert len(erased) == 1 and erased[0].actor == "operator"
        assert erased[0].subjects["customer_id"] == customer_id
        assert ANN.name not in json.dumps(erased[0].attribute_values, default=str)


def test_an_unknown_customer_or_a_free_text_reason_is_refused(clinic, capsys):
    code, report = run(capsys, "erase-customer", "--org", "clinic", "--customer", "nobody", "--reason",
                       "patient_request")
    assert code == 1 and report["ok"] is False

    with pytest.raises(SystemExit):
        manage.main(["erase-customer", "--org", "clinic", "--customer", "x", "--reason", "she called"])

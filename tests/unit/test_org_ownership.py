"""Every table declares how its items belong to an org: deleting an org cannot miss a new table."""

from __future__ import annotations

from chalicelib.models import ALL_MODELS
from chalicelib.models.ownership import SELECTORS, NotOrgData, OrgHashKey, ViaParent


def test_every_model_declares_how_its_items_belong_to_an_org():
    undeclared = [model.__name__ for model in ALL_MODELS if model not in SELECTORS]

    assert not undeclared, f"add these to models/ownership.py SELECTORS: {undeclared}"


def test_a_selector_names_attributes_the_model_really_has():
    for model, selector in SELECTORS.items():
        if isinstance(selector, NotOrgData):
            continue
        assert selector.attribute in model.get_attributes(), (model.__name__, selector)
        if isinstance(selector, OrgHashKey):
            assert model._hash_key_attribute().attr_name == selector.attribute, model.__name__
        if isinstance(selector, ViaParent):
            assert selector.parent_key == selector.parent._hash_key_attribute().attr_name, model.__name__


def test_only_the_erasure_ledger_and_key_tombstones_outlive_a_deleted_org():
    kept = {model.__name__ for model, selector in SELECTORS.items() if isinstance(selector, NotOrgData)}

    assert kept == {"ErasureRecord", "ShredKey"}

"""Names are deterministic, valid for SageMaker, and owned by exactly one stack resource."""

from __future__ import annotations

import re

from endpoint_provider.naming import (
    Owner,
    StackLocation,
    child_name,
    child_prefix,
    derived_endpoint_name,
    endpoint_name_from_arn,
)

STACK_ID = (
    "arn:aws:cloudformation:eu-west-1:123456789012:stack/My_Stack/"
    "11111111-2222-3333-4444-555555555555"
)
VALID = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")


def test_derived_endpoint_name_is_valid_lower_case_and_stable():
    # Given a stack name with characters SageMaker does not allow
    # When the name is derived twice
    first = derived_endpoint_name(STACK_ID, "ChurnEndpoint")
    second = derived_endpoint_name(STACK_ID, "ChurnEndpoint")

    # Then it is the same, valid, and lower case (so IAM ARNs match SageMaker's)
    assert first == second
    assert VALID.match(first)
    assert first.startswith("my-stack-churnendpoint-")


def test_derived_endpoint_names_fit_63_characters_and_stay_distinct():
    # Given two long logical IDs that share their first 63 characters
    long_id = "Endpoint" * 12
    first = derived_endpoint_name(STACK_ID, long_id + "A")
    second = derived_endpoint_name(STACK_ID, long_id + "B")

    # Then both fit and differ
    assert len(first) <= 63 and len(second) <= 63
    assert first != second


def test_a_recreated_stack_of_the_same_name_gets_new_names():
    # Given the same stack name with a new stack ID
    other_stack = STACK_ID.replace("11111111", "99999999")

    # Then derived names differ, so leftovers of the old stack never collide
    assert derived_endpoint_name(STACK_ID, "E") != derived_endpoint_name(other_stack, "E")


def test_child_names_change_exactly_with_their_content():
    # Given an endpoint and a config request
    request = {"ProductionVariants": [{"InstanceType": "ml.m5.large"}]}

    # Then equal content gives equal names, in any key order, and other content another name
    assert child_name("churn", request) == child_name("churn", dict(request))
    assert child_name("churn", {"B": 1, "A": 2}) == child_name("churn", {"A": 2, "B": 1})
    assert child_name("churn", request) != child_name("churn", {"ProductionVariants": []})


def test_child_names_of_long_endpoints_fit_and_share_the_prefix():
    # Given the longest endpoint name
    endpoint = "E" * 63

    # When a child is named
    name = child_name(endpoint, {"x": 1})

    # Then it fits SageMaker's limit and starts with the endpoint's child prefix
    assert len(name) == 63
    assert VALID.match(name)
    assert name.startswith(child_prefix(endpoint))


def test_physical_ids_that_are_not_endpoint_arns_name_nothing():
    # Given the placeholder crhelper generates for a failed create, and a real ARN
    placeholder = "My_Stack_ChurnEndpoint_AB12CD34"
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-v1"

    # Then only the ARN yields an endpoint name
    assert endpoint_name_from_arn(placeholder) is None
    assert endpoint_name_from_arn(None) is None
    assert endpoint_name_from_arn(arn) == "churn-v1"


def test_endpoint_arns_are_lower_case_like_sagemaker_s():
    # When the ARN of a mixed-case endpoint name is built
    arn = StackLocation.of(STACK_ID).endpoint_arn("Churn-V1")

    # Then it is in the stack's partition, region and account, lower-cased
    assert arn == "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-v1"


def test_ownership_needs_the_same_stack_and_logical_id():
    # Given the tags this owner writes
    owner = Owner(STACK_ID, "ChurnEndpoint", "churn-v1")
    tags = owner.tags()

    # Then the owner recognises them, and other owners do not
    assert owner.owns(tags) and owner.owns_child(tags)
    assert not Owner(STACK_ID, "Other", "churn-v1").owns(tags)
    assert not Owner(STACK_ID, "ChurnEndpoint", "churn-v2").owns_child(tags)
    assert not owner.owns({})

"""The update planner picks the least disruptive action for each kind of change."""

from __future__ import annotations

import copy

import pytest

from endpoint_provider.endpoint.update_plan import UpdatePlan, plan_update

NOTHING = UpdatePlan()


@pytest.fixture
def plan(state):
    def planned(old_raw, new_raw):
        old, new = state(old_raw), state(new_raw)
        return plan_update(old, new, old.endpoint_name)

    return planned


def test_identical_properties_change_nothing(endpoint_properties, plan):
    assert plan(endpoint_properties, copy.deepcopy(endpoint_properties)) == NOTHING


def test_a_new_endpoint_name_replaces(endpoint_properties, state, plan):
    # Given a rename
    new = copy.deepcopy(endpoint_properties)
    new["EndpointName"] = "churn-v2"

    # When planned
    result = plan(endpoint_properties, new)

    # Then the endpoint is replaced and nothing else is attempted
    assert result.replace
    assert result.reasons == (
        f"EndpointName {state(endpoint_properties).endpoint_name} -> churn-v2: replacement",
    )


def test_renaming_only_the_case_is_not_a_replacement(endpoint_properties, plan):
    # Given a name whose ARN form (lower case) does not change
    old = copy.deepcopy(endpoint_properties)
    old["EndpointName"] = "Churn"
    new = copy.deepcopy(endpoint_properties)
    new["EndpointName"] = "churn"

    # Then the endpoint stays
    assert not plan(old, new).replace


def _new_config_named(result, new):
    return result.reasons == (f"endpoint config -> {new.config.name}: update in place",)


def test_a_model_change_updates_in_place_through_a_new_config(endpoint_properties, state, plan):
    # Given new model data
    new = copy.deepcopy(endpoint_properties)
    new["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"

    # When planned
    result = plan(endpoint_properties, new)

    # Then a new config is rolled out to the same endpoint
    assert not result.replace
    assert _new_config_named(result, state(new))


def test_a_variant_change_updates_in_place(endpoint_properties, state, plan):
    new = copy.deepcopy(endpoint_properties)
    new["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    assert _new_config_named(plan(endpoint_properties, new), state(new))


def test_a_role_change_needs_a_new_model(endpoint_properties, state, plan):
    new = copy.deepcopy(endpoint_properties)
    new["ExecutionRoleArn"] = "arn:aws:iam::123456789012:role/other"
    old_state, new_state = state(endpoint_properties), state(new)
    assert old_state.models[0].name != new_state.models[0].name
    assert _new_config_named(plan(endpoint_properties, new), new_state)


def test_tags_change_in_place_without_a_new_config(endpoint_properties, plan):
    # Given a changed tag value, a new tag and a removed tag
    old = copy.deepcopy(endpoint_properties)
    old["Tags"] = [{"Key": "team", "Value": "churn"}, {"Key": "stage", "Value": "dev"}]
    new = copy.deepcopy(endpoint_properties)
    new["Tags"] = [{"Key": "team", "Value": "retention"}, {"Key": "cost", "Value": "42"}]

    # When planned
    result = plan(old, new)

    # Then only tags change
    assert result == UpdatePlan(
        tags_to_add={"team": "retention", "cost": "42"},
        tag_keys_to_remove=("stage",),
        reasons=("tags: in place",),
    )


def test_service_timeout_alone_changes_nothing(endpoint_properties, plan):
    new = copy.deepcopy(endpoint_properties)
    new["ServiceTimeout"] = "1800"
    assert plan(endpoint_properties, new) == NOTHING


def test_unparsable_old_properties_plan_a_config_check(endpoint_properties, state):
    # Given the rollback of an update whose properties never parsed
    new = state(endpoint_properties)

    # When planned without old state
    result = plan_update(None, new, new.endpoint_name)

    # Then the live endpoint must be compared with the wanted config and scaling, and every
    # tag is put back
    assert result == UpdatePlan(
        tags_to_add=new.user_tags,
        reasons=(
            f"endpoint config -> {new.config.name}: update in place",
            "autoscaling: in place",
            "tags: in place",
        ),
    )

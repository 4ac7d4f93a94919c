"""Staff manage groups and invites over the API; to anyone else it does not exist."""

import pytest
from rest_framework.test import APIClient

from accounts.invites import invite_hash
from accounts.models import Invite
from accounts.tests.factories import UserFactory
from chat.models import AllowanceGroup
from conftest import bearer_client

pytestmark = pytest.mark.django_db
GROUPS, INVITES = "/api/v1/staff/groups/", "/api/v1/staff/invites/"


@pytest.fixture
def staff():
    return bearer_client(UserFactory(is_staff=True))


def test_groups_and_invites_do_not_exist_for_others():
    member = bearer_client(UserFactory())

    for path in (GROUPS, INVITES):
        assert member.get(path).status_code == 404
        assert member.post(path, {}, format="json").status_code == 404
        assert APIClient().get(path).status_code == 404


def test_staff_make_a_group_set_its_allowances_and_fill_it(staff):
    kim = UserFactory(email="kim@school.example")

    made = staff.post(
        GROUPS, {"name": "class-a", "daily_tokens": 20000, "allowed_models": ["gpt-4o-mini"]}, format="json"
    )
    group_id = made.json()["id"]
    changed = staff.patch(f"{GROUPS}{group_id}/", {"monthly_tokens": 300000}, format="json")
    added = staff.post(f"{GROUPS}{group_id}/members/", {"email": "KIM@school.example"}, format="json")
    unknown = staff.post(f"{GROUPS}{group_id}/members/", {"email": "nobody@school.example"}, format="json")
    twice = staff.post(GROUPS, {"name": "class-a"}, format="json")
    bad_model = staff.patch(f"{GROUPS}{group_id}/", {"allowed_models": ["gpt-imaginary"]}, format="json")

    assert made.status_code == 201
    assert changed.json() | {"members": 1} == {
        "id": group_id,
        "name": "class-a",
        "daily_limit": None,
        "daily_tokens": 20000,
        "monthly_tokens": 300000,
        "allowed_models": ["gpt-4o-mini"],
        "members": 1,
    }
    assert added.status_code == 204
    assert list(AllowanceGroup.objects.get().members.all()) == [kim]
    assert unknown.status_code == twice.status_code == bad_model.status_code == 400
    assert staff.get(GROUPS).json()[0]["members"] == 1
    assert staff.delete(f"{GROUPS}{group_id}/members/{kim.pk}/").status_code == 204
    assert staff.delete(f"{GROUPS}{group_id}/members/{kim.pk}/").status_code == 404


def test_staff_make_an_invite_whose_code_is_shown_once(staff, settings):
    AllowanceGroup.objects.create(name="class-b")

    made = staff.post(INVITES, {"uses": 30, "days": 14, "groups": ["class-b"], "note": "spring"}, format="json")
    listed = staff.get(INVITES).json()
    no_group = staff.post(INVITES, {"groups": ["no-such-group"]}, format="json")

    body = made.json()
    assert made.status_code == 201
    assert Invite.objects.get().code_hash == invite_hash(body["code"])
    assert (body["max_uses"], body["groups"], body["note"]) == (30, ["class-b"], "spring")
    assert "code" not in listed[0] and listed[0]["hint"] == body["code"][:4]
    assert no_group.status_code == 400
    assert staff.delete(f"{INVITES}{body['id']}/").status_code == 204
    assert not Invite.objects.exists()

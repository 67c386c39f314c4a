from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.conftest import EmployeeFactory
from kehu.core.concurrency import StaleVersionError
from kehu.customers import services
from kehu.customers.models import Account, CustomField, Ownership, Tag, TimelineEntry
from kehu.customers.tests.factories import account


@pytest.fixture
def fields(db):
    CustomField.objects.create(
        code="credit_rating", label="信用评级", kind="choice", choices=["AAA", "AA"], required=True
    )
    CustomField.objects.create(code="contract_no", label="合同编号")
    CustomField.objects.create(code="seats", label="席位", kind="number")
    CustomField.objects.create(code="signed", label="签约日", kind="date")
    CustomField.objects.create(code="vip", label="VIP", kind="checkbox")


def test_create_with_owner_tags_and_custom_fields(world, fields):
    owner = EmployeeFactory(department=world.aftersales)
    created = services.account_create(
        fields={"name": "上海星河网络有限公司", "name_en": "Galaxy Network", "level": "key"},
        owner=owner,
        tags=services.split_tags("重点保障，政企; 出海"),
        custom_fields={
            "credit_rating": "AAA",
            "seats": "1,200",
            "signed": "2024-03-01",
            "vip": "是",
        },
        actor=world.admin,
    )
    assert created.owner == owner
    assert sorted(t.name for t in created.tags.all()) == sorted(["重点保障", "政企", "出海"])
    assert created.custom_fields == {
        "credit_rating": "AAA",
        "seats": 1200,
        "signed": "2024-03-01",
        "vip": True,
    }
    ownership = Ownership.objects.get(account=created)
    assert ownership.owner == owner and ownership.ended_at is None
    assert TimelineEntry.objects.filter(account=created, kind="owner").count() == 1


def test_custom_field_rules(world, fields):
    with pytest.raises(ValidationError) as exc:
        services.custom_field_values({"contract_no": "X"})
    assert "credit_rating" in exc.value.message_dict  # required
    with pytest.raises(ValidationError) as exc:
        services.custom_field_values({"credit_rating": "C", "seats": "many", "signed": "昨天"})
    assert set(exc.value.message_dict) == {"credit_rating", "seats", "signed"}
    with pytest.raises(ValidationError) as exc:
        services.custom_field_values({"credit_rating": "AA", "nonsense": "1"})
    assert "custom_fields" in exc.value.message_dict


def test_update_changes_owner_with_history_and_refuses_stale_version(world):
    first = EmployeeFactory(department=world.aftersales)
    second = EmployeeFactory(department=world.aftersales)
    acc = services.account_create(fields={"name": "甲公司"}, owner=first)
    updated = services.account_update(
        acc,
        expected_version=acc.version,
        fields={"credit_limit": Decimal("500000")},
        owner=second,
        owner_reason="轮岗",
        tags=["新签约"],
    )
    assert updated.owner == second and updated.credit_limit == Decimal("500000")
    history = list(Ownership.objects.filter(account=acc).order_by("started_at", "id"))
    assert [h.owner for h in history] == [first, second]
    assert history[0].ended_at is not None and history[1].ended_at is None
    assert history[1].reason == "轮岗"
    assert Tag.objects.filter(name="新签约").exists()
    with pytest.raises(StaleVersionError):
        services.account_update(acc, expected_version=1, fields={"region": "上海"})
    assert Account.objects.get(pk=acc.pk).region == ""


def test_parent_cannot_make_a_loop(db):
    top = account("集团")
    child = account("子公司", parent=top)
    grandchild = account("孙公司", parent=child)
    with pytest.raises(ValidationError):
        services.account_update(top, expected_version=top.version, fields={"parent": grandchild})
    with pytest.raises(ValidationError):
        services.account_update(top, expected_version=top.version, fields={"parent": top})
    services.account_update(grandchild, expected_version=grandchild.version, fields={"parent": top})


def test_contact_phone_is_normalised_and_checked(db):
    acc = account()
    contact = services.contact_create(
        account=acc, fields={"name": "李娜", "phone": "+86 138-0000-0000", "email": "Li@X.cn"}
    )
    assert contact.phone_key == "+8613800000000"
    with pytest.raises(ValidationError):
        services.contact_create(account=acc, fields={"name": "王", "phone": "abc"})
    with pytest.raises(StaleVersionError):
        services.contact_update(contact, expected_version=9, fields={"role": "CTO"})


def test_custom_field_definitions(db):
    with pytest.raises(ValidationError):
        services.custom_field_create(fields={"code": "tier", "label": "等级", "kind": "choice"})
    definition = services.custom_field_create(
        fields={"code": "tier", "label": "等级", "kind": "choice", "choices": ["金", "银", "金"]}
    )
    assert definition.choices == ["金", "银"]
    changed = services.custom_field_update(
        definition, expected_version=1, fields={"code": "other", "label": "级别", "choices": ["铜"]}
    )
    assert changed.code == "tier" and changed.label == "级别" and changed.choices == ["铜"]

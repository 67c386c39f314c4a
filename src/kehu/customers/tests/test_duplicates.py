import pytest

from kehu.customers.duplicates import find_duplicates
from kehu.customers.normalise import company_name_key, phone_key
from kehu.customers.tests.factories import account, contact


@pytest.mark.parametrize(
    "a,b",
    [
        ("北京蓝鲸科技有限公司", "北京蓝鲸科技"),
        ("ACME Co., Ltd.", "Acme"),
        ("ＡＣＭＥ　Ｌｔｄ", "acme"),  # full-width letters and space
        ("蓝鲸（北京）科技股份有限公司", "蓝鲸(北京)科技"),
    ],
)
def test_name_keys_match(a, b):
    assert company_name_key(a) == company_name_key(b)


def test_phone_formats_share_a_key():
    assert phone_key("+86 138-0000-0000") == phone_key("13800000000") == "+8613800000000"


def ids(candidates):
    return [c.account.pk for c in candidates]


def test_chinese_and_english_names_against_both_names(db):
    whale = account("北京蓝鲸科技有限公司", name_en="Blue Whale Technology Co., Ltd.")
    account("上海星河网络有限公司", name_en="Galaxy Network")
    assert ids(find_duplicates(name="北京蓝鲸科技")) == [whale.pk]
    assert ids(find_duplicates(name="Blue Whale Technology")) == [whale.pk]
    assert ids(find_duplicates(name="新公司", name_en="BLUE WHALE TECHNOLOGY LIMITED")) == [
        whale.pk
    ]
    assert find_duplicates(name="深圳蓝鲸") == []


def test_contacts_email_case_and_phone_format(db):
    whale = account("北京蓝鲸科技有限公司")
    contact(whale, email="Zhang.Wei@BlueWhale.cn", phone="+86 138-0000-0000")
    by_mail = find_duplicates(emails=["zhang.wei@bluewhale.cn"])
    assert ids(by_mail) == [whale.pk] and "zhang" in by_mail[0].reasons[0].lower()
    assert ids(find_duplicates(phones=["13800000000"])) == [whale.pk]
    assert find_duplicates(phones=["13800000000"], exclude_id=whale.pk) == []


def test_migration_backfill_uses_the_same_english_key():
    import importlib

    migration = importlib.import_module(
        "kehu.customers.migrations.0003_account_name_en_key_merge_kind"
    )
    for name in ("ACME Co., Ltd.", "Ｂｌｕｅ Whale Group", "蓝鲸（北京）科技有限公司"):
        assert migration._key(name) == company_name_key(name)

"""Ticket full-text search: tokens, index upkeep, ranking, visibility, filters, odd input."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.conftest import EmployeeFactory
from kehu.desk import tickets
from kehu.desk.models import Message, Status, Ticket, TicketSearchDocument
from kehu.desk.search import SearchFilters, search_tickets, tokenize
from kehu.desk.search import index as search
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db


def found(user, query, filters=None):
    return [t.subject for t in search_tickets(user, query, filters)]


# --- tokens ------------------------------------------------------------------------------------


def test_cjk_runs_become_overlapping_bigrams_and_latin_words_stay_whole():
    assert tokenize("请重新开具发票") == ["请重", "重新", "新开", "开具", "具发", "发票"]
    assert tokenize("VPN无法连接, Ｗｉ-Ｆｉ 5G") == [
        "vpn",
        "无法",
        "法连",
        "连接",
        "wi",
        "fi",
        "5g",
    ]
    assert tokenize("票") == ["票"]
    assert tokenize("“” ** -- NEAR") == ["near"]


def test_document_tokens_also_hold_single_characters():
    assert "票" in search.document_tokens("发票")
    assert search.document_tokens("票") == ["票"]  # a lone character is not doubled


# --- finding -----------------------------------------------------------------------------------


def test_a_chinese_word_finds_it_inside_text_without_spaces(world, portal_contacts, after_commit):
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="请重新开具发票")
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="打印机卡纸")
    assert found(world.agent, "发票") == ["请重新开具发票"]
    assert found(world.agent, "重新开具") == ["请重新开具发票"]
    assert found(world.agent, "票") == ["请重新开具发票"]
    assert found(world.agent, "开票") == []  # not in the text


def test_mixed_chinese_and_english_queries(world, portal_contacts, after_commit):
    after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="VPN无法连接", body="公司网络"
    )
    after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="vpn 账号申请", body="新员工"
    )
    after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="网络连接很慢", body="办公室"
    )
    assert sorted(found(world.agent, "VPN")) == ["VPN无法连接", "vpn 账号申请"]
    assert found(world.agent, "vpn 连接") == ["VPN无法连接"]
    assert found(world.agent, "ｖｐｎ　无法") == ["VPN无法连接"]  # full-width forms too


def test_the_conversation_and_tags_are_searchable(world, portal_contacts, after_commit):
    ticket = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="无法登录")
    after_commit(tickets.add_message, ticket, actor=world.agent, body="请清除浏览器缓存后再试")
    assert found(world.agent, "浏览器缓存") == ["无法登录"]
    assert found(world.agent, "财务系统") == []
    after_commit(
        tickets.update_ticket,
        ticket,
        actor=world.agent,
        expected_version=Ticket.objects.get(pk=ticket.pk).version,
        changes={},
        tags=["财务系统", "SAP"],
    )
    assert found(world.agent, "财务系统") == ["无法登录"]
    assert found(world.agent, "sap") == ["无法登录"]
    assert found(world.agent, ticket.reference) == ["无法登录"]


def test_a_subject_match_ranks_above_a_passing_mention(world, portal_contacts, after_commit):
    after_commit(
        f.ticket,
        world.support,
        contact_=portal_contacts[0],
        subject="打印机卡纸",
        body="办公室三楼的打印机从早上开始一直卡纸，换了纸盒也不行，顺便问一下发票什么时候寄出。",
    )
    after_commit(
        f.ticket,
        world.support,
        contact_=portal_contacts[0],
        subject="发票抬头错误",
        body="请帮忙修改",
    )
    results = list(search_tickets(world.agent, "发票"))
    assert [t.subject for t in results] == ["发票抬头错误", "打印机卡纸"]
    assert results[0].rank > results[1].rank > 0


def test_merging_indexes_the_target_with_the_merged_conversation(
    world, portal_contacts, after_commit
):
    source = after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="显示器闪烁"
    )
    target = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="屏幕问题")
    after_commit(tickets.merge, source, target, actor=world.agent)
    # The copied conversation is an internal note on the target: staff find it there.
    assert sorted(found(world.agent, "显示器闪烁")) == ["屏幕问题", "显示器闪烁"]


# --- who finds what ----------------------------------------------------------------------------


def test_a_customer_finds_only_their_accounts_tickets(world, portal_contacts, after_commit):
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="甲的发票")
    after_commit(f.ticket, world.support, contact_=portal_contacts[1], subject="乙的发票")
    assert found(world.customer_a, "发票") == ["甲的发票"]
    assert found(world.customer_b, "发票") == ["乙的发票"]
    assert found(world.customer_a, "") == ["甲的发票"]
    assert found(world.outsider, "发票") == []
    assert sorted(found(world.agent, "发票")) == ["乙的发票", "甲的发票"]


def test_internal_notes_match_for_staff_but_never_for_the_customer(
    world, portal_contacts, after_commit
):
    ticket = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="退款申请")
    after_commit(
        tickets.add_message,
        ticket,
        actor=world.agent,
        body="客户信用评级偏低，暂缓处理",
        kind=Message.Kind.INTERNAL,
    )
    assert found(world.agent, "信用评级") == ["退款申请"]
    assert found(world.customer_a, "信用评级") == []
    # Mixing public and internal words does not let a customer match on the note either.
    assert found(world.customer_a, "退款 信用评级") == []
    assert found(world.customer_a, "退款") == ["退款申请"]
    assert "信用" not in "".join(search.snippets(world.customer_a, [ticket], "退款").values())


def test_an_employee_matches_notes_only_on_their_own_departments_tickets(world, after_commit):
    me = EmployeeFactory(department=world.finance, user=world.employee)
    own = after_commit(f.ticket, world.finance, employee=EmployeeFactory(), subject="报销单据")
    mine = after_commit(f.ticket, world.support, employee=me, subject="电脑故障")
    for ticket in (own, mine):
        after_commit(
            tickets.add_message, ticket, actor=world.agent, body="备件缺货", kind="internal"
        )
    assert found(world.employee, "备件缺货") == ["报销单据"]
    assert sorted(found(world.employee, "")) == ["报销单据", "电脑故障"]
    # The search's notion agrees with sees_internal for each ticket.
    from kehu.desk.rules import sees_internal

    scope = search.internal_scope(world.employee)
    for ticket in (own, mine):
        allowed = scope.everywhere or scope.department_id == ticket.department_id
        assert allowed == sees_internal(world.employee, ticket)


# --- filters -----------------------------------------------------------------------------------


def test_filters_combine_with_the_text(world, portal_contacts, after_commit):
    agent_employee = EmployeeFactory(department=world.support, user=world.agent)
    first = after_commit(
        f.ticket,
        world.support,
        contact_=portal_contacts[0],
        subject="发票丢失",
        ticket_type="incident",
        tags=["财务"],
        assignee=agent_employee,
    )
    after_commit(f.ticket, world.finance, contact_=portal_contacts[1], subject="发票重开")
    after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="密码重置", tags=["财务"]
    )
    tickets.change_status(first, Status.RESOLVED, actor=world.agent)

    def subjects(**filters):
        return sorted(found(world.agent, "发票", SearchFilters(**filters)))

    assert subjects() == ["发票丢失", "发票重开"]
    assert subjects(statuses=[Status.RESOLVED]) == ["发票丢失"]
    assert subjects(statuses=[Status.NEW, Status.OPEN]) == ["发票重开"]
    assert subjects(ticket_type="incident") == ["发票丢失"]
    assert subjects(department_id=world.finance.pk) == ["发票重开"]
    assert subjects(account_id=portal_contacts[1].account_id) == ["发票重开"]
    assert subjects(assignee_id=agent_employee.pk) == ["发票丢失"]
    assert subjects(tag="财务") == ["发票丢失"]
    assert subjects(tag="财务", department_id=world.finance.pk) == []
    priority = Ticket.objects.get(pk=first.pk).priority
    assert "发票丢失" in subjects(priority=priority)
    today = timezone.localdate()
    assert subjects(created_from=today, created_to=today) == ["发票丢失", "发票重开"]
    assert subjects(created_to=today - timedelta(days=1)) == []
    assert subjects(created_from=today + timedelta(days=1)) == []


# --- odd input ---------------------------------------------------------------------------------

ODD_QUERIES = [
    "",
    "   ",
    '"',
    '"发票',
    "*",
    "发票*",
    "-发票",
    "NEAR(发票 打印机)",
    "发票 NEAR 打印机",
    "AND OR NOT",
    "subject_tokens:发票",
    "{internal_tokens}: 发票",
    "^发票 + (",
    "'; DROP TABLE desk_ticket; --",
    "\x00发票",
    "发票" * 1000,
    "a" * 2000,
    "𠀀𠀁 emoji 😀",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_fail(world, portal_contacts, after_commit, query):
    ticket = after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="发票 打印机"
    )
    for user in (world.agent, world.customer_a):
        results = list(search_tickets(user, query))
        assert all(t.pk == ticket.pk for t in results)
        search.snippets(user, results, query)


def test_operators_are_searched_as_words_not_obeyed(world, portal_contacts, after_commit):
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="发票 打印机")
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="near the window")
    assert found(world.agent, "NEAR") == ["near the window"]
    assert found(world.agent, "-发票") == ["发票 打印机"]  # "-" is not NOT
    assert found(world.agent, '"') == []  # nothing to search for: nothing found


# --- snippets ----------------------------------------------------------------------------------


def test_snippets_escape_html_and_mark_matches():
    text = "<script>alert(1)</script> 请重新开具发票 & VPN"
    marked = search.snippet(text, search.query_tokens("开具发票 vpn"))
    assert "<script>" not in marked
    assert "&lt;script&gt;" in marked
    assert "<mark>开具发票</mark>" in marked
    assert "<mark>VPN</mark>" in marked
    assert search.snippet("vpnclient", ["vpn"]) is None  # only whole Latin words
    long = "前" * 300 + "发票" + "后" * 300
    cut = search.snippet(long, ["发票"])
    assert cut.startswith("…") and cut.endswith("…") and "<mark>发票</mark>" in cut


# --- the index ---------------------------------------------------------------------------------


def test_reindex_rebuilds_missing_and_stale_documents(world, portal_contacts, after_commit):
    first = f.ticket(
        world.support, contact_=portal_contacts[0], subject="未索引的工单"
    )  # no events run
    second = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="旧标题")
    Ticket.objects.filter(pk=second.pk).update(subject="新标题")
    assert found(world.agent, "未索引") == []
    call_command("reindex_tickets", batch_size=1)
    assert TicketSearchDocument.objects.count() == 2
    assert found(world.agent, "未索引") == ["未索引的工单"]
    assert found(world.agent, "新标题") == ["新标题"]
    assert found(world.agent, "旧标题") == []
    first.delete()
    assert found(world.agent, "未索引") == []


# --- many matches --------------------------------------------------------------------------------


def test_beyond_the_count_limit_the_newest_matches_are_ranked(
    world, portal_contacts, after_commit, monkeypatch
):
    monkeypatch.setattr(search, "COUNT_LIMIT", 4)  # more than 4 matches is "many" here
    old_best = after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="发票 发票 发票"
    )
    made = [
        after_commit(
            f.ticket, world.support, contact_=portal_contacts[0], subject=f"打印机{n}", body="发票"
        )
        for n in range(6)
    ]
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="无关")
    newer_best = made[-2]
    Ticket.objects.filter(pk=newer_best.pk).update(subject="发票问题")
    search.index_ticket(newer_best.pk)

    first = search.search_page(world.agent, "发票", page=1, page_size=2)
    assert (first.count, first.count_capped, first.num_pages) == (4, True, 2)
    # The newest four matches, best first: the oldest, stronger match is not among them.
    assert first.tickets[0] == newer_best
    second = search.search_page(world.agent, "发票", page=2, page_size=2)
    assert second.number == 2
    assert set(first.tickets) | set(second.tickets) == set(made[2:])  # same four on every page

    beyond = search.search_page(world.agent, "发票", page=99, page_size=2)
    assert beyond.number == 2  # clamped to the pages that can be reached
    assert old_best not in first.tickets + second.tickets + beyond.tickets

    few = search.search_page(world.agent, "打印机0")
    assert (few.count, few.count_capped, few.tickets) == (1, False, [made[0]])

"""The contract pages: create with formsets, detail in a fixed number of queries, decisions,
lifecycle refusals (409 with the reason), documents, inbox, change orders, comparison."""

import io

import pytest
from django.urls import reverse

from kehu.conftest import client_for
from kehu.contracts import approvals
from kehu.contracts.models import Clause, Contract, ContractTemplate, Status
from kehu.contracts.tests.factories import draft, setup


def _formset(prefix, rows):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _post_data(s, **extra):
    data = {
        "account": s.account.pk,
        "contract_type": s.contract_type.pk,
        "kind": "non_format",
        "title": "网络设备采购",
        "currency": "CNY",
        "exchange_rate": "1",
        "rebate_percent": "0",
        "payment_model": "milestones",
        "payment_days": "30",
        "advance_percent": "0",
        "guarantee_kind": "none",
        "guarantee_percent": "0",
        **_formset(
            "lines",
            [
                {
                    "kind": "product",
                    "name": "交换机",
                    "quantity": "4",
                    "unit": "台",
                    "unit_price": "2500.00",
                    "tax_rate": "13.00",
                }
            ],
        ),
        **_formset("milestones", [{"name": "全款", "trigger": "signing", "percent": "100"}]),
    }
    data.update(extra)
    return data


def test_create_page_computes_totals_and_refuses_bad_rows(world):
    s = setup(world)
    client = client_for(world.account_manager)
    assert client.get(reverse("contracts:create")).status_code == 200
    bad = _post_data(s, **{"lines-0-unit_price": "-5"})
    response = client.post(reverse("contracts:create"), bad)
    assert response.status_code == 422 and not Contract.objects.exists()
    response = client.post(reverse("contracts:create"), _post_data(s))
    contract = Contract.objects.get()
    assert response.status_code == 302 and str(contract.gross_total) == "11300.00"


def test_upload_of_a_non_format_contract_is_searchable(world):
    from docx import Document

    s = setup(world)
    document = Document()
    document.add_paragraph("本合同项下乙方提供机房搬迁服务。")
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    buffer.name = "signed.docx"
    client = client_for(world.account_manager)
    response = client.post(reverse("contracts:create"), {**_post_data(s), "document": buffer})
    assert response.status_code == 302
    found = client.get(reverse("contracts:list"), {"q": "机房搬迁"})
    assert "网络设备采购" in found.content.decode()
    assert (
        client.get(reverse("contracts:upload", args=[Contract.objects.get().pk])).status_code == 200
    )


def test_detail_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    s = setup(world)
    contract = draft(world, s)
    approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    client = client_for(s.finance)
    url = reverse("contracts:detail", args=[contract.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    for _ in range(5):
        draft(world, s)  # other contracts change nothing
    more = draft(
        world,
        s,
        lines=[
            {"kind": "product", "name": f"件{i}", "quantity": "1", "unit": "个", "unit_price": "1"}
            for i in range(20)
        ],
    )
    approvals.submit(contract=more, by=world.account_manager, version=more.version)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("contracts:detail", args=[more.pk])).status_code == 200


def test_inbox_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    s = setup(world)
    client = client_for(s.legal)
    contract = draft(world, s)
    approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    client.get(reverse("contracts:inbox"))
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("contracts:inbox"))
    for _ in range(5):
        c = draft(world, s)
        approvals.submit(contract=c, by=world.account_manager, version=c.version)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("contracts:inbox"))
    assert response.content.decode().count("HT-") >= 6


def test_decision_on_the_page_and_refusals_are_409(world):
    s = setup(world)
    contract = draft(world, s)
    run = approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    step = run.steps.get(name="财务")
    client = client_for(s.finance)
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert f'data-testid="decide-{step.pk}"' in page
    assert (
        client.post(
            reverse("contracts:decide", args=[step.pk]), {"decision": "approve"}
        ).status_code
        == 302
    )
    again = client.post(reverse("contracts:decide", args=[step.pk]), {"decision": "approve"})
    assert again.status_code == 409
    owner = client_for(world.account_manager)
    contract.refresh_from_db()
    refused = owner.post(
        reverse("contracts:transition", args=[contract.pk]),
        {"to": "signed", "version": contract.version},
    )
    assert refused.status_code == 409
    assert "cannot go" in refused.content.decode()


def test_documents_docx_and_pdf_render_chinese(world):
    s = setup(world)
    Clause.objects.create(
        code="payment",
        title_zh="付款",
        title_en="Payment",
        text_zh="买方应在验收后三十日内付款。",
        text_en="Pay within 30 days.",
    )
    template = ContractTemplate.objects.create(
        contract_type=s.contract_type,
        name="销售合同模板",
        language="zh-hans",
        body="# {{ title }}\n合同编号：{{ number }}\n甲方：{{ account }}\n{{ lines }}\n{{ clause:payment }}\n{{ milestones }}\n合计：{{ total }}",
    )
    contract = draft(world, s)
    Contract.objects.filter(pk=contract.pk).update(template=template)
    client = client_for(world.account_manager)
    docx = client.get(reverse("contracts:docx", args=[contract.pk]))
    assert docx.status_code == 200
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "买方应在验收后三十日内付款。" in text and contract.number in text
    assert "payment v1" in text
    pdf = client.get(reverse("contracts:pdf", args=[contract.pk]))
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and b"STSong-Light" in pdf.content
    )


def test_unknown_placeholder_is_a_clear_error(world):
    from django.core.exceptions import ValidationError

    from kehu.contracts.documents import validate_template

    with pytest.raises(ValidationError) as refused:
        validate_template("甲方：{{ acount }}\n{{ clause:nope }}", None)
    text = " ".join(refused.value.messages)
    assert "{{ acount }}" in text and "nope" in text


def test_change_order_pages_and_version_comparison(world):
    s = setup(world)
    contract = draft(world, s)
    run = approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    for step in run.steps.order_by("position"):
        for user in (s.finance, s.legal, s.boss):
            step.refresh_from_db()
            if step.status == "pending" and step.assignees.filter(user=user).exists():
                approvals.decide(step_id=step.pk, by=user, decision="approve")
    contract.refresh_from_db()
    assert contract.status == Status.APPROVED
    client = client_for(world.account_manager)
    from kehu.contracts.elements import snapshot

    current = snapshot(contract)
    data = {
        k: ("" if v is None else v) for k, v in current.items() if k not in ("lines", "milestones")
    }
    data.update(_formset("lines", current["lines"]))
    data.update(
        _formset(
            "milestones",
            [{k: ("" if v is None else v) for k, v in m.items()} for m in current["milestones"]],
        )
    )
    data["lines-0-quantity"] = "11"
    data["reason"] = "追加一台"
    response = client.post(reverse("contracts:change-create", args=[contract.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = contract.changes.get()
    page = client.get(reverse("contracts:change-detail", args=[change.pk])).content.decode()
    assert "lines.1.quantity" in page
    assert (
        client.post(
            reverse("contracts:change-submit", args=[change.pk]), {"version": change.version}
        ).status_code
        == 302
    )
    for step in contract.approval_runs.get(change_order=change).steps.all():
        approvals.decide(
            step_id=step.pk, by=s.finance if step.name == "财务" else s.legal, decision="approve"
        )
    compare = client.get(reverse("contracts:compare", args=[contract.pk]), {"left": 1, "right": 2})
    assert compare.status_code == 200 and "lines.1.quantity" in compare.content.decode()


def test_customers_and_strangers_see_nothing(world):
    s = setup(world)
    contract = draft(world, s)
    for user in (world.customer_a, world.employee, world.agent):
        assert (
            client_for(user).get(reverse("contracts:detail", args=[contract.pk])).status_code == 404
        )
    assert (
        client_for(world.auditor).get(reverse("contracts:detail", args=[contract.pk])).status_code
        == 200
    )
    assert (
        client_for(world.auditor).get(reverse("contracts:edit", args=[contract.pk])).status_code
        == 403
    )

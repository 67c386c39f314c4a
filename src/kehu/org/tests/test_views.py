import pytest

from kehu.audit.models import AuditEntry, ImmutableEntryError
from kehu.conftest import EmployeeFactory, client_for
from kehu.org.models import Department

pytestmark = pytest.mark.django_db


def test_department_page_shows_services_suppliers_customers_and_history(world):
    from kehu.conftest import ServiceFactory
    from kehu.org.models import InternalRelation, RelationType

    ServiceFactory(department=world.finance, name="开具发票")
    InternalRelation.objects.create(
        supplier_department=world.finance,
        customer_department=world.support,
        relation_type=RelationType.FUNCTIONAL,
        description="发票",
    )
    page = client_for(world.employee).get(f"/org/departments/{world.finance.pk}/")
    text = page.content.decode()
    assert "开具发票" in text and "Support" in text and "History" in text


def test_two_people_editing_one_department_second_gets_409_and_keeps_their_input(world):
    url = f"/org/departments/{world.finance.pk}/edit/"
    first, second = client_for(world.admin), client_for(world.admin)
    base = {"code": "FIN", "name": "财务部", "version": 1, "is_active": "on"}
    assert first.post(url, {**base, "name_en": "Finance One"}).status_code == 302
    response = second.post(url, {**base, "name_en": "Finance Two"})
    assert response.status_code == 409
    assert b'value="Finance Two"' in response.content  # nothing the second person typed is lost
    assert Department.objects.get(pk=world.finance.pk).name_en == "Finance One"


def test_invalid_form_shows_errors_and_saves_nothing(world):
    response = client_for(world.admin).post(
        "/org/services/new/",
        {
            "department": world.finance.pk,
            "name": "x",
            "audience": "everyone",
            "response_minutes": 100,
            "resolution_minutes": 10,
        },
    )
    assert response.status_code == 200
    assert b"cannot be shorter" in response.content


def test_deleting_a_department_in_use_shows_why_and_keeps_it(world):
    EmployeeFactory(department=world.finance)
    response = client_for(world.admin).post(
        f"/org/departments/{world.finance.pk}/delete/", follow=True
    )
    assert b"still used by" in response.content
    assert Department.objects.filter(pk=world.finance.pk).exists()


def test_employee_list_search_by_pinyin_works_with_htmx_partial(world):
    EmployeeFactory(name="张伟", name_en="Zhang Wei", department=world.finance)
    EmployeeFactory(name="李娜", name_en="Li Na", department=world.finance)
    response = client_for(world.agent).get(
        "/org/employees/", {"q": "zhangw"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert "<html" not in text  # only the rows
    assert "Zhang Wei" in text and "Li Na" not in text


def _queries_for(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/org/departments/{pk}/", "/org/employees/", "/org/services/", "/org/relations/"]
)
def test_page_query_count_does_not_grow_with_the_data(world, url):
    from kehu.conftest import ServiceFactory
    from kehu.org.models import InternalRelation, RelationType

    def add_rows():
        boss = EmployeeFactory(department=world.finance)
        EmployeeFactory(department=world.finance, manager=boss)
        ServiceFactory(department=world.finance, interface_person=boss).allowed_departments.add(
            world.support
        )
        InternalRelation.objects.create(
            supplier_employee=boss,
            customer_department=world.support,
            relation_type=RelationType.PROCESS,
        )

    client = client_for(world.agent)
    page = url.format(pk=world.finance.pk)
    add_rows()
    small = _queries_for(client, page)
    for _ in range(10):
        add_rows()
    assert _queries_for(client, page) == small


def test_audit_history_cannot_be_changed_or_deleted(world):
    world.finance.name_en = "Finance dept"
    world.finance.save()
    entry = AuditEntry.objects.filter(object_pk=str(world.finance.pk)).first()
    entry.changes = {}
    with pytest.raises(ImmutableEntryError):
        entry.save()
    with pytest.raises(ImmutableEntryError):
        entry.delete()


def test_cancel_on_a_form_goes_back_where_the_user_came_from(world):
    c = client_for(world.admin)
    assert (
        f'href="/org/departments/{world.finance.pk}/">'
        in c.get(f"/org/departments/{world.finance.pk}/edit/").content.decode()
    )
    assert 'href="/org/services/">' in c.get("/org/services/new/").content.decode()
    assert 'href="/desk/calendars/">' in c.get("/desk/calendars/new/").content.decode()

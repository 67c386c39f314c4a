import pytest
from django.core.exceptions import ValidationError

from kehu.conftest import DepartmentFactory, EmployeeFactory, ServiceFactory
from kehu.core.services import DeletionBlocked, object_create, object_delete
from kehu.org import selectors
from kehu.org.models import InterfaceAssignment, InternalRelation, KeyRole, RelationType, Service

pytestmark = pytest.mark.django_db


def test_department_cannot_be_moved_below_its_own_child():
    parent = DepartmentFactory()
    child = DepartmentFactory(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError, match="under itself"):
        parent.full_clean()


def test_manager_chain_cannot_loop():
    boss = EmployeeFactory()
    report = EmployeeFactory(manager=boss, department=boss.department)
    boss.manager = report
    with pytest.raises(ValidationError, match="loop"):
        boss.full_clean()


def test_key_role_falls_back_to_backup_when_primary_is_away():
    department = DepartmentFactory()
    primary = EmployeeFactory(department=department)
    backup = EmployeeFactory(department=department)
    role = KeyRole.objects.create(
        department=department, name="值班", primary=primary, backup=backup
    )
    assert role.current_holder == primary
    primary.is_away = True
    assert role.current_holder == backup
    backup.is_away = True
    assert role.current_holder is None


def test_an_away_flag_past_its_return_date_no_longer_counts():
    import datetime

    from django.utils import timezone

    person = EmployeeFactory(
        is_away=True, away_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert not person.is_currently_away
    person.away_until = timezone.localdate()
    assert person.is_currently_away


def test_backup_must_be_another_person():
    person = EmployeeFactory()
    role = KeyRole(department=person.department, name="值班", primary=person, backup=person)
    with pytest.raises(ValidationError, match="another person"):
        role.full_clean()


def test_service_resolution_target_cannot_be_shorter_than_response():
    with pytest.raises(ValidationError, match="shorter"):
        object_create(
            Service,
            department=DepartmentFactory(),
            name="x",
            response_minutes=60,
            resolution_minutes=30,
        )


def test_relation_needs_exactly_one_unit_per_side_and_no_self_supply():
    department = DepartmentFactory()
    person = EmployeeFactory()
    with pytest.raises(ValidationError):
        object_create(
            InternalRelation,
            supplier_department=department,
            supplier_employee=person,
            customer_department=DepartmentFactory(),
            relation_type=RelationType.FUNCTIONAL,
        )
    with pytest.raises(ValidationError, match="own supplier"):
        object_create(
            InternalRelation,
            supplier_department=department,
            customer_department=department,
            relation_type=RelationType.PROCESS,
        )


def test_interface_person_must_work_in_the_supplier_department_and_pair_is_unique():
    requesting, supplier = DepartmentFactory(), DepartmentFactory()
    outsider = EmployeeFactory()
    with pytest.raises(ValidationError, match="supplier department"):
        object_create(
            InterfaceAssignment,
            requesting_department=requesting,
            supplier_department=supplier,
            person=outsider,
        )
    insider = EmployeeFactory(department=supplier)
    object_create(
        InterfaceAssignment,
        requesting_department=requesting,
        supplier_department=supplier,
        person=insider,
    )
    with pytest.raises(ValidationError, match="already has"):
        object_create(
            InterfaceAssignment,
            requesting_department=requesting,
            supplier_department=supplier,
            person=insider,
        )


def test_deleting_a_department_with_people_is_blocked_with_a_reason():
    employee = EmployeeFactory()
    with pytest.raises(DeletionBlocked, match="employees"):
        object_delete(employee.department)


def test_tree_lists_children_below_parents_in_pinyin_order_and_search_keeps_ancestors():
    root = DepartmentFactory(name="总部", code="HQ")
    DepartmentFactory(name="张部", parent=root)
    DepartmentFactory(name="安部", parent=root)
    tree = selectors.department_tree()
    assert [(d.name, depth) for d, depth in tree] == [("总部", 0), ("安部", 1), ("张部", 1)]
    found = selectors.department_tree(search="anb")  # pinyin initials of 安部
    assert [d.name for d, _ in found] == ["总部", "安部"]


def test_pyramid_shows_whom_a_person_serves_and_who_serves_them():
    hq = DepartmentFactory(code="HQ")
    sales = DepartmentFactory(code="SALES")
    finance = DepartmentFactory(code="FIN")
    ceo = EmployeeFactory(department=hq)
    head = EmployeeFactory(department=sales, manager=ceo)
    seller = EmployeeFactory(department=sales, manager=head)
    accountant = EmployeeFactory(department=finance)
    InternalRelation.objects.create(
        supplier_department=finance,
        customer_department=sales,
        relation_type=RelationType.FUNCTIONAL,
    )
    InternalRelation.objects.create(
        supplier_employee=ceo, customer_employee=head, relation_type=RelationType.HIERARCHICAL
    )
    InterfaceAssignment.objects.create(
        requesting_department=sales, supplier_department=finance, person=accountant
    )
    ServiceFactory(department=finance, interface_person=accountant)

    pyramid = selectors.employee_pyramid(head)
    assert pyramid.manager_chain == [ceo]
    assert pyramid.reports == [seller]
    assert [r.supplier for r in pyramid.served_by_people] == [ceo]
    assert [r.supplier for r in pyramid.department_suppliers] == [finance]
    assert [i.person for i in pyramid.contacts_for_me] == [accountant]

    accountant_view = selectors.employee_pyramid(accountant)
    assert [i.requesting_department for i in accountant_view.interface_for] == [sales]
    assert [r.customer for r in accountant_view.department_customers] == [sales]
    assert len(accountant_view.services_fronted) == 1

"""Reads of the organisation: trees, catalogues and who serves whom."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from kehu.org.models import (
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    Service,
    Team,
)


def department_descendant_ids(roots: Iterable[int]) -> frozenset[int]:
    """The given departments and every department below them (one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, []))
    return frozenset(found)


def department_tree(*, search: str = "") -> list[tuple[Department, int]]:
    """Departments in tree order with their depth; with ``search``, matches and their ancestors."""
    departments = list(
        Department.objects.select_related("head").annotate(
            employee_count=Count("employees", distinct=True),
            service_count=Count("services", distinct=True),
        )
    )
    by_parent: dict[int | None, list[Department]] = defaultdict(list)
    by_id = {d.pk: d for d in departments}
    for d in departments:
        by_parent[d.parent_id if d.parent_id in by_id else None].append(d)
    keep: set[int] | None = None
    if search:
        keep = set()
        for pk in department_search(Department.objects.all(), search).values_list("pk", flat=True):
            node: Department | None = by_id.get(pk)
            while node is not None and node.pk not in keep:
                keep.add(node.pk)
                node = by_id.get(node.parent_id) if node.parent_id else None
    ordered: list[tuple[Department, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for d in sorted(by_parent.get(parent_id, []), key=lambda x: (x.name_pinyin, x.code)):
            if keep is None or d.pk in keep:
                ordered.append((d, depth))
            walk(d.pk, depth + 1)

    walk(None, 0)
    return ordered


def _name_search(field_prefix: str, text: str) -> Q:
    text = text.strip()
    query = (
        Q(**{f"{field_prefix}name__icontains": text})
        | Q(**{f"{field_prefix}name_en__icontains": text})
        | Q(**{f"{field_prefix}name_pinyin__icontains": text.lower().replace(" ", "")})
    )
    return query


def department_search(queryset: QuerySet[Department], text: str) -> QuerySet[Department]:
    return queryset.filter(_name_search("", text) | Q(code__icontains=text.strip()))


def employee_list(*, search: str = "", department_id: int | None = None) -> QuerySet[Employee]:
    """Employees with department, team and manager loaded, optionally filtered."""
    queryset = Employee.objects.select_related("department", "team", "manager")
    if search:
        text = search.strip()
        queryset = queryset.filter(
            _name_search("", text)
            | Q(employee_no__icontains=text)
            | Q(email__icontains=text)
            | Q(title__icontains=text)
        )
    if department_id:
        queryset = queryset.filter(department_id=department_id)
    return queryset


def service_catalogue(*, search: str = "", department_id: int | None = None) -> QuerySet[Service]:
    """Catalogue entries with their supplier department and interface person loaded."""
    queryset = Service.objects.select_related("department", "interface_person").prefetch_related(
        "allowed_departments"
    )
    if search:
        queryset = queryset.filter(
            _name_search("", search) | Q(description__icontains=search.strip())
        )
    if department_id:
        queryset = queryset.filter(department_id=department_id)
    return queryset


def relations_with_sides() -> QuerySet[InternalRelation]:
    return InternalRelation.objects.select_related(
        "customer_department", "customer_employee", "supplier_department", "supplier_employee"
    )


@dataclass
class DepartmentOverview:
    department: Department
    ancestors: list[Department]
    children: list[Department]
    services: list[Service]
    teams: list[Team]
    key_roles: list[KeyRole]
    members: list[Employee]
    suppliers: list[InternalRelation]  # relations in which this department is the customer
    customers: list[InternalRelation]  # relations in which this department is the supplier
    contacts_here: list[InterfaceAssignment]  # our interface persons for other departments
    contacts_there: list[InterfaceAssignment]  # other departments' interface persons for us


def department_overview(department: Department) -> DepartmentOverview:
    """Everything a department's page shows, in a fixed number of queries."""
    ancestors = []
    node = department.parent
    while node is not None:
        ancestors.append(node)
        node = node.parent
    relations = relations_with_sides()
    interfaces = InterfaceAssignment.objects.select_related(
        "requesting_department", "supplier_department", "person"
    )
    return DepartmentOverview(
        department=department,
        ancestors=list(reversed(ancestors)),
        children=list(department.children.all()),
        services=list(service_catalogue(department_id=department.pk)),
        teams=list(department.teams.select_related("lead")),
        key_roles=list(department.key_roles.select_related("primary", "backup")),
        members=list(employee_list(department_id=department.pk)),
        suppliers=list(relations.filter(customer_department=department)),
        customers=list(relations.filter(supplier_department=department)),
        contacts_here=list(interfaces.filter(supplier_department=department)),
        contacts_there=list(interfaces.filter(requesting_department=department)),
    )


@dataclass
class Pyramid:
    """The inverted pyramid around one person: whom they serve and who serves them."""

    employee: Employee
    manager_chain: list[Employee] = field(default_factory=list)
    reports: list[Employee] = field(default_factory=list)
    serves_people: list[InternalRelation] = field(default_factory=list)
    served_by_people: list[InternalRelation] = field(default_factory=list)
    department_customers: list[InternalRelation] = field(default_factory=list)
    department_suppliers: list[InternalRelation] = field(default_factory=list)
    interface_for: list[InterfaceAssignment] = field(default_factory=list)
    contacts_for_me: list[InterfaceAssignment] = field(default_factory=list)
    services_fronted: list[Service] = field(default_factory=list)
    key_roles: list[KeyRole] = field(default_factory=list)


def employee_pyramid(employee: Employee) -> Pyramid:
    """Whom ``employee`` serves and who serves them, from the manager chain, relations and contacts."""
    chain = []
    node = employee.manager
    seen = {employee.pk}
    while node is not None and node.pk not in seen:
        chain.append(node)
        seen.add(node.pk)
        node = node.manager
    relations = relations_with_sides()
    interfaces = InterfaceAssignment.objects.select_related(
        "requesting_department", "supplier_department", "person"
    )
    return Pyramid(
        employee=employee,
        manager_chain=chain,
        reports=list(employee.reports.select_related("department")),
        serves_people=list(relations.filter(supplier_employee=employee)),
        served_by_people=list(relations.filter(customer_employee=employee)),
        department_customers=list(relations.filter(supplier_department_id=employee.department_id)),
        department_suppliers=list(relations.filter(customer_department_id=employee.department_id)),
        interface_for=list(interfaces.filter(person=employee)),
        contacts_for_me=list(interfaces.filter(requesting_department_id=employee.department_id)),
        services_fronted=list(
            Service.objects.filter(interface_person=employee).select_related("department")
        ),
        key_roles=list(
            KeyRole.objects.filter(Q(primary=employee) | Q(backup=employee)).select_related(
                "department", "primary", "backup"
            )
        ),
    )


def organisation_counts() -> dict[str, int]:
    """Counts for the dashboard."""
    return {
        "departments": Department.objects.filter(is_active=True).count(),
        "employees": Employee.objects.filter(is_active=True).count(),
        "away": Employee.objects.filter(is_active=True, is_away=True).count(),
        "services": Service.objects.filter(is_active=True).count(),
        "relations": InternalRelation.objects.count(),
        "interfaces": InterfaceAssignment.objects.count(),
    }

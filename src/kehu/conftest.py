"""Shared fixtures: a small organisation and the named personas of the permission tests."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import factory
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.conf import settings
from django.test import Client
from django.utils import translation

from kehu.access.models import Role, RoleAssignment, User
from kehu.org.models import Department, Employee, Service


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_no = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    name_en = factory.Sequence(lambda n: f"Employee {n}")
    department = factory.SubFactory(DepartmentFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"服务{n}")
    response_minutes = 60
    resolution_minutes = 480


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request in a user's language leaves it active in the thread; the next test starts from
    the default again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    cache.clear()
    # A transactional test's flush recreates content types under new ids; audit entries must
    # not use ids cached by an earlier test.
    ContentType.objects.clear_cache()


def make_user(username: str, *roles: tuple[str, Department | None]) -> User:
    user = User.objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.com"
    )
    for role, department in roles:
        RoleAssignment.objects.create(user=user, role=role, department=department)
    return user


@dataclass
class World:
    aftersales: Department
    support: Department  # below aftersales
    finance: Department
    admin: User
    lead: User  # department lead of aftersales (and so of support)
    agent: User
    employee: User
    auditor: User
    customer_a: User
    customer_b: User
    outsider: User  # signed in, but with no role at all
    after_sales: User  # after-sales engineer: keeps every account's dossier
    account_manager: User  # keeps accounts; sees the dossiers of accounts they own or serve


@pytest.fixture
def world(db: None) -> World:
    aftersales = DepartmentFactory(code="AFTERSALES", name="售后服务部", name_en="After-sales")
    support = DepartmentFactory(
        code="SUPPORT", name="客户服务中心", name_en="Support", parent=aftersales
    )
    finance = DepartmentFactory(code="FIN", name="财务部", name_en="Finance")
    return World(
        aftersales=aftersales,
        support=support,
        finance=finance,
        admin=make_user("admin", (Role.ADMIN, None)),
        lead=make_user("lead", (Role.DEPARTMENT_LEAD, aftersales)),
        agent=make_user("agent", (Role.AGENT, None)),
        employee=make_user("employee", (Role.EMPLOYEE, None)),
        auditor=make_user("auditor", (Role.AUDITOR, None)),
        customer_a=make_user("customer_a", (Role.CUSTOMER, None)),
        customer_b=make_user("customer_b", (Role.CUSTOMER, None)),
        outsider=make_user("outsider"),
        after_sales=make_user("after_sales", (Role.AFTER_SALES, None)),
        account_manager=make_user("account_manager", (Role.ACCOUNT_MANAGER, None)),
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogues, so tests see the Chinese interface as users do."""
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller compiled them before it started the workers
    from kehu.cli import compilemessages

    compilemessages()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` exercise what only a database server does (its sessions
    terminated, say): the PostgreSQL run of the suite has them, the SQLite run leaves them out
    (deselected, so no test is ever skipped)."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


# --- a real SMTP server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpInbox(MessageHandler):
    """What the test SMTP server received, as ``email.message.Message`` objects."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Any]:
        """The messages once ``count`` arrived (the server hands them over on its own thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback; Django sends to it over the SMTP protocol."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()

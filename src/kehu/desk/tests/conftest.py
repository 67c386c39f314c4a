"""Fixtures shared by the service-desk tests."""

import pytest

from kehu.desk.tests import factories as f


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run the after-commit ``ticket_event`` receivers (the indexer) of everything done inside."""

    class Runner:
        def __call__(self, func, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return func(*args, **kwargs)

    return Runner()


@pytest.fixture
def portal_contacts(world):
    """Customer A and customer B, each a portal user of their own account."""
    a = f.contact("甲公司")
    a.user = world.customer_a
    a.save()
    b = f.contact("乙公司")
    b.user = world.customer_b
    b.save()
    return a, b

import pytest

from kehu.conftest import DepartmentFactory
from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.org.models import Department


@pytest.mark.django_db
def test_second_writer_with_the_same_version_is_refused_and_first_write_kept():
    department = DepartmentFactory(name="旧名")
    first_copy = Department.objects.get(pk=department.pk)
    second_copy = Department.objects.get(pk=department.pk)

    save_if_current(first_copy, expected_version=1, changes={"name": "第一次"})
    with pytest.raises(StaleVersionError) as caught:
        save_if_current(second_copy, expected_version=1, changes={"name": "第二次"})

    stored = Department.objects.get(pk=department.pk)
    assert stored.name == "第一次"
    assert stored.version == 2
    assert caught.value.current.version == 2


@pytest.mark.django_db
def test_invalid_change_is_not_saved_and_version_unchanged():
    department = DepartmentFactory()
    with pytest.raises(Exception, match="code"):
        save_if_current(department, expected_version=1, changes={"code": "has space"})
    assert Department.objects.get(pk=department.pk).version == 1

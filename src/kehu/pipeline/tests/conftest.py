import pytest

from kehu.pipeline.defaults import ensure_default_stages


@pytest.fixture(autouse=True)
def _default_stages(request):
    """The stages come from a data migration; a transactional test's flush removes them."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            ensure_default_stages()
            return

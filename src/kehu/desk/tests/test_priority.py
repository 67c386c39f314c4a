import pytest
from django.test import Client

from kehu.access.services import api_token_create
from kehu.conftest import client_for
from kehu.desk.priority import DEFAULT_MATRIX, Impact, Priority, Severity
from kehu.desk.sla.services import priority_for, priority_matrix

pytestmark = pytest.mark.django_db


def test_default_matrix_covers_every_cell_and_rises_with_impact_and_severity():
    assert priority_matrix().cells == DEFAULT_MATRIX  # the migration's copy agrees with the code's
    assert len(DEFAULT_MATRIX) == len(Impact.values) * len(Severity.values)
    assert priority_for(Impact.INDIVIDUAL, Severity.LOW) == Priority.LOW
    assert priority_for(Impact.WIDESPREAD, Severity.CRITICAL) == Priority.URGENT


def test_admin_changes_one_cell_on_the_web_and_history_shows_just_that_cell(world):
    client = client_for(world.admin)
    page = client.get("/desk/priorities/")
    assert page.status_code == 200
    form = {f"cell-{key}": value for key, value in DEFAULT_MATRIX.items()}
    form["cell-individual:critical"] = "urgent"
    response = client.post("/desk/priorities/", {**form, "version": 1})
    assert response.status_code == 302
    assert priority_for(Impact.INDIVIDUAL, Severity.CRITICAL) == Priority.URGENT
    page = client.get("/desk/priorities/").content.decode()
    assert "individual:critical: high" in page and "individual:critical: urgent" in page


def test_stale_or_incomplete_matrix_is_refused_and_nothing_changes(world):
    client = client_for(world.admin)
    form = {f"cell-{key}": value for key, value in DEFAULT_MATRIX.items()}
    assert client.post("/desk/priorities/", {**form, "version": 1}).status_code == 302
    assert (
        client.post(
            "/desk/priorities/", {**form, "cell-group:low": "urgent", "version": 1}
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/desk/priorities/", {**form, "cell-group:low": "bogus", "version": 2}
        ).status_code
        == 422
    )
    assert priority_matrix().cells["group:low"] == DEFAULT_MATRIX["group:low"]


def test_agents_read_the_matrix_but_cannot_change_it(world):
    client = client_for(world.agent)
    assert client.get("/desk/priorities/").status_code == 200
    form = {f"cell-{key}": "urgent" for key in DEFAULT_MATRIX}
    assert client.post("/desk/priorities/", {**form, "version": 1}).status_code == 403


def test_api_lookup_and_versioned_replace(world):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.admin, name='t').secret}"}
    client = Client()
    found = client.get(
        "/api/desk/priority", {"impact": "organisation", "severity": "critical"}, **auth
    )
    assert found.json()["priority"] == "urgent"
    matrix = client.get("/api/desk/priority-matrix", **auth).json()
    cells = {**matrix["cells"], "organisation:critical": "high"}
    assert (
        client.put(
            "/api/desk/priority-matrix",
            {"version": matrix["version"], "cells": cells},
            content_type="application/json",
            **auth,
        ).status_code
        == 200
    )
    stale = client.put(
        "/api/desk/priority-matrix",
        {"version": matrix["version"], "cells": cells},
        content_type="application/json",
        **auth,
    )
    assert stale.status_code == 409
    missing = client.put(
        "/api/desk/priority-matrix",
        {"version": matrix["version"] + 1, "cells": {"group:low": "low"}},
        content_type="application/json",
        **auth,
    )
    assert missing.status_code == 422
    assert (
        client.get("/api/desk/priority", {"impact": "nope", "severity": "low"}, **auth).status_code
        == 422
    )

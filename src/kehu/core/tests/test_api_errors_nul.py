"""NUL characters (which PostgreSQL cannot store) are refused with 422 at the API's edge."""

import json

from kehu.conftest import client_for
from kehu.desk.models import BusinessCalendar


def test_nul_in_a_json_body_is_a_clear_422_naming_the_field(world):
    response = client_for(world.admin).post(
        "/api/desk/calendars",
        data=json.dumps({"name": "工作\x00日历", "time_zone": "Asia/Shanghai"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "Text must not contain NUL (\\u0000) characters."}
    ]
    assert not BusinessCalendar.objects.exists()


def test_nul_in_a_query_string_is_refused_too(world):
    response = client_for(world.agent).get("/api/desk/search?q=%00invoice")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"

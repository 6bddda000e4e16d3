import pytest


@pytest.mark.django_db
def test_healthz_reports_database_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get("/enterprises/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

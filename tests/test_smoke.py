from konexi.services.demo_data import load_demo_data


def test_feed_lists_demo_vouchers(app, client):
    load_demo_data()
    response = client.get("/")
    assert response.status_code == 200
    assert b"Buy 1 get 1 iced coffee" in response.data


def test_healthz_reports_database_and_inline_jobs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "inline"}

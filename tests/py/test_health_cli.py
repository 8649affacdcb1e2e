"""`pgwarden health add | edit | disable | enable | delete` go through the same api functions as the
web app's Health pages (api.create/update/set_health_monitor_enabled/delete_health_monitor)."""

from __future__ import annotations


def test_a_monitor_is_added_edited_paused_resumed_and_deleted_from_the_command_line(pgwarden, db):
    assert pgwarden("health", "add", "shop", "--type", "api", "--url", "http://127.0.0.1:9/health").returncode == 0
    edited = pgwarden("health", "edit", "shop", "--set", '{"interval_seconds": 60, "display_name": "Shop"}')
    assert edited.returncode == 0, edited.stderr
    assert db.execute("SELECT display_name, interval_seconds FROM app.health_monitors WHERE service_name = 'shop'"
                      ).fetchall() == [("Shop", 60)]
    refused = pgwarden("health", "edit", "shop", "--set", '{"service_name": "other"}')
    assert refused.returncode == 2 and "QV501" in refused.stderr
    assert pgwarden("health", "disable", "shop").returncode == 0
    assert db.execute("SELECT enabled FROM app.health_monitors WHERE service_name = 'shop'").fetchone() == (False,)
    assert pgwarden("health", "enable", "shop").returncode == 0
    assert pgwarden("health", "delete", "shop", "--yes").returncode == 0
    assert db.execute("SELECT count(*) FROM app.health_monitors WHERE service_name = 'shop'").fetchone() == (0,)
    assert "QN501" in pgwarden("health", "delete", "shop", "--yes").stderr

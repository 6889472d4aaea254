"""Migrations keep what is there: rows migrated forward read as they did, in today's words."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_PARTIAL = [("registration", "0010_address_email")]


@pytest.mark.django_db(transaction=True)
def test_attendance_marked_before_partial_attendance_existed_stays_attended_in_full(catalog):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_PARTIAL)
        old = executor.loader.project_state(BEFORE_PARTIAL).apps
        session = old.get_model("catalog", "Session").objects.filter(starts_at__isnull=False)[0]
        user = old.get_model("auth", "User").objects.create(username="ada", email="ada@x.org")
        marked = {
            value: old.get_model("registration", "Enrolment")
            .objects.create(session=session, trainee=user, status="confirmed", attendance=value)
            .pk
            for value in ("attended", "absent", "unmarked")
        }

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    from registration.models import Enrolment

    after = {e.pk: e for e in Enrolment.objects.filter(pk__in=marked.values())}
    assert {value: after[pk].get_attendance_display() for value, pk in marked.items()} == {
        "attended": "Attended in full",
        "absent": "Absent",
        "unmarked": "Not marked",
    }
    assert all(e.override_reason == "" and e.zoom_connected_minutes is None for e in after.values())

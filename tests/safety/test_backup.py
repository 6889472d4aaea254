"""Backups: backup_db dumps the PostgreSQL database (pg_dump's custom format) into a timestamped
file, and restore_db brings it back into another database with every row."""

import shutil
import stat
import uuid
from datetime import datetime
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from psycopg import sql

from catalog.formatting import PACIFIC
from catalog.models import CreditType
from certificates.models import Certificate
from certificates.services.delivery import certificate_render
from certificates.services.issuing import certificate_issue
from registration.models import Enrolment
from registration.services.attendance import attendance_mark
from tests.conftest import _missing
from tests.pdfs import png_image
from tests.processes import free_port
from tests.registration.flows import paid_order, session_of

# pg_dump sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

AFTER_JUNE_SESSION = datetime(2027, 6, 22, 9, 0, tzinfo=PACIFIC)


@pytest.fixture(autouse=True)
def _client_programs():
    for program in ("pg_dump", "pg_restore"):
        if shutil.which(program) is None:
            _missing(f"{program} is not installed (Debian package postgresql-client)")


def connect(name: str) -> psycopg.Connection:
    """A connection of our own to database `name` on the server the tests use."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=name,
        autocommit=True,
    )


def url_of(name: str) -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_database(postgres):
    """An empty database beside the test database, dropped afterwards."""
    name = f"polaris_restore_{uuid.uuid4().hex[:12]}"
    with connect("postgres") as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with connect("postgres") as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def records(catalog, make_trainee):
    """A paid order for Module 1 in June, attended, with its Certificate of Attendance."""
    with time_machine.travel(datetime(2027, 1, 15, 10, 0, tzinfo=PACIFIC), tick=False):
        order = paid_order(make_trainee(), session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)
    with time_machine.travel(AFTER_JUNE_SESSION, tick=False):
        Enrolment.objects.filter(pk=enrolment.pk).update(
            signed_in_at=enrolment.session.starts_at, signed_out_at=enrolment.session.ends_at
        )
        attendance_mark(
            enrolment_ids=[enrolment.pk], attendance="attended", by=None, now=timezone.now()
        )
        certificate_issue(enrolment=enrolment, kind="attendance", now=timezone.now())
    return order


QUERIES = {
    "orders": "SELECT code, status, total_cents, refunded_cents FROM registration_order",
    "enrolments": "SELECT id, session_id, trainee_id, status, attendance FROM registration_enrolment",
    "certificates": "SELECT code, legal_name, course_title, kind, status, pdf "
    "FROM certificates_certificate",
    "profiles": "SELECT legal_name, license_number FROM registration_traineeprofile",
    "offerings": "SELECT slug, title, tuition_cents FROM catalog_offering",
    "migrations": "SELECT app, name FROM django_migrations",
}


def rows(database: str) -> dict[str, list[tuple]]:
    with connect(database) as db:
        return {table: sorted(db.execute(query).fetchall()) for table, query in QUERIES.items()}


def backup(directory: Path, *options: str) -> Path:
    out = StringIO()
    call_command("backup_db", "--output", str(directory), *options, stdout=out)
    return Path(out.getvalue().strip())


def test_a_backup_restored_into_an_empty_database_has_every_row(
    records, scratch_database, tmp_path
):
    source = connection.settings_dict["NAME"]

    path = backup(tmp_path / "backups")

    assert path.parent == tmp_path / "backups" and path.is_file()
    assert path.name.startswith(f"{source}-") and path.suffix == ".dump"
    assert path.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # trainees' personal data
    assert list(path.parent.iterdir()) == [path]

    out = StringIO()
    call_command("restore_db", str(path), "--database-url", url_of(scratch_database), stdout=out)

    assert out.getvalue().strip() == f"Restored {path} into the database {scratch_database}."
    restored, original = rows(scratch_database), rows(source)
    assert restored == original
    assert [code for code, *_ in restored["orders"]] == [records.code]
    assert [row[3:] for row in restored["enrolments"]] == [("confirmed", "attended")]
    assert [row[3:5] for row in restored["certificates"]] == [("attendance", "valid")]


def test_restoring_again_replaces_the_tables_instead_of_adding_rows(
    records, scratch_database, tmp_path
):
    path = backup(tmp_path)
    for _attempt in range(2):
        call_command("restore_db", str(path), "--database-url", url_of(scratch_database))

    assert rows(scratch_database) == rows(connection.settings_dict["NAME"])


def test_a_failed_backup_says_why_leaves_no_file_and_never_shows_the_password(tmp_path):
    unreachable = f"postgres://polaris:s3cret-pw@127.0.0.1:{free_port()}/polaris"

    with pytest.raises(CommandError) as refused:
        backup(tmp_path, "--database-url", unreachable)

    assert str(refused.value).startswith("pg_dump failed:")
    assert "Connection refused" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_is_refused_with_what_to_do_instead(tmp_path):
    with pytest.raises(CommandError) as refused:
        backup(tmp_path, "--database-url", f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert "for PostgreSQL only; this database is sqlite3" in str(refused.value)
    assert 'sqlite3\'s ".backup" command' in str(refused.value)


def test_restoring_a_missing_file_is_refused(tmp_path, scratch_database):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command(
            "restore_db",
            str(tmp_path / "missing.dump"),
            "--database-url",
            url_of(scratch_database),
        )


def test_a_backup_restores_the_sites_files_too(records, scratch_database, tmp_path):
    """Certificate PDFs and signature images are rows: nothing else to back up or restore."""

    certificate = Certificate.objects.get(enrolment__order_line__order=records)
    certificate_render(certificate_id=certificate.pk)  # unless its delivery did already
    certificate.refresh_from_db()
    assert certificate.pdf
    brn = CreditType.objects.get(code="brn")
    brn.signature.save("scrc-signature.png", ContentFile(png_image()))
    with certificate.pdf.open("rb") as pdf:
        rendered = pdf.read()

    call_command(
        "restore_db",
        str(backup(tmp_path / "backups")),
        "--database-url",
        url_of(scratch_database),
        stdout=StringIO(),
    )

    with connect(scratch_database) as db:
        files = dict(db.execute("SELECT name, content FROM polaris_storedfile").fetchall())
        (pdf_name,) = db.execute("SELECT pdf FROM certificates_certificate").fetchone()
        (signature_name,) = db.execute(
            "SELECT signature FROM catalog_credittype WHERE code = 'brn'"
        ).fetchone()
    assert bytes(files[pdf_name]) == rendered and rendered.startswith(b"%PDF")
    assert bytes(files[signature_name]) == png_image()

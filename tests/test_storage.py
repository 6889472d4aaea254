"""The site's files (certificate PDFs, signature images, the logo) live where every host reads
them: in the database by default, on S3-compatible storage with STORAGE_URL; files left under
MEDIA_ROOT from before are moved there by `manage.py media_import`."""

import io
import socket
import threading
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.http import Http404
from moto.server import ThreadedMotoServer

from catalog.models import CreditType, SiteSettings
from polaris.models import StoredFile
from polaris.storage import DatabaseStorage
from polaris.storage_url import StorageURLError, storage_from_url
from polaris.views import media
from tests.pdfs import png_image
from tests.processes import hung_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_a_signature_uploaded_is_kept_in_the_database_and_not_on_this_host(media_root):
    brn = CreditType.objects.get(code="brn")
    brn.signature.save("scrc-signature.png", ContentFile(png_image()))

    stored = StoredFile.objects.get(name=brn.signature.name)
    assert bytes(stored.content) == png_image() and stored.size == len(png_image())
    assert not media_root.exists()
    # Another process (a fresh storage, a fresh row) reads the same bytes.
    again = CreditType.objects.get(code="brn")
    with DatabaseStorage().open(again.signature.name) as image:
        assert image.read() == png_image()


def test_a_name_taken_gets_a_name_of_its_own_and_both_files_stay():
    first = default_storage.save("certificates/2027/a.pdf", ContentFile(b"%PDF first"))
    second = default_storage.save("certificates/2027/a.pdf", ContentFile(b"%PDF second"))

    assert first == "certificates/2027/a.pdf"
    assert second != first and second.startswith("certificates/2027/a_")
    assert default_storage.open(first).read() == b"%PDF first"
    assert default_storage.open(second).read() == b"%PDF second"
    assert default_storage.size(second) == len(b"%PDF second")
    assert default_storage.listdir("certificates") == (["2027"], [])
    default_storage.delete(first)
    assert not default_storage.exists(first) and default_storage.exists(second)
    with pytest.raises(FileNotFoundError):
        default_storage.open(first)


def test_the_logo_is_served_in_development_from_the_database(rf):

    site = SiteSettings.current()
    site.logo.save("logo.png", ContentFile(png_image()))

    # DEBUG=1 routes MEDIA_URL to this view (polaris/urls.py); production routes nothing there.
    response = media(rf.get(site.logo.url), site.logo.name)

    assert response.status_code == 200 and response.content == png_image()
    assert response["Content-Type"] == "image/png"
    with pytest.raises(Http404):
        media(rf.get("/media/nothing.png"), "nothing.png")


def _media_file(root: Path, name: str, data: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _media_import(*args: str) -> str:
    out = io.StringIO()
    call_command("media_import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_media_import_moves_files_from_before_into_the_database_once(media_root):
    brn = CreditType.objects.get(code="brn")
    brn.signature.name = "signatures/scrc.png"  # a row written when files were on disk
    brn.save()
    _media_file(media_root, "signatures/scrc.png", png_image())
    _media_file(media_root, "certificates/2027/polaris-certificate-ABC.pdf", b"%PDF-1.7 old")

    output = _media_import()

    assert "Imported 2 files" in output and "0 were stored already" in output
    assert not any(p.is_file() for p in media_root.rglob("*"))
    brn.refresh_from_db()
    with brn.signature.open("rb") as image:
        assert image.read() == png_image()
    assert default_storage.open("certificates/2027/polaris-certificate-ABC.pdf").read() == (
        b"%PDF-1.7 old"
    )
    assert "Imported 0 files" in _media_import()  # nothing twice


def test_media_import_keeps_what_it_cannot_store_and_says_so(media_root):
    default_storage.save("signatures/scrc.png", ContentFile(b"the stored one"))
    _media_file(media_root, "signatures/scrc.png", b"another file of that name")
    _media_file(media_root, "logo.png", png_image())

    with pytest.raises(CommandError, match="1 files left under"):
        _media_import("--keep")

    assert (media_root / "signatures/scrc.png").read_bytes() == b"another file of that name"
    assert default_storage.open("signatures/scrc.png").read() == b"the stored one"
    assert (media_root / "logo.png").exists()  # --keep
    assert default_storage.open("logo.png").read() == png_image()


def test_storage_url_reads_s3_buckets_and_refuses_what_it_cannot_read():
    assert storage_from_url("") == {"BACKEND": "polaris.storage.DatabaseStorage"}
    s3 = storage_from_url(
        "s3://AKIA%2FX:se%2Bcret@polaris-files/site?endpoint=https://s3.example.com&region=eu-west-1"
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    config = s3["OPTIONS"].pop("client_config")
    assert config.signature_version == "s3v4"
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert config.retries == {"max_attempts": 2, "mode": "standard"}
    assert s3["OPTIONS"] == {
        "bucket_name": "polaris-files",
        "location": "site",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "endpoint_url": "https://s3.example.com",
        "region_name": "eu-west-1",
        "access_key": "AKIA/X",
        "secret_key": "se+cret",
    }
    for url, message in (
        ("file:///srv/media", "must start with s3://"),
        ("s3://", "names no bucket"),
        ("s3://bucket?endpoint_url=https://x", "unknown options endpoint_url"),
    ):
        with pytest.raises(StorageURLError, match=message):
            storage_from_url(url)


@pytest.fixture
def s3_server():
    """moto's S3 server on a local port, with an empty bucket."""

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket="polaris-files")
    yield endpoint, client
    server.stop()


def test_with_storage_url_files_go_to_the_s3_bucket(s3_server, settings, media_root):
    endpoint, client = s3_server
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_url(
            f"s3://test:test@polaris-files/center?endpoint={endpoint}&region=us-east-1"
        ),
    }
    brn = CreditType.objects.get(code="brn")
    brn.signature.save("scrc-signature.png", ContentFile(png_image()))
    _media_file(media_root, "certificates/2027/polaris-certificate-ABC.pdf", b"%PDF-1.7 old")
    assert "Imported 1 files" in _media_import()

    listed = client.list_objects_v2(Bucket="polaris-files")["Contents"]
    assert sorted(item["Key"] for item in listed) == [
        "center/certificates/2027/polaris-certificate-ABC.pdf",
        f"center/{brn.signature.name}",
    ]
    body = client.get_object(Bucket="polaris-files", Key=f"center/{brn.signature.name}")["Body"]
    assert body.read() == png_image()
    assert not StoredFile.objects.exists()
    brn.refresh_from_db()
    with brn.signature.open("rb") as image:
        assert image.read() == png_image()
    assert "X-Amz-Signature=" in brn.signature.url  # a private file's link is signed


def test_a_bucket_that_stops_answering_fails_the_read_instead_of_holding_it(settings):
    """An S3 endpoint that accepts connections and never answers: reading a file gives up
    after the configured timeouts and retries, leaving the request (and its gunicorn worker)
    free to answer, rather than waiting on botocore's minute-long defaults."""
    with hung_server() as port:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": storage_from_url(
                f"s3://test:test@polaris-files?endpoint=http://127.0.0.1:{port}&region=us-east-1"
            ),
        }
        outcome: list[BaseException] = []

        def read() -> None:
            try:
                default_storage.open("certificates/2027/polaris-certificate-ABC.pdf").read()
            except BaseException as error:  # what the caller would see
                outcome.append(error)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=120)
        assert not reader.is_alive(), "the read is still waiting on the hung bucket"
    assert len(outcome) == 1 and isinstance(outcome[0], BotoCoreError | ClientError), outcome

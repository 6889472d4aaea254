"""With Redis as the cache, each process follows the catalog version by pub/sub instead of
reading it on every request (catalog/cache.py): a warm process serves a visitor's page
without a single Redis command, yet an edit made anywhere shows on its very next request,
and a lost subscriber connection costs nothing but speed."""

import pytest
import redis
from django.core.cache import cache, caches
from django.utils import timezone

from catalog import cache as catalog_cache
from catalog.models import Offering, Session
from registration.services.cart import cart_add
from registration.services.orders import order_place
from tests.browser import Browser
from tests.factories import TraineeFactory

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

NEW_TITLE = "Foundations of KAP"


@pytest.fixture
def other_connection(redis_url):
    """A Redis client of another process."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_commands(redis_url, monkeypatch):
    """The commands this process's cache sends to Redis."""
    client = caches["default"]._cache.get_client()
    sent: list[tuple] = []
    execute = client.execute_command

    def recording(*args, **options):
        sent.append(args)
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", recording)
    # Within a test, only a message or a broken subscriber makes the process read it.
    monkeypatch.setattr(catalog_cache, "REREAD_SECONDS", 3600.0)
    return sent


def edit_elsewhere(other_connection) -> None:
    """A catalog edit committed by another process: the rows, then the bump as
    catalog_changed does it (INCR, then PUBLISH of the new version)."""
    Offering.objects.filter(slug="module-1").update(title=NEW_TITLE)  # no signal here
    version = other_connection.incr(cache.make_key(catalog_cache.VERSION_KEY))
    other_connection.publish(cache.make_key(catalog_cache.CHANNEL), version)


def reads_of_the_version(sent: list[tuple]) -> list[tuple]:
    """GETs of the version (the writer's own bump, INCR and PUBLISH, is not a read)."""
    key = cache.make_key(catalog_cache.VERSION_KEY)
    return [args for args in sent if args[0] in ("GET", "MGET") and key in args[1:]]


def test_a_warm_process_serves_visitors_without_a_redis_command(redis_commands):
    visitor = Browser()
    first = visitor.get("/trainings/module-1/")
    redis_commands.clear()
    for _ in range(5):
        assert visitor.get("/trainings/module-1/").content == first.content
    assert redis_commands == []


def test_an_edit_in_another_process_shows_on_the_next_request(redis_commands, other_connection):
    visitor = Browser()
    for path in ("/", "/trainings/module-1/"):
        assert NEW_TITLE not in visitor.get(path).content.decode()
    redis_commands.clear()
    edit_elsewhere(other_connection)
    for path in ("/", "/trainings/module-1/"):
        assert NEW_TITLE in visitor.get(path).content.decode()
    # The new version came with the message, not from a read.
    assert reads_of_the_version(redis_commands) == []


def test_a_killed_subscriber_connection_falls_back_then_resubscribes(
    redis_commands, other_connection, monkeypatch
):
    visitor = Browser()
    assert NEW_TITLE not in visitor.get("/trainings/module-1/").content.decode()
    follower = catalog_cache._follower()
    host, port = follower._pubsub.connection._sock.getsockname()[:2]
    assert other_connection.client_kill_filter(_type="pubsub", addr=f"{host}:{port}") == 1

    # Its message is lost with the connection: the next request reads the version instead.
    monkeypatch.setattr(catalog_cache, "RESUBSCRIBE_SECONDS", 0.0)  # not a few seconds
    redis_commands.clear()
    edit_elsewhere(other_connection)
    assert NEW_TITLE in visitor.get("/trainings/module-1/").content.decode()
    assert follower._pubsub is None
    assert reads_of_the_version(redis_commands) != []

    visitor.get("/trainings/module-1/")  # resubscribes, then reads the version once
    assert follower._pubsub is not None

    redis_commands.clear()
    Offering.objects.filter(slug="module-1").update(title="Advanced KAP")
    version = other_connection.incr(cache.make_key(catalog_cache.VERSION_KEY))
    other_connection.publish(cache.make_key(catalog_cache.CHANNEL), version)
    assert "Advanced KAP" in visitor.get("/trainings/module-1/").content.decode()
    assert reads_of_the_version(redis_commands) == []


def test_a_version_missed_is_read_again_within_a_second(other_connection, monkeypatch):
    visitor = Browser()
    visitor.get("/trainings/module-1/")
    # A bump whose message never came (INCR without PUBLISH).
    Offering.objects.filter(slug="module-1").update(title=NEW_TITLE)
    other_connection.incr(cache.make_key(catalog_cache.VERSION_KEY))
    monkeypatch.setattr(catalog_cache, "REREAD_SECONDS", 0.0)  # as a second later
    assert NEW_TITLE in visitor.get("/trainings/module-1/").content.decode()


def test_a_seat_taken_shows_at_once_from_the_message(redis_commands):
    visitor = Browser()
    session = Session.objects.filter(offering__slug="module-1").order_by("starts_at").first()
    left = f"{session.capacity - 1} of {session.capacity}"
    assert left not in visitor.get("/trainings/module-1/").content.decode()
    redis_commands.clear()
    # Orders need the name certificates carry.
    trainee = TraineeFactory(legal_name="Alex Rivera", profession="other")
    cart_add(trainee=trainee, session=session, now=timezone.now())
    order_place(trainee=trainee, payment_method="offline", now=timezone.now())
    assert left in visitor.get("/trainings/module-1/").content.decode()
    assert reads_of_the_version(redis_commands) == []

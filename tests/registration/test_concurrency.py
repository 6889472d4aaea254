"""Seats are reserved under a lock: a crowd racing for the last seats never overbooks."""

import threading

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from catalog.models import Session
from registration.models import CartItem, Enrolment, Order
from registration.rules import Code
from registration.services.exceptions import OrderRefused
from registration.services.orders import order_place
from tests.conftest import SEASON_START
from tests.factories import EnrolmentFactory


@pytest.mark.django_db(transaction=True)
def test_fifty_trainees_race_for_the_last_ten_seats(postgres, catalog, make_trainee):
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    EnrolmentFactory.create_batch(session.capacity - 10, session=session, status="confirmed")
    trainees = [make_trainee() for _ in range(50)]
    for trainee in trainees:
        CartItem.objects.create(trainee=trainee, session=session, offering=session.offering)
    now = parse_datetime(SEASON_START)

    start = threading.Barrier(50)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def register(trainee) -> None:
        try:
            start.wait()
            order_place(trainee=trainee, payment_method=Order.Method.OFFLINE, now=now)
            result = "held"
        except OrderRefused as refused:
            codes = {p.code for p in refused.check.refusals(session.pk)} if refused.check else set()
            result = "full" if codes == {Code.FULL} else f"refused: {codes}"
        except BaseException as error:
            with lock:
                errors.append(error)
            return
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=register, args=(t,)) for t in trainees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads), "a registration never finished"
    assert errors == []
    assert outcomes.count("held") == 10
    assert outcomes.count("full") == 40
    held = Enrolment.objects.filter(session=session, status="held").count()
    confirmed = Enrolment.objects.filter(session=session, status="confirmed").count()
    assert held == 10 and held + confirmed == session.capacity
    assert Order.objects.filter(status="pending").count() == 10

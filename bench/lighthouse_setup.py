"""The Lighthouse benchmark's database side: a trainee signed in, with a training in the cart.

Run by bench/lighthouse.py in the bench environment (against its scratch database, after
`migrate` and `load_catalog`) as `python -m bench.lighthouse_setup`; prints one JSON object
on the last line of stdout: {"sessionid": KEY}, the cookie the cart is visited with.
"""

from __future__ import annotations

import json

import django


def main() -> None:
    django.setup()
    from django.utils import timezone

    from catalog.models import Session
    from registration.services.cart import cart_add

    from .checkout_setup import _trainees

    [key] = _trainees(1, "bench-lighthouse")
    from django.contrib.auth import get_user_model

    trainee = get_user_model().objects.get(username="bench-lighthouse-0")
    session = Session.objects.filter(offering__slug="module-1").order_by("starts_at").first()
    cart_add(trainee=trainee, session=session, now=timezone.now())
    print(json.dumps({"sessionid": key}))


if __name__ == "__main__":
    main()

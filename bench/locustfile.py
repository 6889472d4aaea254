"""Who loads the site in the load test (bench/load.py runs this with locust): visitors who
browse the catalog, and trainees who sign in once, register, pay by invoice and cancel."""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
PAGES = PLAN["pages"]
SESSIONS: dict[str, list[dict]] = defaultdict(list)
for _session in PLAN["sessions"]:
    SESSIONS[_session["offering"]].append(_session)
REQUEST_TIMEOUT = 30

_ORDER_URL = re.compile(r"^/orders/([A-Z0-9-]+)/$")
_CART_ITEM = re.compile(r'id="item-(\d+)" aria-labelledby=.*?<a href="/trainings/([^/"]+)/"', re.S)
_CE_INPUT = re.compile(r'<input[^>]*name="item(\d+)-credit_type"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')
_ALERT = re.compile(r'<div class="alert[^>]*>(.*?)</div>', re.S)
_FULL = "session is full"

# What bench/load.py reads back: every answer's status by endpoint group, what the trainees
# achieved, and every answer no browser would expect.
statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
outcomes: Counter[str] = Counter()
unexpected: Counter[str] = Counter()
_emails = iter(PLAN["trainees"])


@events.request.add_listener
def _count_status(name, response, **kwargs) -> None:
    # Locust answers a request that got no response with status 0.
    statuses[name][getattr(response, "status_code", 0) or 0] += 1


def _figures(entry) -> dict:
    return {
        "method": entry.method,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.total_rps, 2),
        "latency_ms": {
            f"p{pct}": entry.get_response_time_percentile(pct / 100) if entry.num_requests else None
            for pct in (50, 95, 99)
        },
    }


@events.quitting.add_listener
def _write_report(environment, **kwargs) -> None:
    # Users are stopped by now: locust's final figures, not its last periodic CSV.
    stats = environment.stats
    report = {
        "total": _figures(stats.total),
        "endpoints": {name: _figures(entry) for (name, _method), entry in stats.entries.items()},
        "failures": {error.to_name(): error.occurrences for error in stats.errors.values()},
        "statuses": statuses,
        "outcomes": outcomes,
        "unexpected": unexpected,
    }
    Path(os.environ["LOAD_REPORT"]).write_text(json.dumps(report))


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>|\s+", " ", html).strip()


class Browser(HttpUser):
    """A browser that follows no redirect by itself, so every answer can be checked."""

    abstract = True

    def page(self, path: str, name: str):
        """GET a page that must answer 200."""
        with self.client.get(
            path, name=name, allow_redirects=False, timeout=REQUEST_TIMEOUT, catch_response=True
        ) as response:
            if response.status_code != 200:
                self.unexpected(response, f"GET {name} answered {response.status_code}")
        return response

    def post(self, path: str, name: str, form: dict, *, to: str):
        """POST a form as the page would; it must redirect to a path starting with TO.

        The response, or None when it did not.
        """
        form = {**form, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        with self.client.post(
            path,
            data=form,
            name=name,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 429:
                # Counted apart by status: a limit doing its job, not the server failing.
                response.failure("429 rate limited")
                return None
            if response.status_code != 302 or not location.startswith(to):
                self.unexpected(
                    response, f"POST {name} answered {response.status_code} {location}".strip()
                )
                return None
        return response

    def unexpected(self, response, kind: str) -> None:
        unexpected[kind] += 1
        response.failure(kind)


class Visitor(Browser):
    """Someone looking at the trainings, signed out: the pages the catalog cache serves."""

    wait_time = between(0.5, 2)

    @task(4)
    def home(self) -> None:
        self.page("/", "home")

    @task(6)
    def offering(self) -> None:
        self.page(random.choice(PAGES["offering"]), "offering page")

    @task(2)
    def calendar(self) -> None:
        self.page("/calendar/", "calendar")

    @task(1)
    def calendar_ics(self) -> None:
        self.page("/calendar.ics", "calendar.ics")

    @task(1)
    def session_ics(self) -> None:
        self.page(random.choice(PAGES["session_ics"]), "session .ics")

    @task(2)
    def instructors(self) -> None:
        self.page("/instructors/", "instructors")

    @task(1)
    def instructor(self) -> None:
        self.page(random.choice(PAGES["instructor"]), "instructor page")

    @task(2)
    def full_training(self) -> None:
        self.page(random.choice(PAGES["bundle"]), "full training")


class Trainee(Browser):
    """A trainee signed in once for the whole run, holding at most one order per offering."""

    fixed_count = len(PLAN["trainees"])
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.email = next(_emails)
        self.pending: dict[str, str] = {}
        self.signed_in = False
        self.sign_in()

    def sign_in(self) -> None:
        self.page("/accounts/login/", "sign-in page")
        response = self.post(
            "/accounts/login/",
            "sign in",
            {"login": self.email, "password": PLAN["password"]},
            to="/my/",
        )
        self.signed_in = response is not None
        if self.signed_in:
            outcomes["signed_in"] += 1

    @task(5)
    def register(self) -> None:
        if not self.signed_in:
            self.sign_in()
            return
        open_offerings = [slug for slug in SESSIONS if slug not in self.pending]
        if not open_offerings:
            self.cancel()
            return
        slug = random.choice(open_offerings)
        session = random.choice(SESSIONS[slug])
        offering_page = f"/trainings/{slug}/"
        self.page(offering_page, "offering page")
        added = self.post("/cart/add/", "cart add", {"session": session["id"]}, to="/")
        if added is None:
            return
        if added.headers["Location"].startswith(offering_page):
            # Refused: back on the offering's page, which says why at the top.
            page = self.page(offering_page, "offering page").text
            if _FULL in page:
                outcomes["told_full"] += 1
            else:
                alerts = " | ".join(_text(a) for a in _ALERT.findall(page))
                unexpected[f"cart add refused: {alerts[:300]}"] += 1
            return
        if not added.headers["Location"].startswith("/cart/"):
            unexpected[f"POST cart add answered 302 {added.headers['Location']}"] += 1
            return
        cart = self.page("/cart/", "cart").text
        items = {offering: int(pk) for pk, offering in _CART_ITEM.findall(cart)}
        if slug not in items:
            unexpected["cart lacks the session just added"] += 1
            return
        item = items.pop(slug)
        # An item left by an interrupted visit would be ordered too: a trainee removes it.
        for other in items.values():
            self.post(f"/cart/items/{other}/remove/", "cart remove", {}, to="/cart/")
        with_ce = self.choose_ce(cart, item)
        # Ordered even when the cart already says the session is full, as from a cart page
        # loaded a moment earlier: then only the seat lock stands between it and an oversell.
        response = self.post("/cart/checkout/", "checkout", {"payment_method": "offline"}, to="/")
        if response is None:
            return
        placed = _ORDER_URL.match(response.headers["Location"])
        if placed:
            self.pending[slug] = placed.group(1)
            outcomes["orders_placed"] += 1
            outcomes["with_ce"] += with_ce
            self.page(response.headers["Location"], "order page")
            return
        # Refused: the cart says why, next to the item.
        page = self.page("/cart/", "cart").text
        if _FULL in page:
            outcomes["told_full"] += 1
        else:
            alerts = " | ".join(_text(a) for a in _ALERT.findall(page))
            unexpected[f"checkout refused: {alerts[:300]}"] += 1
        self.post(f"/cart/items/{item}/remove/", "cart remove", {}, to="/cart/")

    def choose_ce(self, cart: str, item: int) -> bool:
        """Pick a CE add-on the license allows (or none, as some do); whether one was chosen."""
        allowed = [
            _VALUE.search(tag).group(1)
            for pk, tag in ((m.group(1), m.group(0)) for m in _CE_INPUT.finditer(cart))
            if int(pk) == item and "disabled" not in tag and 'value=""' not in tag
        ]
        if not allowed or random.random() < 0.3:
            return False
        code = random.choice(allowed)
        form = {f"item{item}-credit_type": code}
        if f'id="item{item}-ack-{code}"' in cart:
            form[f"item{item}-acknowledge_notice"] = "on"
        return self.post(f"/cart/items/{item}/ce/", "cart CE", form, to="/cart/") is not None

    @task(2)
    def cancel(self) -> None:
        if not self.pending:
            return
        slug = random.choice(list(self.pending))
        code = self.pending.pop(slug)
        if self.post(f"/orders/{code}/cancel/", "order cancel", {}, to="/my/"):
            outcomes["orders_cancelled"] += 1
            self.page("/my/", "my trainings")

    @task(2)
    def my_trainings(self) -> None:
        if self.signed_in:
            self.page("/my/", "my trainings")

    @task(1)
    def browse(self) -> None:
        self.page(random.choice(PAGES["offering"]), "offering page")

"""Every registration operation that changes state, one transactional function each, in one
module per sub-domain (orders, payments, enrolments, waitlist, waivers, cart, intake…).

Views, the admin, Celery tasks and tests all call these; nothing else changes orders,
enrolments, payments or waitlists. The modules import one way, never in a circle: the
refusals (`exceptions.py`), the outbox (`emails.py`) and the seat locks (`seats.py`) at the
bottom, then `waitlist`, `orders` (which frees seats to the waitlist), `payments` (which
confirms and cancels orders) and `enrolments` (whose cancellation refunds). What several
need sits below them all: signed link tokens in `registration.tokens`, and the tasks they
queue, by name, in `registration.background` (`tasks.py` calls the services, so they
cannot import it).
"""

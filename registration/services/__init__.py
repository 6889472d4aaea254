"""Every registration operation that changes state, one transactional function each.

Views, the admin, Celery tasks and tests all call these; nothing else changes orders,
enrolments, payments or waitlists.
"""

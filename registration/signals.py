"""What registration tells the apps above it, and what it asks them: Django signals, as
`django.contrib.auth`'s `user_logged_in` is. Registration imports no app above it; an app
that takes part (certificates) connects receivers in its AppConfig.ready().

Two kinds. Events say what happened (`attendance_marked`). Questions collect what the
receivers answer (`answers`): each receiver returns its part, and registration puts the parts
together; every question is asked once per page or batch, never once per row, so that a
receiver reads what it needs in one query.
"""

from django.dispatch import Signal

# Sent in the transaction that marks roster entries attended in full, with `enrolment_ids`
# (those now attended in full), `by` and `now`. A receiver that acts on it does so once the
# marking commits (transaction.on_commit): certificates issues what the trainees earned.
attendance_marked = Signal()

# Asked before attendance is undone or made partial, with `enrolments`: each receiver
# returns the ids of those whose full attendance something rests on (certificates: a valid
# certificate); their attendance then stays as it is.
attendance_relied_on = Signal()

# Asked when a trainee's orders are read with their enrolments (My trainings, an order's
# page), with `prefix`, the lookup from the order to its enrolments ("lines__enrolments__"):
# each receiver returns Prefetch lookups from there (certificates: each enrolment's valid
# certificates, as `valid_certificates`, which the training row's template lists).
enrolments_prefetch = Signal()

# Asked once when My trainings is read, with `enrolments` (as prefetched above): each receiver
# returns {enrolment id: states} to show after a past training's attendance
# (selectors.TrainingState).
training_states = Signal()

# Asked when My trainings is shown, with `trainee`: each receiver returns a dict of template
# context (certificates: whether the trainee has a CE transcript to download).
my_trainings_shown = Signal()

# Asked when the "Close my account" page is shown, with `trainee`: each receiver returns the
# documents the trainee should download while they still can sign in (certificates: their
# valid certificates), listed by the page as certificates.
account_closure_downloads = Signal()

# Asked when the coordinator's dashboard is read, with `now` and `season`: each receiver
# returns a dict of panels by name, which the dashboard's template reads from
# `dashboard.panels` (certificates: "certificates", those overdue and those issued).
dashboard_panels = Signal()


def answers(signal: Signal, **kwargs) -> list:
    """What each receiver answered to a question, in the order they were connected."""
    return [response for _receiver, response in signal.send(sender=None, **kwargs)]

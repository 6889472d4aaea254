"""Public catalog pages: parse the request, call a selector, render."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from . import selectors
from .forms import CalendarFilterForm
from .ics import sessions_calendar
from .middleware import cached_for_visitors


@require_safe
@cached_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    bundles = selectors.published_bundles()
    return render(
        request,
        "catalog/home.html",
        {
            "groups": selectors.catalog_groups(now=timezone.now()),
            "bundles": [(b, selectors.bundle_a_la_carte_cents(b)) for b in bundles],
        },
    )


@require_safe
@cached_for_visitors
def offering_detail(request: HttpRequest, slug: str) -> HttpResponse:
    offering = selectors.offering_detail(slug=slug, now=timezone.now())
    sequence = selectors.module_sequence() if offering.kind == offering.Kind.MODULE else []
    return render(
        request,
        "catalog/offering_detail.html",
        {
            "offering": offering,
            "sequence": sequence,
            "takes_interest": selectors.offering_takes_interest(offering),
        },
    )


@require_safe
@cached_for_visitors
def bundle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bundle = selectors.bundle_detail(slug=slug, now=timezone.now())
    return render(
        request,
        "catalog/bundle_detail.html",
        {"bundle": bundle, "a_la_carte_cents": selectors.bundle_a_la_carte_cents(bundle)},
    )


@require_safe
@cached_for_visitors
def instructor_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/instructor_list.html", {"instructors": selectors.instructors()})


@require_safe
@cached_for_visitors
def instructor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    instructor = selectors.instructor_detail(slug=slug)
    return render(request, "catalog/instructor_detail.html", {"instructor": instructor})


@require_safe
@cached_for_visitors
def calendar(request: HttpRequest) -> HttpResponse:
    form = CalendarFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    sessions = selectors.calendar_sessions(
        now=timezone.now(), kind=filters.get("kind", ""), delivery=filters.get("delivery", "")
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request, "catalog/calendar.html", {"form": form, "sessions": sessions}, status=status
    )


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def calendar_ics(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    body = sessions_calendar(
        selectors.calendar_sessions(now=now),
        base_url=request.build_absolute_uri("/").rstrip("/"),
        name="Polaris Insight Center trainings",
        now=now,
    )
    return _ics_response(body, "polaris-trainings.ics")


@require_safe
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_calendar(pk=pk)
    body = sessions_calendar(
        [session],
        base_url=request.build_absolute_uri("/").rstrip("/"),
        name=session.offering.display_title,
        now=timezone.now(),
    )
    date = session.starts_at.astimezone(timezone.get_current_timezone()).date().isoformat()
    return _ics_response(body, f"{slugify(session.offering.label)}-{date}.ics")

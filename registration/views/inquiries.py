"""Contact pages: the list of inquiry topics and one form per topic. Each view parses, calls a
service, renders."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from polaris.ratelimit import client_address

from ..forms import InquiryForm
from ..models import InquiryTopic
from ..services import inquiries


@require_safe
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/contact.html", {"topics": InquiryTopic})


@require_http_methods(["GET", "HEAD", "POST"])
def contact_topic(request: HttpRequest, topic: str) -> HttpResponse:
    if topic not in InquiryTopic.values:
        raise Http404
    topic = InquiryTopic(topic)
    form = InquiryForm(request.POST or None)
    context = {"topic": topic, "form": form}
    if request.method == "POST" and form.is_spam:
        return render(request, "registration/contact_thanks.html", context)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        if not inquiries.inquiry_rate_take(client=client_address(request)):
            return render(request, "registration/contact_rate_limited.html", context, status=429)
        inquiries.inquiry_submit(
            topic=topic,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
            now=now,
            submission=form.cleaned_data["submission"],
        )
        return render(request, "registration/contact_thanks.html", context)
    return render(
        request, "registration/contact_form.html", context, status=400 if form.errors else 200
    )

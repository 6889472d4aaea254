"""Contact inquiries: one form per topic, each topic emailed to its own recipient."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class InquiryTopic(models.TextChoices):
    """What visitors write to the center about (the contacts listed on the trainings page)."""

    KAP_CONSULTATION = (
        "kap-consultation",
        _("Ketamine Assisted Psychotherapy consultation for providers"),
    )
    SUPPORT_GROUP = "support-group", _("The support group for ketamine providers")
    KAP_GROUP = "kap-group", _("The KAP group for eligible clinicians")
    WORKING_HERE = "working-at-the-center", _("Working at the center")
    ORGANIZATIONS = (
        "trainings-for-organizations",
        _("Trainings or speaking engagements for organizations"),
    )
    CERTIFICATE = "certificate-of-attendance", _("The Certificate of Attendance")
    NURSES_CE = "ce-for-nurses", _("CE for nurses")
    EXPERIENTIAL = "experiential-workshop", _("The Experiential Workshop")


class InquiryRecipient(models.Model):
    """Who receives the inquiries about one topic."""

    topic = models.CharField(_("topic"), max_length=40, choices=InquiryTopic.choices, unique=True)
    email = models.EmailField(_("send to"))

    class Meta:
        ordering = ("topic",)
        verbose_name = _("inquiry recipient")
        verbose_name_plural = _("inquiry recipients")

    def __str__(self) -> str:
        return f"{self.get_topic_display()} → {self.email}"


class Inquiry(models.Model):
    """A message a visitor sent through a contact form."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ANSWERED = "answered", _("Answered")

    topic = models.CharField(_("topic"), max_length=40, choices=InquiryTopic.choices)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    message = models.TextField(_("message"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    created_at = models.DateTimeField(_("received"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.email}"

"""The certificates' pages: downloads and verification (namespace "certificates"), and the
course evaluation (namespace "evaluations"). polaris/urls.py includes this module."""

from django.urls import include, path

from .views import downloads, evaluations, verification

certificate_patterns = [
    path("certificates/transcript.pdf", downloads.transcript, name="transcript"),
    path("certificates/<str:code>/pdf/", downloads.certificate_pdf, name="pdf"),
    path("verify/", verification.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", verification.verify, name="verify"),
]

evaluation_patterns = [
    path("evaluations/<int:enrolment_id>/", evaluations.evaluation, name="evaluation"),
]

urlpatterns = [
    path("", include((evaluation_patterns, "evaluations"))),
    path("", include((certificate_patterns, "certificates"))),
]

from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("certificates/transcript.pdf", views.transcript, name="transcript"),
    path("certificates/<str:code>/pdf/", views.certificate_pdf, name="pdf"),
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", views.verify, name="verify"),
]

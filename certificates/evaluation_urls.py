from django.urls import path

from . import evaluation_views

app_name = "evaluations"

urlpatterns = [
    path("evaluations/<int:enrolment_id>/", evaluation_views.evaluation, name="evaluation"),
]

from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("trainings/<slug:slug>/", views.offering_detail, name="offering"),
    path("programs/<slug:slug>/", views.bundle_detail, name="bundle"),
    path("instructors/", views.instructor_list, name="instructors"),
    path("instructors/<slug:slug>/", views.instructor_detail, name="instructor"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
    path("sessions/<int:pk>.ics", views.session_ics, name="session_ics"),
]

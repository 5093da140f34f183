"""Jobs pages, included under /t/<tenant>/ from devices/urls.py."""

from django.urls import path

from devices.jobs import views

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/run-command/", views.RunCommandView.as_view(), name="job-run-command"),
    path("jobs/<uuid:job_id>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<uuid:job_id>/progress/", views.JobProgressView.as_view(), name="job-progress"),
    path("jobs/<uuid:job_id>/cancel/", views.JobCancelView.as_view(), name="job-cancel"),
    path("jobs/<uuid:job_id>/retry-failed/", views.JobRetryView.as_view(), name="job-retry"),
    path("jobs/<uuid:job_id>/resume/", views.JobResumeView.as_view(), name="job-resume"),
]

"""What the pages of a worker's job share: the polled progress fragment."""

from django.shortcuts import render

FINISHED = ("done", "failed")


def job_progress(request, job: dict, template: str):
    """The progress fragment htmx polls; once the job is finished the page reloads to
    show its outcome."""
    response = render(request, template, {"job": job})
    if job["status"] in FINISHED:
        response["HX-Refresh"] = "true"
    return response

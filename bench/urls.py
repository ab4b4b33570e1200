from django.http import HttpRequest, HttpResponse
from django.urls import path

from community.urls import urlpatterns as site_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    """The smallest Django page: what the framework and the servers cost before any of our code runs."""
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello, name="bench_hello"), *site_urlpatterns]

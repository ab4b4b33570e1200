"""The header set of a production-configured server (gunicorn, HTTPS behind one proxy)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from allauth.account.models import EmailAddress
from django.conf import global_settings

from tests.factories import UserFactory
from tests.servers import app_server

HOST = "knooppunt.test"
BEHIND_PROXY = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def production_server(server_env: dict[str, str]) -> Iterator[str]:
    env = {
        **server_env,
        "DEBUG": "False",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "TRUSTED_PROXY_COUNT": "1",
    }
    with app_server("gunicorn", env) as url:
        yield url


def cookie_attributes(response: httpx.Response, name: str) -> dict[str, str | bool]:
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            morsel = cookie[name]
            return {key: morsel[key] for key in ("secure", "httponly", "samesite", "path")}
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_pages_carry_the_security_headers(production_server: str) -> None:
    response = httpx.get(f"{production_server}/", headers=BEHIND_PROXY, timeout=30)
    assert response.status_code == 200
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert cookie_attributes(response, "csrftoken") == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
    }


@pytest.mark.django_db(transaction=True)
def test_session_and_language_cookies_are_secure_httponly_and_samesite(production_server: str, settings: Any) -> None:
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's own hashers
    user = UserFactory(email="erik@example.org", password="a long enough passphrase")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with httpx.Client(base_url=production_server, headers=BEHIND_PROXY, timeout=30) as browser:
        # httpx keeps Secure cookies only for https URLs; the proxy header makes
        # the app see HTTPS, so carry the CSRF cookie by hand.
        page = browser.get("/accounts/login/")
        token = csrf_token(page.text)
        browser.headers["Cookie"] = f"csrftoken={page.cookies['csrftoken']}"
        origin = {"Origin": f"https://{HOST}", "Referer": f"https://{HOST}/accounts/login/"}
        login = browser.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "login": user.email, "password": "a long enough passphrase"},
            headers=origin,
        )
        assert login.status_code == 302, login.text[:500]
        assert cookie_attributes(login, "sessionid") == {
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "path": "/",
        }
        language = browser.post(
            "/i18n/setlang/",
            data={"csrfmiddlewaretoken": token, "language": "ar", "next": "/"},
            headers=origin,
        )
        assert language.status_code == 302
        assert cookie_attributes(language, "django_language")["secure"] is True
        assert cookie_attributes(language, "django_language")["httponly"] is True


@pytest.mark.django_db(transaction=True)
def test_plain_http_is_redirected_to_https_except_the_health_check(production_server: str) -> None:
    response = httpx.get(f"{production_server}/", headers={"Host": HOST, "X-Forwarded-For": "203.0.113.7"}, timeout=30)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/"
    health = httpx.get(f"{production_server}/healthz", headers={"Host": HOST}, timeout=30)
    assert health.status_code == 200

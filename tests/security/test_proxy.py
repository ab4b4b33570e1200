"""Through the real proxy: Debian's nginx with the production configuration (deploy/nginx.conf, only its
upstreams, listening ports, certificate and static folder pointed at this test's own) in front of a real
gunicorn for pages and a real uvicorn for sockets. A page, a static file, the client address that the
sign-in limits count, and a WebSocket upgrade, all over TLS through nginx."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from django.conf import settings

from community.models import User
from signals.discussion import message_post
from signals.models import Signal
from tests.community.test_deploy import nginx_binary
from tests.factories import session_key
from tests.servers import ROOT, _child, _wait_for_port, app_process, free_port
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

LOGIN_FAILURES_PER_IP = 10  # allauth's default "login_failed" limit per client address and minute


def too_many_attempts() -> str:
    """allauth's own message for a sign-in limit that was hit, as the page shows it (escaped)."""
    from allauth.account.adapter import get_adapter
    from django.utils import translation
    from django.utils.html import escape

    with translation.override(settings.LANGUAGE_CODE):
        return str(escape(get_adapter().error_messages["too_many_login_attempts"]))


def production_config(folder: Path, *, http: int, https: int, web: int, ws: int) -> Path:
    """deploy/nginx.conf with loopback upstreams, free ports, a throwaway certificate, this checkout's
    static files, and its pid and temporary files in ``folder``; nothing else changed."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        "server web:8000": f"server 127.0.0.1:{web}",
        "server ws:8001": f"server 127.0.0.1:{ws}",
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https} ssl default_server;",
        "/etc/nginx/certs/": f"{folder}/",
        "alias /srv/static/;": f"alias {settings.STATIC_ROOT}/;",
        "http {": "http {\n    client_body_temp_path body;\n    proxy_temp_path proxy;\n"
        "    fastcgi_temp_path fastcgi;\n    uwsgi_temp_path uwsgi;\n    scgi_temp_path scgi;",
    }
    for old, new in replacements.items():
        assert old in config, f"deploy/nginx.conf changed: {old!r} is gone"
        config = config.replace(old, new)
    config = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", config)  # loopback IPv4 only
    path = folder / "nginx.conf"
    path.write_text(config)
    return path


@dataclass(frozen=True)
class Proxy:
    https: str
    http: str


@pytest.fixture
def proxy(worker_redis_env: dict[str, str], tmp_path: Path) -> Iterator[Proxy]:
    """nginx's two listeners, in front of a gunicorn and a uvicorn that trust one proxy."""
    env = {**worker_redis_env, "TRUSTED_PROXY_COUNT": "1"}
    tmp_path.chmod(0o755)  # nginx's workers (an unprivileged user when started as root) buffer here
    with app_process("gunicorn", env) as (web, _), app_process("uvicorn", env) as (ws, _):
        http, https = free_port(), free_port()
        config = production_config(
            tmp_path, http=http, https=https, web=int(web.rsplit(":", 1)[1]), ws=int(ws.rsplit(":", 1)[1])
        )
        command = [
            nginx_binary(),
            "-c",
            str(config),
            "-p",
            str(tmp_path),
            "-g",
            f"daemon off; pid {tmp_path}/nginx.pid;",
        ]
        with _child(command, {}) as (process, log):
            _wait_for_port(https, process, log, "nginx")
            yield Proxy(https=f"https://127.0.0.1:{https}", http=f"http://127.0.0.1:{http}")


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, verify=False, timeout=30, follow_redirects=False)  # noqa: S501 -- throwaway certificate


def _csrf(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def test_pages_and_static_files_come_through_the_proxy(proxy: Proxy) -> None:
    with _client(proxy.https) as client:
        page = client.get("/accounts/login/")
        assert page.status_code == 200 and page.headers["server"] == "nginx"
        assert '<html lang="nl"' in page.text
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page.text)
        assert stylesheet, "the page links its hashed stylesheet"
        css = client.get(stylesheet.group(1))
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
        assert "immutable" in css.headers["cache-control"]  # nginx serves it from disk, not gunicorn
        assert client.get("/healthz").json()["database"] is True  # from loopback only
    plain = httpx.get(f"{proxy.http}/signals/", timeout=30)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")


def test_the_sign_in_limit_counts_the_client_address_nginx_saw_whatever_the_client_writes(proxy: Proxy) -> None:
    """Each attempt claims another address in X-Forwarded-For; nginx appends the one it saw (127.0.0.1), and
    with one trusted proxy that is the address counted: the limit holds."""
    # The Referer names no port: nginx passes `Host: $host`, which has none (in production the port is 443).
    refused = []
    message = too_many_attempts()
    with _client(proxy.https) as client:
        for attempt in range(LOGIN_FAILURES_PER_IP + 1):
            form = client.get("/accounts/login/")
            answer = client.post(
                "/accounts/login/",
                data={
                    "csrfmiddlewaretoken": _csrf(form.text),
                    "login": f"raad{attempt}@example.org",
                    "password": "verkeerd wachtwoord",
                },
                headers={"X-Forwarded-For": f"198.51.100.{attempt}", "Referer": "https://127.0.0.1/accounts/login/"},
            )
            assert answer.status_code in (200, 429), answer.status_code
            refused.append(answer.status_code == 429 or message in answer.text)
    assert refused == [False] * LOGIN_FAILURES_PER_IP + [True]


def test_a_socket_upgrades_through_the_proxy(
    proxy: Proxy,
    make_member: MakeMember,  # noqa: F811 -- the fixture imported above
    signal: Signal,  # noqa: F811
) -> None:
    member: User = make_member("GM0766")
    message_post(actor=member, signal=signal, body="Door de proxy heen.")
    cookie = f"sessionid={session_key(member)}"
    url = proxy.https.replace("https://", "wss://") + f"/ws/signals/{signal.pk}/"
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    async def synced() -> dict[str, object]:
        """Ask for everything after id 0; the first message.new that comes back."""
        async with websockets.connect(
            url, ssl=context, origin=proxy.https, additional_headers={"Cookie": cookie}, open_timeout=30
        ) as socket:
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            while True:
                event = json.loads(await asyncio.wait_for(socket.recv(), 30))
                if event["type"] == "message.new":
                    return event

    event = asyncio.run(synced())
    assert "Door de proxy heen." in event["message"]["body_html"]  # type: ignore[index]

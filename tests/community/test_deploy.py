"""The production files: the compose file validates, nginx accepts the proxy configuration."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT


def test_docker_compose_validates_against_the_compose_specification() -> None:
    check = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(check), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_of_the_architecture_with_health_checks() -> None:
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"proxy", "web", "ws", "worker", "beat", "postgres", "redis"}
    assert all("healthcheck" in service for service in services.values())
    assert services["ws"]["command"] == ["ws"]
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    assert "--ws-max-size 65536" in entrypoint
    assert "django_celery_beat.schedulers:DatabaseScheduler" in entrypoint


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        pytest.fail("nginx is not installed: `make test` installs Debian's nginx (apt-get install nginx)")
    return found


def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    # Upstream names exist only inside compose's network: point them at loopback,
    # and the certificates at a throwaway pair, then let nginx check the rest.
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=knooppunt.test",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    loopback = (
        config.replace("server web:8000", "server 127.0.0.1:8000")
        .replace("server ws:8001", "server 127.0.0.1:8001")
        .replace("/etc/nginx/certs/", f"{certs}/")
    )
    assert loopback.count("127.0.0.1:800") == 2 and str(certs) in loopback
    copy = tmp_path / "nginx.conf"
    copy.write_text(loopback)
    result = subprocess.run(
        [nginx_binary(), "-t", "-c", str(copy), "-p", str(tmp_path), "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_the_docker_builds_collectstatic_settings_load(tmp_path: Path) -> None:
    """The image runs collectstatic with placeholder settings; they must pass the production checks."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"env (.+?) python manage\.py collectstatic", dockerfile)
    assert match, "Dockerfile runs collectstatic through `env NAME=value … python manage.py collectstatic`"
    environment = dict(pair.split("=", 1) for pair in match.group(1).split())
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr

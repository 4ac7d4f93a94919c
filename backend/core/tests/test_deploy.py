"""The production set-up: settings that pass `check --deploy`, the compose stack, request ids in logs."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]


def test_production_settings_pass_check_deploy_with_only_four_variables():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "JWT_"))}
    env |= {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "api.example.com",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO / "backend",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_runs_postgres_redis_and_two_api_replicas_behind_caddy(compose):
    services = compose["services"]

    assert {"postgres", "redis", "migrate", "api", "caddy", "housekeeping", "mockllm"} <= set(services)
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["api"]["build"] == "./backend"
    assert "healthcheck" in services["api"] and "healthcheck" in services["postgres"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["caddy"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    assert "./frontend:/srv/frontend:ro" in services["caddy"]["volumes"]
    assert services["mockllm"]["profiles"] == ["mock"]
    assert services["api"]["env_file"] == ".env"
    assert "flushexpiredtokens" in " ".join(services["housekeeping"]["command"])


def test_the_api_image_runs_make_serves_server_as_a_non_root_user():
    dockerfile = (REPO / "backend" / "Dockerfile").read_text()

    assert "\nUSER app\n" in dockerfile
    assert 'CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.asgi:application"]' in dockerfile
    assert "collectstatic" in dockerfile
    assert "HEALTHCHECK" in dockerfile


def test_caddy_proxies_the_api_with_streaming_and_serves_the_spa():
    caddyfile = (REPO / "deploy" / "Caddyfile").read_text()

    assert "reverse_proxy api:8000" in caddyfile
    assert "flush_interval -1" in caddyfile  # server-sent events pass straight through
    assert "root * /srv/frontend" in caddyfile
    assert "{$SITE_ADDRESS" in caddyfile  # automatic HTTPS for the configured domain


def test_every_variable_the_stack_reads_is_documented_in_env_example(compose):
    documented = (REPO / ".env.example").read_text()
    settings_source = "".join(path.read_text() for path in (REPO / "backend" / "config" / "settings").glob("*.py"))

    read_by_settings = set(re.findall(r'env\.\w+\("([A-Z_]+)"', settings_source))
    read_by_compose = set(re.findall(r"\$\{([A-Z_]+)", (REPO / "docker-compose.yml").read_text()))

    missing = {name for name in read_by_settings | read_by_compose if name not in documented}
    assert not missing, f"not in .env.example: {sorted(missing)}"


@pytest.mark.django_db
def test_every_answer_carries_a_request_id_that_is_on_its_log_lines(api_client, caplog):
    given = str(uuid.uuid4())
    with caplog.at_level(logging.INFO):
        response = api_client.get("/api/v1/chats/", HTTP_X_REQUEST_ID=given)
        other = api_client.get("/api/health/", HTTP_X_REQUEST_ID="not a uuid <script>")

    assert response.status_code == 401
    assert response["X-Request-ID"] == given
    assert other["X-Request-ID"] != "not a uuid <script>"
    uuid.UUID(other["X-Request-ID"])
    assert any(getattr(record, "request_id", None) == given for record in caplog.records)


@pytest.mark.django_db
def test_the_upstream_key_never_reaches_the_logs(auth_client, user, mock_llm, settings, caplog):
    from chat.tests.factories import ChatBotFactory

    settings.OPENAI_API_KEY = "sk-very-secret-key-123"
    chat = ChatBotFactory(user=user)
    with caplog.at_level(logging.DEBUG):
        auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "hi"}, format="json")
        auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "[[mock:status=401]]"}, format="json")

    assert mock_llm.requests()[-1]["authorization"] == "Bearer sk-ve"  # it was sent...
    assert "sk-very-secret" not in caplog.text  # ...and never logged


def test_the_monitoring_profile_scrapes_every_replica_with_the_token(compose):
    prometheus = compose["services"]["prometheus"]
    scrape = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())["scrape_configs"][0]

    assert prometheus["profiles"] == ["monitoring"]
    assert "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert "METRICS_TOKEN" in prometheus["environment"]
    assert scrape["metrics_path"] == "/api/metrics/"
    assert scrape["authorization"]["credentials_file"] in " ".join(prometheus["command"])
    assert scrape["dns_sd_configs"][0] == {"names": ["api"], "type": "A", "port": 8000}


def test_load_balancer_and_container_health_checks_ask_only_for_the_database(compose):
    """A Redis outage must not take replicas out of rotation: the API serves on without it."""
    caddyfile = (REPO / "deploy" / "Caddyfile").read_text()
    dockerfile = (REPO / "backend" / "Dockerfile").read_text()

    assert "health_uri /api/health/?require=database" in caddyfile
    assert "/api/health/?require=database" in dockerfile
    assert "/api/health/?require=database" in " ".join(compose["services"]["api"]["healthcheck"]["test"])


def _production_settings(**variables: str) -> dict:
    """Some settings as `config.settings.production` computes them for these variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EMAIL_URL"))}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.production", **variables}
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    names += ["EMAIL_BACKEND", "EMAIL_FILE_PATH", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS"]
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO / "backend", env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("debug", ["false", "true"])
def test_production_security_does_not_depend_on_debug(debug):
    chosen = _production_settings(DJANGO_DEBUG=debug)

    assert chosen["SECURE_SSL_REDIRECT"] and chosen["SESSION_COOKIE_SECURE"] and chosen["CSRF_COOKIE_SECURE"]
    assert chosen["SECURE_HSTS_SECONDS"] == 60 * 60 * 24 * 365


def test_mail_settings_come_from_email_url_as_written():
    to_files = _production_settings(EMAIL_URL="filemail:///var/mail/chatbot")
    smtp = _production_settings(EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587")

    assert to_files["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert to_files["EMAIL_FILE_PATH"] == "/var/mail/chatbot"  # not backend/var/mail/chatbot
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == ("smtp.example.com", 587, True)


@pytest.mark.parametrize("written", ["filemail://var/mail/chatbot", "filemail://relative"])
def test_a_mail_folder_that_is_not_an_absolute_path_is_refused_at_start_up(written):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _production_settings(EMAIL_URL=written)

    assert "filemail:///absolute/path" in refused.value.stderr

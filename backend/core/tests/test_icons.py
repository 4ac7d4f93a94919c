"""The app's icon: the SPA's static site and Django's own pages (admin, docs) both answer /favicon.ico."""

import json
import re
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[3] / "frontend"
BACKEND_ICON = Path(__file__).resolve().parents[1] / "public" / "favicon.ico"


@pytest.mark.django_db
def test_django_answers_favicon_ico_with_the_apps_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert int(response["Content-Length"]) == BACKEND_ICON.stat().st_size


def test_the_spa_links_its_icons_and_a_manifest_that_names_the_app_in_both_languages():
    page = (FRONTEND / "index.html").read_text()
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"', page):
        assert (FRONTEND / href).is_file(), href
    assert (FRONTEND / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    names = {}
    for language in ("en", "ko"):
        manifest = json.loads((FRONTEND / f"manifest.{language}.webmanifest").read_text())
        assert manifest["lang"] == language
        assert all((FRONTEND / icon["src"]).is_file() for icon in manifest["icons"])
        names[language] = manifest["name"]
    assert names == {"en": "Chatbot", "ko": "챗봇"}
    assert BACKEND_ICON.read_bytes() == (FRONTEND / "favicon.ico").read_bytes()

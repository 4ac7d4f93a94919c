"""The README's OpenAI-client examples (the SDK, LangChain, the Agents SDK) run as written, each as
its own Python process, against a real server and the mock: only the address is changed."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from conftest import module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = re.compile(r"## Any OpenAI client.*?(?=\n## )", re.S)
EXAMPLES = re.findall(r"```python\n(.*?)```", SECTION.search(README.read_text()).group(0), re.S)


server = module_api_server(workers=1, CHAT_DAILY_LIMIT="50")


def test_the_section_has_the_examples():
    assert len(EXAMPLES) >= 4
    assert any("langchain_openai" in code for code in EXAMPLES) and any("agents" in code for code in EXAMPLES)


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_a_readme_example_runs_as_written(server, number):
    key = api_key_create(user=UserFactory(), name="readme").key
    code = EXAMPLES[number].replace("http://127.0.0.1:8000", server.url)

    ran = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "KEY": key}, capture_output=True, text=True, timeout=60
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip()

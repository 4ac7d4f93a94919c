"""Token counting: OpenAI's encodings shipped in the repository (never downloaded), the estimate, the windows."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from chat.tokens import ENCODINGS_DIR, EncodingUnavailable, counter_for, estimate, load_encoding
from config.settings.chat import _context_windows

BACKEND = Path(__file__).resolve().parents[2]


def test_the_shipped_encodings_are_openais_and_count_as_tiktoken_does():
    o200k, cl100k = load_encoding("o200k_base"), load_encoding("cl100k_base")

    assert o200k.encode("hello world") == [24912, 2375]
    assert cl100k.encode("hello world") == [15339, 1917]
    assert o200k.decode(o200k.encode("부산에서 결혼식")) == "부산에서 결혼식"
    assert o200k.n_vocab == 200019 and cl100k.n_vocab == 100277
    assert (ENCODINGS_DIR / "LICENSE").read_text().startswith("MIT License")


def test_counting_never_touches_the_network_nor_tiktokens_download_cache(tmp_path):
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("no network in this test")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from chat.tokens import counter_for

        for model in ("gpt-4o-mini", "gpt-4.1-nano", "gpt-4", "gpt-3.5-turbo", "local-llama"):
            counter = counter_for(model)
            print(model, counter.by, counter.count("안녕하세요, hello world"))
        """
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    text = "안녕하세요, hello world"
    o200k, cl100k = len(load_encoding("o200k_base").encode(text)), len(load_encoding("cl100k_base").encode(text))
    assert result.stdout.split("\n")[:5] == [
        f"gpt-4o-mini o200k_base {o200k}",
        f"gpt-4.1-nano o200k_base {o200k}",
        f"gpt-4 cl100k_base {cl100k}",
        f"gpt-3.5-turbo cl100k_base {cl100k}",
        f"local-llama estimate {estimate(text)}",
    ]
    assert o200k < cl100k  # o200k_base reads Korean better: a different encoding, not a guess
    assert list(cache.iterdir()) == []


def test_a_damaged_or_missing_encoding_file_is_refused_not_used(tmp_path):
    (tmp_path / "o200k_base.tiktoken").write_bytes((ENCODINGS_DIR / "o200k_base.tiktoken").read_bytes()[:-10])

    with pytest.raises(EncodingUnavailable, match="hash"):
        load_encoding("o200k_base", directory=tmp_path)
    with pytest.raises(EncodingUnavailable):
        load_encoding("cl100k_base", directory=tmp_path)
    with pytest.raises(EncodingUnavailable):
        load_encoding("p50k_base")


def test_the_estimate_counts_hangul_as_a_token_a_character_and_latin_as_a_quarter():
    assert estimate("") == 0
    assert estimate("abcd" * 10) == 10
    assert estimate("안녕하세요") == 5
    # Close to the real count for both languages (the calibration corrects what is left).
    o200k = counter_for("gpt-4o-mini")
    texts = ("Plan a trip to Busan with the bus from Seoul and a hotel.", "서울에서 부산까지 버스로 가는 여행 계획")
    for text in texts:
        assert 0.5 <= estimate(text) / o200k.count(text) <= 2.5


def test_context_windows_come_from_the_table_and_the_environment(settings):
    assert _context_windows("")["gpt-4o-mini"] == 128_000
    windows = _context_windows("gpt-4o-mini=16000, local-llama=8192")
    assert (windows["gpt-4o-mini"], windows["local-llama"], windows["gpt-4.1-mini"]) == (16000, 8192, 1_047_576)
    for bad in ("gpt-4o-mini", "gpt-4o-mini=0", "=5", "x=lots"):
        with pytest.raises(ImproperlyConfigured, match="OPENAI_CONTEXT_WINDOWS"):
            _context_windows(bad)

    from chat.tokens import context_window

    settings.OPENAI_CONTEXT_WINDOWS = {"gpt-4o-mini": 1000, "gpt-4o": 2000}
    settings.OPENAI_DEFAULT_CONTEXT_WINDOW = 3000
    assert context_window("gpt-4o-mini-2024-07-18") == 1000  # a dated snapshot: its family's
    assert context_window("gpt-4o-2024-08-06") == 2000
    assert context_window("someone-elses-model") == 3000


def test_the_removed_character_budget_is_refused_at_start_up():
    env = {**os.environ, "CHAT_HISTORY_BUDGET": "24000", "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "CHAT_HISTORY_BUDGET (characters) was removed" in result.stderr

"""`python3 quickstart.py --port …` reaches `kehu up`, and mail links follow the served port."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kehu import cli

ROOT = Path(__file__).resolve().parents[4]


def _quickstart():
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_passes_port_and_host_to_kehu_up(monkeypatch):
    quickstart = _quickstart()
    commands = []
    # Stop at the process boundary: record the command instead of installing and serving.
    monkeypatch.setattr(quickstart, "ensure_venv", lambda extras: None)
    monkeypatch.setattr(quickstart, "run", lambda *args, env=None: commands.append(args))
    monkeypatch.setattr(sys, "argv", ["quickstart.py", "--port", "8301", "--host=localhost"])
    quickstart.main()
    assert [str(a) for a in commands[0][1:]] == ["up", "--port", "8301", "--host", "localhost"]


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--port", "eighty"], "--port takes a number"),
        (["--port"], "--port needs a value"),
        (["--colour", "red"], "Unknown option"),
    ],
)
def test_quickstart_refuses_bad_options_with_a_clear_message(arguments, says):
    done = subprocess.run(
        [sys.executable, str(ROOT / "quickstart.py"), *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert says in done.stderr


def test_mail_links_follow_the_port_kehu_serves_on(monkeypatch, tmp_path):
    monkeypatch.delenv("KEHU_BASE_URL", raising=False)
    cli._default_base_url("127.0.0.1", 8301)
    assert os.environ["KEHU_BASE_URL"] == "http://127.0.0.1:8301"
    # The settings (read by the web, worker and scheduler processes) take it.
    read = subprocess.run(
        [sys.executable, "-c", "import kehu.settings as s; print(s.KEHU_BASE_URL)"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SECRET_KEY": "x" * 50, "KEHU_DATA_DIR": str(tmp_path)},
    )
    assert read.stdout.strip() == "http://127.0.0.1:8301"


def test_an_explicit_base_url_wins_over_the_port(monkeypatch):
    monkeypatch.setenv("KEHU_BASE_URL", "https://kehu.example.com")
    cli._default_base_url("127.0.0.1", 8301)
    assert os.environ["KEHU_BASE_URL"] == "https://kehu.example.com"

#!/usr/bin/env python3
"""Kehu's two commands, needing nothing but Python 3.11+.

    python3 quickstart.py        set up .venv, migrate SQLite, load the demo, serve on :8000
    python3 quickstart.py --port 8301 --host 0.0.0.0
                                 the same on another port or address (passed to `kehu up`)
    python3 quickstart.py test   lint (ruff, import-linter), type check (mypy), migrations check,
                                 whole test suite (in parallel: one pytest-xdist worker per core)

Both create or refresh the virtual environment in .venv from pyproject.toml and the pinned
constraints.txt, and skip reinstalling when neither changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 — this file may be started by an older python3
        sys.exit("Kehu needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    fingerprint = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes()
        + (ROOT / "constraints.txt").read_bytes()
        + extras.encode()
    ).hexdigest()
    stamp = VENV / ".kehu-installed"
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    spec = f".[{extras}]" if extras else "."
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        "constraints.txt",
        "-e",
        spec,
    )
    stamp.write_text(fingerprint)


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium (with CJK fonts); install them when missing and allowed."""
    fonts = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if shutil.which("chromium") and fonts.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk")
        return
    sys.exit(
        "The browser tests need Chromium: install it (Debian/Ubuntu: sudo apt-get install chromium)."
    )


def ensure_redis() -> None:
    """The task-queue tests talk to a real Redis on 127.0.0.1:6379; start (or install) one
    when none answers and it is allowed."""
    import socket

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", 6379), timeout=1):
                return True
        except OSError:
            return False

    if answers():
        return
    if not shutil.which("redis-server") and os.geteuid() == 0 and shutil.which("apt-get"):
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", "redis-server")
    if shutil.which("redis-server"):
        run(
            "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
            "--save", "", "--appendonly", "no",
        )  # fmt: skip
        for _ in range(50):
            if answers():
                return
            time.sleep(0.1)
    sys.exit(
        "The task-queue tests need Redis on 127.0.0.1:6379: install it "
        "(Debian/Ubuntu: sudo apt-get install redis-server) or start the one you have."
    )


def up(options: list[str]) -> None:
    """``kehu up`` with the serving options given (``--port 8301``, ``--host=0.0.0.0``)."""
    passed: list[str] = []
    rest = list(options)
    while rest:
        option = rest.pop(0)
        name, has_value, value = option.partition("=")
        if name not in ("--port", "--host"):
            sys.exit(f"Unknown option {option!r}.\n{__doc__}")
        if not has_value:
            if not rest:
                sys.exit(f"{name} needs a value, e.g. --port 8301 or --host localhost.")
            value = rest.pop(0)
        if name == "--port" and not (value.isdigit() and 0 < int(value) < 65536):
            sys.exit(f"--port takes a number from 1 to 65535, not {value!r}.")
        passed += [name, value]
    ensure_venv("")
    run(BIN / "kehu", "up", *passed)


def test() -> None:
    ensure_venv("dev")
    ensure_chromium()
    ensure_redis()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kehu.test_settings"}
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "lint-imports")  # the layers and the acyclic modules of pyproject.toml
    run(BIN / "mypy")
    run(BIN / "kehu", "compilemessages", env=env)
    run(PYTHON, "-m", "django", "makemigrations", "--check", "--dry-run", env=env)
    run(BIN / "pytest", "-q", *test_workers(sys.argv[2:]), *sys.argv[2:], env=env)


def test_workers(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core this process may use (KEHU_TEST_WORKERS
    overrides; 0 or 1 runs in one process), unless the arguments already choose."""
    if "no:xdist" in args or any(a.startswith(("-n", "--numprocesses")) for a in args):
        return []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = int(os.environ.get("KEHU_TEST_WORKERS") or cores or 1)
    return ["-n", str(workers)] if workers > 1 else []


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    if command == "up":
        up(sys.argv[2:])
    elif command.startswith("--"):
        up(sys.argv[1:])
    elif command == "test":
        test()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

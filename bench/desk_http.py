"""HTTP helpers for ``bench/desk.py``: the server under test, a load generator, timed page reads."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time as clock
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


# --- the server ---------------------------------------------------------------------------------


class Server:
    """``kehu serve --workers N --no-with-worker`` (gunicorn, static files collected first)."""

    def __init__(self, *, port: int, workers: int, env: dict[str, str], log_path: Path) -> None:
        self.port, self.workers, self.env, self.log_path = port, workers, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kehu.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-with-worker",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = clock.monotonic() + 120
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                status, _body, _headers = request("GET", self.port, "/healthz")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            clock.sleep(0.5)
        raise RuntimeError(f"the server did not answer within 120 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: grandchildren of ``kehu serve`` (serve → master → workers)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        masters = children.get(self.process.pid, [])
        return [w for m in masters for w in children.get(m, [])]

    def worker_memory(self) -> list[dict[str, int]]:
        """VmRSS and VmHWM (peak) of each worker, in KiB."""
        found = []
        for pid in self.worker_pids():
            values = {"pid": pid}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                name, _sep, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
            found.append(values)
        return found


# --- requests -------------------------------------------------------------------------------------


def request(
    method: str,
    port: int,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, bytes, http.client.HTTPMessage]:
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.msg
    finally:
        conn.close()


@dataclass
class Session:
    """A signed-in browser: session and CSRF cookies, nothing else."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _remember(self, headers: http.client.HTTPMessage) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            name, _sep, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path: str) -> tuple[int, bytes]:
        status, body, headers = request("GET", self.port, path, headers=self._cookie_header())
        self._remember(headers)
        return status, body

    def login(self, username: str, password: str) -> None:
        status, page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"no login form ({status})")
        form = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        ).encode()
        status, _body, headers = request(
            "POST",
            self.port,
            "/accounts/login/",
            body=form,
            headers={
                **self._cookie_header(),
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
            },
        )
        self._remember(headers)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in as {username} failed ({status})")


def time_gets(
    fetch: Callable[[], tuple[int, bytes]], count: int, budget: float | None = None
) -> dict[str, Any]:
    """Up to ``count`` sequential timed calls, stopping once ``budget`` seconds are spent (at
    least one call); latencies in ms. A dropped connection counts as status 0."""
    latencies = []
    statuses: dict[int, int] = {}
    size = 0
    began_all = clock.perf_counter()
    for _ in range(count):
        began = clock.perf_counter()
        try:
            status, body = fetch()
        except (OSError, http.client.HTTPException):
            status, body = 0, b""
        latencies.append((clock.perf_counter() - began) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        size = len(body)
        if budget is not None and clock.perf_counter() - began_all > budget:
            break
    return {
        "n": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "statuses": statuses,
        "bytes": size,
    }


NEXT_LINK = re.compile(rb'<a href="\?([^"]*)" data-testid="next-page"')


def next_page(body: bytes) -> str | None:
    found = NEXT_LINK.search(body)
    return found.group(1).decode().replace("&amp;", "&") if found else None


# --- load ---------------------------------------------------------------------------------------


def create_load(
    *,
    port: int,
    tokens: Sequence[str],
    payloads: Callable[[int], dict[str, Any]],
    duration: float,
    concurrency: int,
) -> dict[str, Any]:
    """Closed-loop load: ``concurrency`` threads POST /api/desk/tickets for ``duration`` s."""
    results: list[tuple[float, float, int, str]] = []  # (start, latency ms, status, tag)
    lock = threading.Lock()
    stop_at = clock.perf_counter() + duration
    counter = iter(range(10**9))

    def run(worker: int) -> None:
        token = tokens[worker % len(tokens)]
        mine = []
        while True:
            began = clock.perf_counter()
            if began >= stop_at:
                break
            with lock:
                n = next(counter)
            payload = payloads(n)
            status, body, _headers = request(
                "POST",
                port,
                "/api/desk/tickets",
                body=json.dumps(payload).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            mine.append((began, (clock.perf_counter() - began) * 1000, status, payload["_tag"]))
            if status != 201 and len(mine) < 3:
                print(f"    POST answered {status}: {body[:300]!r}", flush=True)
        with lock:
            results.extend(mine)

    began = clock.perf_counter()
    threads = [threading.Thread(target=run, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = clock.perf_counter() - began
    ok = [r for r in results if r[2] == 201]
    statuses: dict[int, int] = {}
    for r in results:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    latencies = [r[1] for r in ok]
    by_tag: dict[str, dict[str, float]] = {}
    for tag in sorted({r[3] for r in ok}):
        mine = [r[1] for r in ok if r[3] == tag]
        by_tag[tag] = {
            "n": len(mine),
            "p50_ms": round(percentile(mine, 0.5), 1),
            "p99_ms": round(percentile(mine, 0.99), 1),
        }
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "created": len(ok),
        "statuses": statuses,
        "throughput_per_s": round(len(ok) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "by_department": by_tag,
    }

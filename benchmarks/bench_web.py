"""Page times while a batch runs: `senforms serve` with a 40-pupil register, a batch of 40 parent
letters as one merged PDF, and GET /, /register, /documents and the job's progress asked for over
and over while it runs. Prints the median and 95th percentile per page (idle, then during the batch,
and the ratio), whether every page answered in under 200 ms, and the batch's total time.

    python benchmarks/bench_web.py [--pupils 40] [--limit-ms 200]
"""

from __future__ import annotations

import argparse
import copy
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from senforms.model.values import upn_check_letter  # noqa: E402

EMAIL, PASSWORD = "senco@hollybrook-primary.example", "benchmark kettle meadow"
PAGES = ("/", "/register", "/documents")


def bigger_register(count: int, out: Path) -> Path:
    """samples/register.json with its pupils on SEN support copied to `count`, each with a new valid UPN."""
    register = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    on_support = [p for p in register["pupils"] if p["sen_status"] == "K"]
    pupils = []
    for number in range(count):
        pupil = copy.deepcopy(on_support[number % len(on_support)])
        body = f"88199992{number:04d}"
        pupil["upn"] = upn_check_letter(body) + body
        pupils.append(pupil)
    register["pupils"] = pupils
    out.write_text(json.dumps(register, ensure_ascii=False), encoding="utf-8")
    return out


class Browser:
    """A signed-in session: cookies kept, redirects not followed, every request timed (header names in lower case)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str, float]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                body, status, got = response.read(), response.status, {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as error:
            body, status, got = error.read(), error.code, {k.lower(): v for k, v in error.headers.items()}
        return status, got, body.decode("utf-8", "replace"), time.perf_counter() - start

    def token(self, path: str) -> str:
        status, _, body, _ = self.request(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', body)
        if status != 200 or not match:
            raise SystemExit(f"no form on {path} (HTTP {status})")
        return match.group(1)

    def post(self, path: str, fields: list[tuple[str, str]], token_from: str) -> tuple[int, dict[str, str], str, float]:
        data = urllib.parse.urlencode([("csrf_token", self.token(token_from)), *fields]).encode()
        return self.request(path, data, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, field: str, file: Path, token_from: str) -> tuple[int, dict[str, str], str, float]:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{self.token(token_from)}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file.name}\"\r\n"
                "Content-Type: application/json\r\n\r\n").encode() + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.request(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=40)
    parser.add_argument("--limit-ms", type=float, default=200.0)
    parser.add_argument("--idle-rounds", type=int, default=20)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

    with tempfile.TemporaryDirectory(prefix="senforms-bench-web-") as scratch:
        work = Path(scratch)
        data = work / "data"
        made = subprocess.run([sys.executable, "-m", "senforms", "users", "add", EMAIL, "--role", "senco", "--data", str(data)],
                              input=PASSWORD + "\n", text=True, capture_output=True, env=env, check=False)
        if made.returncode:
            raise SystemExit(made.stdout + made.stderr)
        register = bigger_register(args.pupils, work / "register-40.json")
        port = free_port()
        log = (work / "serve.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "senforms", "serve", "--port", str(port), "--data", str(data)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 60
            while True:
                try:
                    if browser.request("/health")[2] == "ok":
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("senforms serve did not start:\n" + (work / "serve.log").read_text(errors="replace"))
                time.sleep(0.2)

            status, headers, _, _ = browser.post("/sign-in", [("email", EMAIL), ("password", PASSWORD)], "/sign-in")
            if status != 302 and status != 303:
                raise SystemExit(f"signing in failed (HTTP {status})")
            status, _, body, upload_time = browser.upload("/register", "register", register, "/register")
            if status != 200 or "is now the register in use" not in body:
                raise SystemExit(f"the {args.pupils}-pupil register was not accepted (HTTP {status})")

            _, _, documents, _ = browser.request("/documents?kind=parent-notification")
            upns = re.findall(r'name="upn" value="([^"]+)"', documents)
            if len(upns) != args.pupils:
                raise SystemExit(f"the documents page lists {len(upns)} pupils, not {args.pupils}")

            for _ in range(3):  # warm up (templates compiled, connections made) before anything is counted
                for page in PAGES:
                    browser.request(page)
            idle: dict[str, list[float]] = {page: [] for page in PAGES}
            for _ in range(args.idle_rounds):
                for page in PAGES:
                    idle[page].append(browser.request(page)[3])

            fields = [("kind", "parent-notification"), *(("upn", u) for u in upns), ("on", "2026-11-23"), ("output", "pdf"),
                      ("year", ""), ("need", ""), ("status", "")]
            started = time.perf_counter()
            status, headers, _, _ = browser.post("/documents", fields, "/documents?kind=parent-notification")
            location = headers.get("location", "")
            match = re.search(r"/jobs/([^/?#]+)$", location)
            if status != 303 or not match:
                raise SystemExit(f"the batch did not start (HTTP {status}, {location!r})")
            job = match.group(1)
            progress_path = f"/jobs/{job}/progress"
            during: dict[str, list[float]] = {page: [] for page in (*PAGES, progress_path)}
            percents: list[int] = []
            slow: list[tuple[float, str, float, int]] = []
            finished_at = None
            while finished_at is None:
                for page in (*PAGES, progress_path):
                    status, headers, body, took = browser.request(page, headers={"HX-Request": "true"} if page == progress_path else None)
                    if status != 200:
                        raise SystemExit(f"{page} answered HTTP {status} during the batch")
                    during[page].append(took)
                    if took >= args.limit_ms / 1000:
                        slow.append((time.perf_counter() - started, page, took, percents[-1] if percents else 0))
                    if page == progress_path:
                        if "hx-redirect" in headers or "<progress" not in body:
                            finished_at = time.perf_counter()
                            break
                        value = re.search(r'<progress[^>]*value="(\d+)"', body)
                        if value:
                            percents.append(int(value.group(1)))
                if time.perf_counter() - started > 900:
                    raise SystemExit("the batch took more than 15 minutes")
            total = finished_at - started
            _, _, job_page, _ = browser.request(f"/jobs/{job}")
            made_count = re.search(r"(\d+) documents? made", job_page)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()

    limit = args.limit_ms / 1000
    print(f"senforms serve, {args.pupils}-pupil register (JSON, uploaded in {upload_time * 1000:.0f} ms), parent letters as one merged PDF")
    print(f"{'page':<28}{'idle median':>12}{'idle p95':>10}{'batch median':>14}{'batch p95':>11}{'batch max':>11}{'p95 ratio':>11}{'over limit':>12}{'n':>5}")
    every_under = True
    for page, times in during.items():
        name = "/jobs/<id>/progress" if page == progress_path else page
        idle_times = idle.get(page)
        every_under &= max(times) < limit
        idle_median = f"{statistics.median(idle_times) * 1000:.1f} ms" if idle_times else "–"
        idle_p95 = f"{percentile(idle_times, 0.95) * 1000:.1f} ms" if idle_times else "–"
        ratio = f"{percentile(times, 0.95) / percentile(idle_times, 0.95):.1f}×" if idle_times else "–"
        print(f"{name:<28}{idle_median:>12}{idle_p95:>10}{statistics.median(times) * 1000:>11.1f} ms{percentile(times, 0.95) * 1000:>8.1f} ms"
              f"{max(times) * 1000:>8.1f} ms{ratio:>11}{sum(t >= limit for t in times):>12}{len(times):>5}")
    p95_under = all(percentile(times, 0.95) < limit for times in during.values())
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"Every page's 95th percentile under {args.limit_ms:.0f} ms during the batch: {'yes' if p95_under else 'NO'}; every single request: {'yes' if every_under else 'NO'}")
    for at, page, took, percent in slow:
        print(f"  slow: {page} took {took * 1000:.0f} ms at {at:.1f} s into the batch (progress {percent}%)")
    distinct = sorted(set(percents))
    print(f"Progress bar values seen: {', '.join(map(str, distinct))} ({'moving' if len(distinct) > 1 else 'NOT moving'})")
    print(f"Batch: {made_count.group(1) if made_count else '?'} letters (one per parent) for {args.pupils} pupils in {total:.1f} s ({total / args.pupils:.2f} s a pupil)")
    print("(The pages are asked for back to back, with no pause: far more than a browser's one progress poll a second.)")


if __name__ == "__main__":
    main()

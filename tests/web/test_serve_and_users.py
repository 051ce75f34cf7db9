"""`senforms users …` and `senforms serve`, as a person runs them."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.web import datadir, store
from senforms.web.accounts import list_users


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_users_add_list_reset_and_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = run("users", "add", "senco@school.example", "--role", "senco", "--data", str(data), input="three random words\n")
    assert added.exit_code == 0 and "Account made for senco@school.example (senco)" in added.output
    assert run("users", "add", "office@school.example", "--role", "office", "--data", str(data), input="another long one\n").exit_code == 0
    listed = run("users", "list", "--data", str(data))
    assert listed.output.splitlines() == ["office@school.example\toffice", "senco@school.example\tsenco"]
    reset = run("users", "reset-password", "office@school.example", "--data", str(data), input="a brand new password\n")
    assert reset.exit_code == 0 and "signed out" in reset.output
    assert run("users", "remove", "office@school.example", "--data", str(data)).exit_code == 0
    database = store.connect(data / datadir.DATABASE)
    assert [u.email for u in list_users(database)] == ["senco@school.example"]
    database.close()
    if os.name == "posix":
        assert stat.S_IMODE(data.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "senco@school.example", "--role", "senco"], "short\n", "the password is too short (5 characters)"),
        (["users", "add", "not-an-email", "--role", "senco"], "long enough password\n", "'not-an-email' is not an email address"),
        (["users", "remove", "nobody@school.example"], None, "there is no account for nobody@school.example"),
        (["users", "reset-password", "nobody@school.example"], "long enough password\n", "there is no account for nobody@school.example"),
    ],
)
def test_users_mistakes_are_explained(tmp_path: Path, args: list[str], stdin: str | None, message: str) -> None:
    result = run(*args, "--data", str(tmp_path / "data"), input=stdin)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_the_last_senco_cannot_be_removed_and_an_account_not_made_twice(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    run("users", "add", "senco@school.example", "--role", "senco", "--data", data, input="three random words\n")
    twice = run("users", "add", "senco@school.example", "--role", "office", "--data", data, input="three random words\n")
    assert twice.exit_code == 1 and "already an account" in twice.output
    last = run("users", "remove", "senco@school.example", "--data", data)
    assert last.exit_code == 1 and "only senco account" in last.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(data: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    process = subprocess.Popen(
        [sys.executable, "-m", "senforms", "serve", "--port", str(port), "--data", str(data), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    return process, port


def wait_for_health(port: int, process: subprocess.Popen, host: str = "127.0.0.1") -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read() if process.stderr else "serve stopped")
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer")


def test_serve_answers_health_on_loopback_only_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, port = start_serve(tmp_path / "data")
    try:
        assert wait_for_health(port, process) == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.url.endswith("/sign-in?next=/")  # signed out: the sign-in page
            assert response.headers["X-Frame-Options"] == "DENY"
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == ["127.0.0.1"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert "open http://127.0.0.1:" in out
    assert "Traceback" not in err


def test_serve_on_another_address_warns_about_https(tmp_path: Path) -> None:
    process, port = start_serve(tmp_path / "data", "--host", "0.0.0.0")
    try:
        wait_for_health(port, process)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert "Put it behind HTTPS" in err


def listening_addresses(port: int) -> list[str]:
    """The IPv4 addresses something listens on at `port`, from Linux's /proc/net/tcp (and tcp6: none expected)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if len(address) == 8 else "ipv6:" + address)
    return found

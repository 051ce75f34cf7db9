"""One long-lived LibreOffice, driven over UNO, converting documents to PDF on request.

Run by a Python that can `import uno` (Debian's /usr/bin/python3 with python3-uno, or the Python
bundled with LibreOffice), never by senforms' own interpreter, so it imports only the standard
library and uno. senforms.pdf.pool starts it as the leader of its own process group; the soffice
it starts inherits that group, so the pool can kill both with one killpg.

Protocol, one JSON object per line:
  stdout first:  {"event": "ready", "version": "..."} or {"event": "error", "error": "..."}
  stdin:         {"id": 1, "src": "/abs/in.docx", "dst": "/abs/out.pdf"}
  stdout:        {"id": 1, "ok": true} or {"id": 1, "ok": false, "error": "...", "fatal": false}
"fatal" means LibreOffice itself has gone and this worker is exiting. End of stdin means stop.
Messages name no document contents; errors carry only LibreOffice's own message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

FLAGS = ("--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck")


class Worker:
    def __init__(self, soffice: str, profile: str, pipe: str, out, export_options: dict | None = None) -> None:
        self.export_options = export_options or {}
        self.soffice = soffice
        self.profile = profile
        self.pipe = pipe
        self.out = out
        self.proc: subprocess.Popen | None = None
        self.desktop: Any = None  # a UNO proxy once started; pyuno has no types
        self.lock = threading.Lock()

    # --- talking to the pool ------------------------------------------------------------------
    def send(self, message: dict) -> None:
        with self.lock:
            self.out.write(json.dumps(message) + "\n")
            self.out.flush()

    # --- LibreOffice lifetime -----------------------------------------------------------------
    def start(self, deadline: float) -> str:
        profile_url = uno.systemPathToFileUrl(os.path.realpath(self.profile))
        self.proc = subprocess.Popen(
            [self.soffice, "-env:UserInstallation=" + profile_url, *FLAGS, f"--accept=pipe,name={self.pipe};urp;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # it chatters ("failed to launch javaldx"); keep stdout for us
            stderr=subprocess.DEVNULL,
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"LibreOffice exited during start-up (exit status {self.proc.returncode})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("LibreOffice did not start in time") from None
                time.sleep(0.1)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        try:
            provider = ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.configuration.ConfigurationProvider", ctx
            )
            node = provider.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                (prop("nodepath", "/org.openoffice.Setup/Product"),),
            )
            return str(node.getByName("ooSetupVersionAboutBox"))
        except Exception:  # the version is only informative
            return "unknown"

    def alive(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            self.desktop.getCurrentComponent()  # any cheap call: fails once the bridge is gone
        except Exception:
            return False
        return True

    def stop(self) -> None:
        """Ask LibreOffice to quit; if it will not, kill everything else in our process group."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                if self.desktop is not None:
                    self.desktop.terminate()
            except Exception:
                pass  # DisposedException is the normal answer: it quit before replying
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_rest_of_group()
        shutil.rmtree(self.profile, ignore_errors=True)
        remove_pipes(self.profile, self.pipe)

    # --- the work -----------------------------------------------------------------------------
    def convert(self, src: str, dst: str) -> None:
        load = (
            prop("Hidden", True),
            prop("ReadOnly", True),
            prop("MacroExecutionMode", 0),  # NEVER_EXECUTE: a document's macros never run
            prop("UpdateDocMode", 0),  # NO_UPDATE: no fetching of linked content
        )
        doc = self.desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
        if doc is None:
            raise ValueError("LibreOffice could not open it")
        try:
            # FilterData is a sequence inside a property: pyuno needs it typed, and then uno.invoke.
            filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(prop(k, v) for k, v in self.export_options.items()))
            store = (prop("FilterName", "writer_pdf_Export"), prop("FilterData", filter_data))
            uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), uno.Any("[]com.sun.star.beans.PropertyValue", store)))
        finally:
            try:
                doc.close(True)
            except Exception:
                try:
                    doc.dispose()
                except Exception:
                    pass


def prop(name: str, value) -> PropertyValue:
    item = PropertyValue()
    item.Name = name
    item.Value = value
    return item


def describe(exc: BaseException) -> str:
    """LibreOffice's exception text without its source-file locations."""
    text = getattr(exc, "Message", "") or str(exc) or type(exc).__name__
    text = text.split(" at ./")[0].split(" at /")[0].strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def kill_rest_of_group() -> None:
    # Everything in our group but us: SIGTERM is ignored here, so we survive to clean up.
    # (On Windows the pool's taskkill /T does this job.)
    if os.name == "nt":
        return
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgrp(), signal.SIGTERM)
        time.sleep(2)
    except OSError:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def remove_pipes(profile: str, pipe: str) -> None:
    # Same names as senforms.pdf.soffice.pipe_paths (duplicated: this script cannot import senforms).
    if os.name == "nt":
        return
    url = uno.systemPathToFileUrl(os.path.realpath(profile))
    digest = hashlib.md5(url.encode("utf-16-le")).digest()
    uid = os.getuid()
    for name in (f"OSL_PIPE_{uid}_SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}", f"OSL_PIPE_{uid}_{pipe}"):
        try:
            os.unlink(os.path.join("/tmp", name))
        except OSError:
            pass


def watch_parent(worker: Worker) -> None:
    """If senforms dies without closing our stdin (SIGKILL), do not outlive it."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            try:
                kill_rest_of_group()
                shutil.rmtree(worker.profile, ignore_errors=True)
                remove_pipes(worker.profile, worker.pipe)
            finally:
                os._exit(3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--soffice", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument("--export-options", default="{}", help="JSON: the PDF export filter's options (name → boolean)")
    args = parser.parse_args()

    # Keep the real stdout for the protocol and point fd 1 at stderr, so that nothing printed by
    # native code (UNO, LibreOffice libraries) can corrupt a JSON line.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    worker = Worker(args.soffice, args.profile, args.pipe, out, json.loads(args.export_options))
    if os.name != "nt":
        threading.Thread(target=watch_parent, args=(worker,), daemon=True).start()
    try:
        try:
            version = worker.start(time.monotonic() + args.startup_timeout)
        except Exception as exc:
            worker.send({"event": "error", "error": describe(exc)})
            return 2
        worker.send({"event": "ready", "version": version})
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            try:
                worker.convert(job["src"], job["dst"])
            except Exception as exc:
                fatal = not worker.alive()
                error = "LibreOffice stopped unexpectedly" if fatal else describe(exc)
                worker.send({"id": job["id"], "ok": False, "error": error, "fatal": fatal})
                if fatal:
                    return 3
            else:
                worker.send({"id": job["id"], "ok": True})
        return 0
    finally:
        worker.stop()


if __name__ == "__main__":
    sys.exit(main())

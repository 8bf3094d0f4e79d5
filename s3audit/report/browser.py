"""A headless Chromium driven over the DevTools protocol on a pipe: print a page to PDF, and (for the
browser tests and the report benchmark) measure, query and photograph it.

Chromium is an optional program, not a Python dependency: ``find_chromium`` looks for it (``$S3AUDIT_CHROMIUM``
first, then the usual names on ``PATH``) and ``MissingBrowser`` says which names were tried. The protocol
runs over ``--remote-debugging-pipe`` (messages of JSON ended by a NUL byte on file descriptors 3 and 4), so
nothing listens on a port and nothing else is needed. The browser gets its own temporary profile and no
network: every host name resolves to nothing.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
ENV = "S3AUDIT_CHROMIUM"


class MissingBrowser(Exception):
    """No Chromium to run."""


class BrowserError(Exception):
    """Chromium failed, answered with an error, or took too long."""


def find_chromium() -> str | None:
    explicit = os.environ.get(ENV)
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def missing_message(what: str) -> str:
    return (f"{what} needs a headless Chromium and none was found (looked for {', '.join(NAMES)} on PATH, and "
            f"${ENV}); install one (Debian, Ubuntu: apt-get install chromium) or set {ENV} to its path")


class Browser:
    """One headless Chromium with one page (``with Browser() as b: b.open(url); b.evaluate(js)``)."""

    def __init__(self, executable: str | None = None, *, width: int = 1280, height: int = 900,
                 timeout: float = 60.0):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise MissingBrowser(missing_message("this"))
        self.timeout = timeout
        self.width, self.height = width, height
        self.console: list[str] = []  # console messages and page errors, as "level: text"
        self._id = 0
        self._buffer = b""
        self._events: list[dict] = []
        self._profile = tempfile.mkdtemp(prefix="s3audit-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        args = [self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},{height}", "about:blank"]

        def wire() -> None:  # in the child: the protocol's descriptors are 3 (commands in) and 4 (answers out)
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        try:
            # close_fds=False: the descriptors wire() makes must survive; every other one of ours is
            # close-on-exec (Python's default), so the browser inherits nothing else
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=wire)
        except OSError as exc:
            shutil.rmtree(self._profile, ignore_errors=True)
            os.close(self._to_child)
            os.close(self._from_child)
            raise MissingBrowser(f"cannot run {self.executable}: {exc.strerror or exc}") from None
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    # ---- the protocol ----
    def _write(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            n = os.write(self._to_child, data)
            data = data[n:]

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer within {self.timeout:.0f} s")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium exited")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def _call(self, method: str, params: dict | None = None, session: str | None = None,
              timeout: float | None = None) -> dict:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write(message)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            self._event(answer)

    def _event(self, message: dict) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append(f"{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            self.console.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append(f"{entry.get('level')}: {entry.get('text')}")
        elif method:
            self._events.append(message)

    def send(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        """A command to the page; its result."""
        return self._call(method, params, self._session, timeout)

    def wait_for(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self._events):
                if e.get("method") == method:
                    return self._events.pop(i)
            self._event(self._read(deadline))

    # ---- what callers use ----
    def open(self, url: str) -> float:
        """Load ``url`` and wait for its load event; the seconds it took."""
        self._events.clear()
        start = time.perf_counter()
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired")
        return time.perf_counter() - start

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result.get("result", {}).get("value")

    def media(self, media: str = "") -> None:
        """Emulate ``print`` (or, with "", the screen again)."""
        self.send("Emulation.setEmulatedMedia", {"media": media})

    def pdf(self) -> bytes:
        """The page printed as Chromium prints it: its print style sheet, its @page size, backgrounds."""
        result = self.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                               "displayHeaderFooter": False}, timeout=max(self.timeout, 120))
        return base64.b64decode(result["data"])

    def screenshot(self, full_page: bool = True) -> bytes:
        """A PNG of the viewport, or of the whole page."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": max(size[0], self.width), "height": size[1], "scale": 1})
        return base64.b64decode(self.send("Page.captureScreenshot", params, timeout=max(self.timeout, 120))["data"])

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                try:
                    self._write({"id": self._id + 1, "method": "Browser.close"})
                except OSError:
                    pass
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def print_pdf(page: str, executable: str | None = None) -> bytes:
    """An HTML page (the text) printed to PDF by a headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="s3audit-pdf-") as tmp:
        path = os.path.join(tmp, "report.html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        with Browser(executable) as b:
            b.open("file://" + path)
            return b.pdf()

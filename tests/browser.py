"""Render a page in headless Chromium and report what a person would see go wrong: console
errors, uncaught exceptions, failed or outside requests, and what the page holds.

It speaks the DevTools protocol over Chromium's ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON): no driver package, only the browser binary."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PROBE = """JSON.stringify({
  svgs: Array.from(document.querySelectorAll('figure.plot svg')).filter(
      s => s.getBoundingClientRect().width > 50 && s.getBoundingClientRect().height > 50).length,
  plots: Array.from(document.querySelectorAll('figure.plot')).map(f => f.dataset.plot),
  text: document.body ? document.body.innerText.length : 0,
  frames: document.querySelectorAll('iframe').length,
  height: document.documentElement.scrollHeight})"""


def find_chromium() -> Optional[str]:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Rendered:
    page: dict
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int):
        self.w, self.r, self.buf, self.next_id, self.events = write_fd, read_fd, b"", 0, []

    def recv(self, timeout: float = 60.0) -> dict:
        while b"\0" not in self.buf:
            if not select.select([self.r], [], [], timeout)[0]:
                raise TimeoutError(f"chromium said nothing for {timeout:.0f} s")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: Optional[dict] = None, session: Optional[str] = None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self.recv()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)


def _errors(events: list[dict]) -> tuple[list[str], list[str]]:
    errors, requests = [], []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console: " + json.dumps(p.get("args", []))[:300])
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            requests.append(p["request"]["url"])
    return errors, requests


def render(path: Path, chromium: str, width: int = 1280, height: int = 900) -> Rendered:
    """Load ``path`` and wait for its load event; the page's facts, errors and a
    full-page screenshot."""
    to_browser, from_browser = os.pipe(), os.pipe()
    profile = tempfile.mkdtemp(prefix="xlie-chromium-")
    r3, w4 = to_browser[0], from_browser[1]

    def pipes_on_3_and_4():  # in the child: the protocol's fixed descriptors
        a, b = fcntl.fcntl(r3, fcntl.F_DUPFD, 10), fcntl.fcntl(w4, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--remote-debugging-pipe", f"--user-data-dir={profile}",
         f"--window-size={width},{height}", "about:blank"],
        preexec_fn=pipes_on_3_and_4, close_fds=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(r3)
    os.close(w4)
    pipe = _Pipe(to_browser[1], from_browser[0])
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            pipe.call(f"{domain}.enable", session=sid)
        pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=sid)
        while not any(e.get("method") == "Page.loadEventFired" for e in pipe.events):
            pipe.events.append(pipe.recv())
        probe = pipe.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                          session=sid)
        page = json.loads(probe["result"]["value"])
        shot = pipe.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True}, session=sid)["data"]
        errors, requests = _errors(pipe.events)
        try:
            pipe.call("Browser.close")
        except RuntimeError:
            pass
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(to_browser[1])
        os.close(from_browser[0])
        shutil.rmtree(profile, ignore_errors=True)
    return Rendered(page, errors, requests, base64.b64decode(shot))

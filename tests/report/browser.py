"""Headless Chromium driven over the DevTools protocol, to look at report.html as laid out.

A screenshot alone cannot say whether a label was cut or a badge spills out of its
cell; the laid-out page can. So the browser is started with a DevTools port and the
test asks it, over the protocol's WebSocket (aiohttp's client), to set a viewport
width, load the page, measure elements (``Runtime.evaluate``) and capture a PNG.
The page's own CSP forbids scripts; DevTools evaluation is the browser inspecting
the page from outside, which the CSP does not govern.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium")


class Browser:
    """One headless Chromium process with one page, used from synchronous tests."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.loop = asyncio.new_event_loop()
        self.session: aiohttp.ClientSession | None = None
        self.socket: Any = None
        self._ids = itertools.count(1)

    def __enter__(self) -> Browser:
        log = (self.profile.parent / f"{self.profile.name}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                CHROMIUM or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--force-color-profile=srgb",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        try:
            self.loop.run_until_complete(self._connect(self._port()))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self._disconnect())
        self.loop.close()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            with contextlib.suppress(ProcessLookupError):  # helpers (zygote, renderer) share the group
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _port(self) -> int:
        """Chromium writes the port it chose into the profile once it listens."""
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            assert self.proc is not None and self.proc.poll() is None, "chromium exited before it listened"
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port within 60 s")

    async def _connect(self, port: int) -> None:
        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in await response.json() if t["type"] == "page"]
        self.socket = await self.session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)

    async def _disconnect(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.session is not None:
            await self.session.close()

    async def _send(
        self, method: str, params: dict[str, Any] | None = None, wait_event: str | None = None
    ) -> dict[str, Any]:
        ident = next(self._ids)
        await self.socket.send_str(json.dumps({"id": ident, "method": method, "params": params or {}}))
        result: dict[str, Any] | None = None
        while result is None or (wait_event is not None):
            message = json.loads((await asyncio.wait_for(self.socket.receive(), 60)).data)
            if message.get("id") == ident:
                assert "error" not in message, message["error"]
                result = message["result"]
            elif wait_event is not None and message.get("method") == wait_event:
                wait_event = None
        return result

    def call(self, method: str, params: dict[str, Any] | None = None, wait_event: str | None = None) -> Any:
        return self.loop.run_until_complete(self._send(method, params, wait_event))

    def open(self, url: str, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url}, wait_event="Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def screenshot(self, full_page: bool = False) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])

"""Run code in a kernel on a hub user's server, through the hub's proxy (REST + websocket).

A small client of Jupyter Server's kernel API for scripts that act as many
students at once (``benchmarks/class_load.py``) and for the end-to-end test's
look inside a student's kernel (``tests/browser/test_hub.py``). It authenticates
with the hub service token of :class:`deploy.hub.launch.Hub` (scope
``access:servers``), speaks the websocket's JSON message format (no
subprotocol, so Jupyter Server uses its default JSON framing), and needs only
tornado, which Jupyter Server itself depends on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

__all__ = ["ExecutionResult", "KernelError", "RemoteKernel", "run_code"]


class KernelError(RuntimeError):
    """The code raised in the kernel (the message holds its traceback)."""


@dataclass
class ExecutionResult:
    """What one ``execute_request`` produced, and how long until the kernel was idle again."""

    stdout: str
    seconds: float
    messages: int


def _frame_to_message(frame: str | bytes) -> dict[str, Any]:
    """Decode one websocket frame: JSON text, or Jupyter Server's binary framing (offsets, JSON, buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 * (i + 1) : 4 * (i + 2)], "big") for i in range(count)]
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode("utf-8"))


@dataclass
class RemoteKernel:
    """One kernel on ``<hub>/user/<user>/``: start it, execute code, shut it down."""

    hub_url: str
    user: str
    token: str
    kernel_id: str = ""
    _ws: WebSocketClientConnection | None = field(default=None, repr=False)
    _session: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False)

    @property
    def _base(self) -> str:
        return f"{self.hub_url.rstrip('/')}/user/{self.user}/api/kernels"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    async def start(self, timeout: float = 180) -> RemoteKernel:
        """Start a python3 kernel (REST) and open its channels (websocket)."""
        client = AsyncHTTPClient()
        response = await client.fetch(
            HTTPRequest(
                self._base,
                method="POST",
                headers=self._headers(),
                body=json.dumps({"name": "python3"}),
                request_timeout=timeout,
            )
        )
        self.kernel_id = json.loads(response.body)["id"]
        ws_url = f"{self._base}/{self.kernel_id}/channels?session_id={self._session}".replace("http", "ws", 1)
        self._ws = await websocket_connect(
            HTTPRequest(ws_url, headers=self._headers(), request_timeout=timeout), max_message_size=256 * 2**20
        )
        return self

    async def execute(self, code: str, timeout: float = 300) -> ExecutionResult:
        """Run ``code``; return its stdout and the seconds until the kernel went idle. Raises KernelError."""
        assert self._ws is not None, "start() first"
        msg_id = uuid.uuid4().hex
        request = {
            "header": {
                "msg_id": msg_id,
                "msg_type": "execute_request",
                "username": self.user,
                "session": self._session,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": False,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        started = time.perf_counter()
        await self._ws.write_message(json.dumps(request))
        stdout: list[str] = []
        error: str | None = None
        idle = replied = False
        seen = 0
        deadline = started + timeout
        while not (idle and replied):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.user}: no reply within {timeout:.0f} s to {code[:60]!r}")
            frame = await asyncio.wait_for(self._ws.read_message(), remaining)
            if frame is None:
                raise ConnectionError(f"{self.user}: kernel websocket closed")
            message = _frame_to_message(frame)
            seen += 1
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            content = message.get("content", {})
            if kind == "stream" and content.get("name") == "stdout":
                stdout.append(content.get("text", ""))
            elif kind == "error":
                error = "\n".join(content.get("traceback", [])) or f"{content.get('ename')}: {content.get('evalue')}"
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
        seconds = time.perf_counter() - started
        if error is not None:
            raise KernelError(f"{self.user}: {error}")
        return ExecutionResult("".join(stdout), seconds, seen)

    async def shutdown(self) -> None:
        """Close the channels and delete the kernel (errors ignored: the server may be going away)."""
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self.kernel_id:
            with contextlib.suppress(Exception):  # best effort: the server may be going away
                await AsyncHTTPClient().fetch(
                    HTTPRequest(f"{self._base}/{self.kernel_id}", method="DELETE", headers=self._headers())
                )
            self.kernel_id = ""


def run_code(hub_url: str, user: str, token: str, code: str, timeout: float = 180) -> str:
    """Start a fresh kernel on ``user``'s server, run ``code``, shut the kernel down; return stdout.

    Runs its own event loop in a worker thread, so it also works where one is
    already running (Playwright's sync API keeps one in the main thread).
    """

    async def go() -> str:
        kernel = await RemoteKernel(hub_url, user, token).start(timeout)
        try:
            return (await kernel.execute(code, timeout)).stdout
        finally:
            await kernel.shutdown()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()

"""A real `wearhouse serve` in a child process, for the HTTP tests: start, SIGKILL, restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from wearhouse.auth.tokens import Role, TokenStore
from wearhouse.settings import Settings


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_token(home: Path, role: Role, user_id: str | None = None) -> str:
    """A new bearer token of `role` in the home's token store."""
    token, _ = TokenStore.for_settings(Settings(home=home)).create(role, user_id)
    return token


def _command(port: int, args: list[str]) -> list[str]:
    script = Path(sys.executable).with_name("wearhouse")
    found = str(script) if script.exists() else shutil.which("wearhouse")
    if found is None:
        return [sys.executable, "-m", "wearhouse.cli.main", "serve", "--port", str(port), *args]
    return [found, "serve", "--port", str(port), *args]


class ServerProcess:
    """`wearhouse serve` on 127.0.0.1 for one home; its output is appended to <home>/server.log."""

    def __init__(
        self,
        home: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ):
        self.home = home
        self.args = args or []
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "server.log"
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("WEARHOUSE_")}
        self._env |= {"WEARHOUSE_HOME": str(home), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and return once /health answers 200."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                _command(self.port, self.args), env=self._env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"the server did not answer /health in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, whatever was in flight is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """SIGTERM and wait for a graceful exit (SIGKILL after 15 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log(self, tail: int = 4000) -> str:
        """The end of the server's output, for failure messages."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-tail:]

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

"""A local stand-in for Twilio's REST API: Stoplight Prism serving Twilio's own OpenAPI
description of the 2010 API (from the npm package ``@twilio/cli-core``).

Prism validates requests against the description and, in dynamic mode (``-d``), answers
with generated data, so each create returns a fresh SID. Twilio's description types some
form parameters as arrays (``StatusCallbackEvent``…), which Prism then rejects when sent as
repeated form keys — the way Twilio and its client send them. ``relaxed_spec`` writes a copy
of the description with those request-body array properties left untyped.

Run it: ``python -m telephony.prism --port 4010`` (Procfile.dev does); tests start it with
``PrismServer`` (tests/telephony/conftest.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
PRISM_BIN = NODE_MODULES / ".bin" / "prism"
TWILIO_SPEC = (
    NODE_MODULES
    / "@twilio"
    / "cli-core"
    / "src"
    / "services"
    / "twilio-api"
    / "twilio_api_v2010.json"
)
STARTUP_TIMEOUT_SECONDS = 90.0


def _relax_arrays(node: Any) -> int:
    """Untype every array-valued property below ``node``; return how many were relaxed."""
    relaxed = 0
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, schema in properties.items():
                if isinstance(schema, dict) and schema.get("type") == "array":
                    properties[name] = {"description": schema.get("description", "")}
                    relaxed += 1
        for value in node.values():
            relaxed += _relax_arrays(value)
    elif isinstance(node, list):
        for value in node:
            relaxed += _relax_arrays(value)
    return relaxed


def relaxed_spec(destination: Path, source: Path = TWILIO_SPEC) -> tuple[Path, int]:
    """Write Twilio's description with request-body array properties relaxed; return the
    path and the number of properties relaxed. Response schemas are left alone."""
    spec = json.loads(source.read_text())
    relaxed = 0
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                relaxed += _relax_arrays(operation["requestBody"])
    destination.write_text(json.dumps(spec))
    return destination, relaxed


class PrismServer:
    """Prism on ``127.0.0.1:port`` for the life of the ``with`` block."""

    def __init__(self, port: int, *, log_path: Path | None = None) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> PrismServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="prism-")
        spec, _ = relaxed_spec(Path(self._tmp.name) / "twilio_api_v2010.json")
        log = open(self.log_path or os.devnull, "wb")  # noqa: SIM115 (lives with the process)
        self._process = subprocess.Popen(
            [str(PRISM_BIN), "mock", "-d", "-h", "127.0.0.1", "-p", str(self.port), str(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Prism exited with status {self._process.returncode}")
            try:
                urllib.request.urlopen(self.base_url + "/2010-04-01/Accounts.json", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # Prism answered (401 without credentials): it is up.
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"Prism did not answer on port {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve Twilio's REST API locally with Prism.")
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args(argv)
    destination = Path(tempfile.gettempdir()) / f"coverage-prism-{args.port}.json"
    spec, relaxed = relaxed_spec(destination)
    print(f"Prism: Twilio API on http://127.0.0.1:{args.port} ({relaxed} array properties relaxed)")
    command = [str(PRISM_BIN), "mock", "-d", "-h", "127.0.0.1", "-p", str(args.port), str(spec)]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()

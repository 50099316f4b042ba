"""A real Celery worker process for end-to-end tests, on the test broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def celery_worker(*, queue: str, env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A solo-pool worker consuming ``queue`` with ``env``, stopped when the block ends."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coverage_platform",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)

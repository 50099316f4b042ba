"""Reads wrk's --latency output for the three runs and prints the figures for README.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * UNIT_MS[unit]


def figures(path: Path) -> dict[str, float]:
    out = path.read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "requests": requests, "errors": errors}


def main() -> None:
    directory = Path(sys.argv[1])
    runs = {name: figures(directory / f"{name}.txt") for name in ("healthz", "incoming", "status")}
    ceiling = runs["healthz"]["rps"]
    print("| run | req/s | p50 ms | p99 ms | requests | errors | ratio to /healthz |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = {
        "healthz": "(a) /healthz",
        "incoming": "(b) incoming-call webhook",
        "status": "(c) call status callback",
    }
    for name, run in runs.items():
        print(
            f"| {labels[name]} | {run['rps']:.0f} | {run['p50']:.2f} | {run['p99']:.2f} "
            f"| {run['requests']:.0f} | {run['errors']:.0f} | {run['rps'] / ceiling:.2f} |"
        )


if __name__ == "__main__":
    main()

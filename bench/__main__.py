"""`python -m bench [NAME...]`: run every benchmark (or the named ones), one after another.

Exits non-zero when a benchmark could not measure (a step failed or a page errored);
a missed target is reported in the results, not turned into a failure.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType, ModuleType

from . import catalog, certificates, checkout, lighthouse, load, roster, scaling
from .common import Options

BENCHMARKS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (catalog, lighthouse, checkout, roster, certificates, load, scaling)
}


def _parse(argv: list[str]) -> tuple[list[str], Options]:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument(
        "--duration", type=int, default=defaults.duration, help="seconds of load per URL per round"
    )
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument(
        "--warmup",
        type=int,
        default=defaults.warmup,
        help="seconds of load per URL before measuring",
    )
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="gunicorn sync workers"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    options = Options(
        rounds=args.rounds,
        duration=args.duration,
        connections=args.connections,
        warmup=args.warmup,
        workers=args.workers,
    )
    return args.names or list(BENCHMARKS), options


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so every benchmark's cleanup (finally) still runs."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    names, options = _parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    status = 0
    try:
        for name in names:
            status = max(status, BENCHMARKS[name].run(options))
    except KeyboardInterrupt:
        print("bench: interrupted (server stopped, scratch database dropped)", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())

"""``python -m sheets_emulator --port 8765 --data DIR [fault switches]``."""

from __future__ import annotations

import argparse
import logging
import sys

from .faults import FaultConfig
from .model import DEFAULT_ACCOUNT_EMAIL, StateFileError
from .server import serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sheets_emulator",
        description="Offline emulator of the Google Sheets API v4 and Drive v3 (127.0.0.1 only).",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free port)")
    parser.add_argument("--data", metavar="DIR", help="directory to persist state in (state.json)")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT_EMAIL, help="e-mail of the emulated signed-in account")
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--quota-per-minute", type=int, metavar="N", help="answer 429 past N requests per rolling minute")
    faults.add_argument("--error-rate", type=float, default=0.0, metavar="P", help="probability of a 500/503")
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P", help="probability of dropping the connection")
    faults.add_argument("--latency-ms", type=float, default=0.0, metavar="MS", help="delay added to every request")
    faults.add_argument("--seed", type=int, help="seed for reproducible faults")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    try:
        config = FaultConfig(
            quota_per_minute=args.quota_per_minute,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            latency_ms=args.latency_ms,
            seed=args.seed,
        )
        config.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        serve(args.port, args.data, config, account_email=args.account)
    except StateFileError as exc:
        print(f"error: damaged state file {exc.path}: {exc.reason} (repair or remove it)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

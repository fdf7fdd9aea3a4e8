"""The ``evaluator`` command line (thin: parse, call, render): ``main`` and the parser;
each command group lives in its own module and adds its commands here.

Exit codes: 0 success; 2 bad input (every problem printed, located, in English and
Chinese); 1 an internal error (one line; ``EVALUATOR_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from evaluator.cli import backup as cli_backup
from evaluator.cli import calendar as cli_calendar
from evaluator.cli import contracts as cli_contracts
from evaluator.cli import database as cli_database
from evaluator.cli import decisions as cli_decisions
from evaluator.cli import demo as cli_demo
from evaluator.cli import gaps as cli_gaps
from evaluator.cli import registers as cli_registers
from evaluator.cli import reliability as cli_reliability
from evaluator.cli import reports as cli_reports
from evaluator.cli import scoring as cli_scoring
from evaluator.cli import sensitivity as cli_sensitivity
from evaluator.cli import server as cli_server
from evaluator.cli import workbook as cli_workbook
from evaluator.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK
from evaluator.errors import EvaluatorError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return args.handler(args) or EXIT_OK
    except EvaluatorError as exc:
        print_problems(exc)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted (已中断)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback to a user
        if os.environ.get("EVALUATOR_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (内部错误；设置 EVALUATOR_DEBUG=1 查看详情)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def print_problems(exc: EvaluatorError) -> None:
    print(f"{exc.title_en} ({exc.title_zh}): {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluator",
        description="Third-party evaluation scoring for purchased social work services (社工站第三方评估)",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    cli_scoring.add_commands(sub)  # check-system, score, score-table
    cli_demo.add_commands(sub)  # demo
    cli_database.add_commands(sub)  # migrate, audit
    cli_backup.add_commands(sub)  # backup, restore
    cli_server.add_commands(sub)  # serve, user
    cli_registers.add_commands(sub)  # import, registers, metrics, rounds
    cli_gaps.add_commands(sub)  # gaps
    cli_decisions.add_commands(sub)  # findings, decide, tranches
    cli_contracts.add_commands(sub)  # contract (its report schedule)
    cli_calendar.add_commands(sub)  # calendar, appeal-window
    cli_sensitivity.add_commands(sub)  # sensitivity
    cli_reliability.add_commands(sub)  # reliability
    cli_workbook.add_commands(sub)  # workbook export|import
    cli_reports.add_commands(sub)  # report station|contract|summary
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

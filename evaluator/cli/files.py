"""Output files and progress for the command line: every file is written whole or not at
all; long commands show their stages on a terminal."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from evaluator.errors import InvalidInput, Problem


def check_suffix(path: Path, allowed: set[str]) -> None:
    if path.suffix.lower() not in allowed:
        shown = " or ".join(sorted(allowed))
        raise InvalidInput(
            Problem(f"output must end in {shown}", f"输出文件须以 {shown} 结尾", file=str(path))
        )


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename: never a partial file."""
    if not path.parent.exists():
        raise InvalidInput(
            Problem("the output directory does not exist", "输出目录不存在", file=str(path))
        )
    fd, tmp = tempfile.mkstemp(prefix=".evaluator-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Stages:
    """A progress bar over the stages of a long command (on a terminal only)."""

    def __init__(self, names: list[str]):
        self.names = names
        self.bar = None

    def __enter__(self):
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=len(self.names), desc=self.names[0], file=sys.stderr, leave=False)
        return self.advance

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            done = int(self.bar.n)
            if done < len(self.names):
                self.bar.set_description(self.names[done])

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

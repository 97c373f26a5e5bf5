#!/usr/bin/python3
"""Strip notebooks for committing: no outputs, no execution counts, stable metadata.

Usage (Debian's Python, which has nbformat):

    /usr/bin/python3 notebooks/strip.py                 # every notebooks/*.ipynb, in place
    /usr/bin/python3 notebooks/strip.py --check         # exit 1 and list notebooks that need stripping
    /usr/bin/python3 notebooks/strip.py path/to/nb.ipynb ...

For every code cell: outputs emptied, execution_count null, and the run-time bookkeeping that
nbclient and Jupyter add to cell metadata (`execution` timestamps, `collapsed`, `scrolled`)
removed; tags and other cell metadata stay. Notebook metadata keeps its kernelspec (set to the
project's `ttt-tslab` kernel when missing) and gets one fixed `language_info`, replacing what a
kernel wrote there (tslab reports a stale TypeScript version, which would otherwise show up in
every diff). Running it twice changes nothing the second time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import nbformat
except ImportError as missing:  # pragma: no cover - depends on the machine
    sys.stderr.write(f"strip.py: {missing}. Run it with /usr/bin/python3 after apt-get install python3-nbformat\n")
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent

KERNELSPEC = {"display_name": "TypeScript (ttt-speech, tslab)", "language": "typescript", "name": "ttt-tslab"}
LANGUAGE_INFO = {
    "codemirror_mode": {"mode": "typescript", "name": "javascript", "typescript": True},
    "file_extension": ".ts",
    "mimetype": "text/typescript",
    "name": "typescript",
}
RUNTIME_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def strip(nb) -> None:
    """Strips one notebook in memory."""
    for cell in nb.cells:
        for key in RUNTIME_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata["kernelspec"] = nb.metadata.get("kernelspec") or dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    nb.metadata.pop("widgets", None)


def stripped_text(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    strip(nb)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb and notebooks/assignments/*/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any notebook is not stripped")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("assignments/*/*.ipynb"))
    unstripped = []
    for path in paths:
        text = stripped_text(path)
        if path.read_text(encoding="utf-8") == text:
            continue
        unstripped.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"stripped {path}")
    if args.check and unstripped:
        for path in unstripped:
            print(f"not stripped: {path} (run /usr/bin/python3 notebooks/strip.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

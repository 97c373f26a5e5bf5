#!/usr/bin/python3
"""Run the teaching notebooks headless, top to bottom, as a reader would, and fail loudly.

Usage (Debian's Python, which has Jupyter; the pyenv `python3` on PATH may not):

    /usr/bin/python3 notebooks/run_notebooks.py                      # every notebooks/*.ipynb
    /usr/bin/python3 notebooks/run_notebooks.py notebooks/02-*.ipynb --out test-artifacts/notebooks --html

Each notebook runs in a fresh `ttt-tslab` kernel (the project's kernelspec in jupyter/, found
through JUPYTER_PATH, which this script sets). A notebook fails at the first cell that

- gets a reply whose status is not `ok` (`error`, or `abort`: tslab aborts requests that
  arrive within ~200 ms of an error),
- has an `error` output, or
- writes anything to standard error.

tslab reports a thrown error or a TypeScript diagnostic only as stderr text, and Debian's
nbclient 0.7.2 leaves that text out of its CellExecutionError; this script prints it, with the
notebook, the cell number and the head of the cell's source. Notebooks must therefore keep
stderr clean: the library's backend line and progress reports are sent to the notebook
(`ensureBackend({ log: (line) => console.log(line) })`, `useNotebookProgress()`).

Exit status: 0 when every notebook passed, 1 when any failed, 2 when the set-up is missing.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "ttt-tslab"
SOURCE_HEAD_LINES = 8
STDERR_TAIL_CHARS = 4000


def configure_environment() -> None:
    """Puts the project's kernelspec first on JUPYTER_PATH and quiets Debian's pydevd warning."""
    kernels = str(ROOT / "jupyter")
    current = os.environ.get("JUPYTER_PATH")
    if not current or kernels not in current.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = kernels + (os.pathsep + current if current else "")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


configure_environment()

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from jupyter_client.kernelspec import NoSuchKernel
except ImportError as missing:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"run_notebooks.py: {missing}. Run it with Debian's /usr/bin/python3 after\n"
        "  apt-get install python3-nbclient python3-nbconvert python3-nbformat python3-jupyter-client\n"
    )
    sys.exit(2)


class CellFailure(Exception):
    """A cell that failed: where it is, what it says, and why it counts as a failure."""

    def __init__(self, notebook: str, index: int, source: str, reason: str, stderr: str = "") -> None:
        super().__init__(f"{notebook}: cell {index}: {reason}")
        self.notebook = notebook
        self.index = index
        self.source = source
        self.reason = reason
        self.stderr = stderr

    def report(self) -> str:
        lines = self.source.splitlines()
        head = lines[:SOURCE_HEAD_LINES]
        if len(lines) > SOURCE_HEAD_LINES:
            head.append(f"… ({len(lines) - SOURCE_HEAD_LINES} more lines)")
        out = [f"FAIL {self.notebook}: cell {self.index}: {self.reason}", "  cell source:"]
        out += [f"    | {line}" for line in head]
        if self.stderr:
            text = self.stderr if len(self.stderr) <= STDERR_TAIL_CHARS else "…" + self.stderr[-STDERR_TAIL_CHARS:]
            out.append("  stderr:")
            out += [f"    | {line}" for line in text.rstrip("\n").splitlines()]
        return "\n".join(out)


def stderr_text(cell) -> str:
    """Everything a cell wrote to stderr, plus the text of any error output."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}\n")
            parts.extend(line + "\n" for line in output.get("traceback", []))
    return "".join(parts)


def has_error_output(cell) -> bool:
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


class StrictNotebookClient(NotebookClient):
    """A NotebookClient that checks every cell after it runs and raises CellFailure on the first bad one."""

    def __init__(self, nb, notebook_name: str, **kwargs) -> None:
        super().__init__(nb, **kwargs)
        self.notebook_name = notebook_name
        self.cell_seconds: list[tuple[int, float]] = []
        self._last_reply: dict | None = None
        self.on_cell_executed = self._remember_reply

    def _remember_reply(self, cell, cell_index, execute_reply) -> None:
        self._last_reply = execute_reply

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        self._last_reply = None
        started = time.monotonic()
        raised: str | None = None
        try:
            result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except CellTimeoutError:
            raise CellFailure(self.notebook_name, cell_index, cell.source, f"timed out after {self.timeout} s", stderr_text(cell))
        except DeadKernelError:
            raise CellFailure(self.notebook_name, cell_index, cell.source, "the kernel died", stderr_text(cell))
        except CellExecutionError:
            raised = "error"
            result = cell
        finally:
            self.cell_seconds.append((cell_index, time.monotonic() - started))
        status = (self._last_reply or {}).get("content", {}).get("status") or raised or "no reply"
        stderr = stderr_text(cell)
        if status != "ok":
            raise CellFailure(self.notebook_name, cell_index, cell.source, f"reply status '{status}'", stderr)
        if has_error_output(cell):
            raise CellFailure(self.notebook_name, cell_index, cell.source, "error output", stderr)
        if stderr:
            raise CellFailure(self.notebook_name, cell_index, cell.source, "wrote to stderr (notebooks must not)", stderr)
        return result


def write_outputs(nb, path: Path, out_dir: Path, html: bool) -> list[Path]:
    """Saves the executed notebook (and its HTML export) under out_dir; returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / path.name]
    nbformat.write(nb, str(written[0]))
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        written.append(out_dir / (path.stem + ".html"))
        written[-1].write_text(body, encoding="utf-8")
    return written


def run_one(path: Path, timeout: int, budget: float | None, out_dir: Path | None, html: bool, cell_times: bool) -> bool:
    name = os.path.relpath(path, Path.cwd())
    nb = nbformat.read(str(path), as_version=4)
    client = StrictNotebookClient(
        nb,
        notebook_name=name,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        startup_timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    failure: CellFailure | None = None
    try:
        client.execute()
    except CellFailure as caught:
        failure = caught
    except NoSuchKernel:
        print(f"FAIL {name}: no kernelspec '{KERNEL_NAME}' on JUPYTER_PATH={os.environ['JUPYTER_PATH']}", flush=True)
        return False
    except Exception as caught:  # kernel start-up problems and the like
        failure = CellFailure(name, -1, "", f"{type(caught).__name__}: {caught}")
    seconds = time.monotonic() - started
    # The kernel is this process's child and has been reaped by now, so its CPU time is counted:
    # unlike wall time, it does not grow when other work shares the machine.
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if out_dir is not None:
        for written in write_outputs(nb, path, out_dir, html):
            print(f"     wrote {os.path.relpath(written, Path.cwd())}", flush=True)
    if failure is None and budget is not None and seconds > budget:
        failure = CellFailure(name, -1, "", f"took {seconds:.1f} s, over the budget of {budget:g} s")
    code_cells = len(client.cell_seconds)
    slowest = max(client.cell_seconds, key=lambda item: item[1], default=None)
    detail = f"{code_cells} code cells, kernel CPU {cpu_seconds:.1f} s" + (f", slowest cell {slowest[0]} {slowest[1]:.1f} s" if slowest else "")
    if failure is not None:
        print(failure.report(), flush=True)
        print(f"     {name} stopped after {seconds:.1f} s ({detail})", flush=True)
        return False
    print(f"PASS {name} {seconds:.1f} s ({detail})", flush=True)
    if cell_times:
        for index, cell_seconds in client.cell_seconds:
            print(f"     cell {index:3d} {cell_seconds:7.2f} s", flush=True)
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb and notebooks/assignments/*/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds one cell may run (default 300)")
    parser.add_argument("--budget", type=float, default=None, help="fail a notebook that takes longer than this many seconds in all")
    parser.add_argument("--out", type=Path, default=None, help="write executed copies here (e.g. test-artifacts/notebooks)")
    parser.add_argument("--html", action="store_true", help="with --out, also write an HTML export of each")
    parser.add_argument("--cell-times", action="store_true", help="print the time of every code cell")
    args = parser.parse_args(argv)

    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("assignments/*/*.ipynb"))
    if not paths:
        print("no notebooks to run", flush=True)
        return 2
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", flush=True)
        return 2
    if args.html and args.out is None:
        parser.error("--html needs --out")

    results = []
    for path in paths:
        started = time.monotonic()
        passed = run_one(path.resolve(), args.timeout, args.budget, args.out, args.html, args.cell_times)
        results.append((path, passed, time.monotonic() - started))
    if len(results) > 1:
        print("\nsummary", flush=True)
        for path, passed, seconds in results:
            print(f"  {'PASS' if passed else 'FAIL'} {seconds:7.1f} s  {os.path.relpath(path, Path.cwd())}", flush=True)
    return 0 if all(passed for _, passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

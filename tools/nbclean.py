"""Keep notebooks clean in git: outputs stripped, except nbval's text references.

    python tools/nbclean.py notebooks/*.ipynb            # strip
    python tools/nbclean.py --execute notebooks/*.ipynb  # run, then keep references

A code cell whose source contains ``# NBVAL_CHECK_OUTPUT`` keeps its execution
count and its text outputs (nbval compares against them); every other cell loses
its outputs and count. Images and widget state are never stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

CHECK_MARK = "NBVAL_CHECK_OUTPUT"
TEXT_MIMES = ("text/plain", "text/html", "text/markdown")


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def problems(nb) -> list[str]:
    """What makes a notebook unfit for git (empty list when clean)."""
    found = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not 'python3'")
    if "widgets" in nb.metadata:
        found.append("widget state stored in notebook metadata")
    for index, cell in enumerate(nb.cells):
        if "execution" in cell.metadata:
            found.append(f"cell {index}: stores execution timestamps")
        if cell.cell_type != "code":
            if cell.get("attachments"):
                found.append(f"cell {index}: stores attachments")
            continue
        if not is_checked(cell):
            if cell.outputs or cell.execution_count is not None:
                found.append(f"cell {index}: outputs or execution count stored in an unchecked cell")
            continue
        if cell.execution_count is None:
            found.append(f"cell {index}: checked cell without execution count (nbval would skip it)")
        for output in cell.outputs:
            mimes = set(output.get("data", {}))
            if mimes - set(TEXT_MIMES):
                found.append(f"cell {index}: checked cell stores {sorted(mimes - set(TEXT_MIMES))}")
            if output.output_type == "error":
                found.append(f"cell {index}: stores an error")
    return found


def clean(nb) -> None:
    """Strip outputs in place, keeping the text references of checked cells."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # nbclient's timestamps: noise in every diff
        cell.pop("attachments", None) if cell.cell_type != "code" else None
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                kept.append(output)
            elif output.output_type in ("execute_result", "display_data"):
                output.data = {k: v for k, v in output.data.items() if k in TEXT_MIMES}
                output.metadata = {}
                if output.data:
                    kept.append(output)
        cell.outputs = kept


def execute(nb, path: Path) -> None:
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run the notebook first")
    parser.add_argument("--check", action="store_true", help="only report problems")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for problem in problems(nb):
                print(f"{path}: {problem}")
                status = 1
            continue
        if args.execute:
            execute(nb, path)
        clean(nb)
        nbformat.write(nb, path)
    return status


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: run every ``benchmarks/bench_*.py``, print one table and write ``benchmarks/results.json``.

Each module exposes ``run(quick: bool) -> list[dict]`` with keys ``name``, ``value``, ``unit``,
``baseline``, ``ratio``, ``goal`` and ``device``. Speeds are reported as ratios against a baseline
measured in the same run, since absolute timings on shared machines are noisy.

    python benchmarks/run.py [--quick] [--only NAME_SUBSTRING] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not a measurement)")
    parser.add_argument("--only", default="", help="run only bench files whose name contains this")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only not in path.stem:
            continue
        started = time.perf_counter()
        results = _load(path).run(quick=args.quick)
        for row in results:
            rows.append({"file": path.stem, **row})
        print(f"# {path.stem}: {len(results)} results in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    columns = ["name", "value", "unit", "ratio", "baseline", "goal", "device"]
    table = [[_format(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) if table else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    meta = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "quick": args.quick,
    }
    args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""scripts/bench: run every bench/bench_*.py and print each measured ratio against its target.

Each module has `run() -> list[Measure]`. Ratios compare our code with the raw components
measured in the same run, so they hold on any machine.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Measure  # noqa: E402


def main(argv: list[str]) -> int:
    only = [a for a in argv if not a.startswith("-")]
    as_json = "--json" in argv
    results: list[Measure] = []
    for path in sorted(HERE.glob("bench_*.py")):
        topic = path.stem[len("bench_"):]
        if only and topic not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        t0 = time.perf_counter()
        got = module.run()
        if not as_json:
            for m in got:
                print(m.line(), flush=True)
            print(f"  ({topic}: {time.perf_counter() - t0:.1f} s)", flush=True)
        results.extend(got)
    if as_json:
        print(json.dumps([m.__dict__ for m in results], ensure_ascii=False, indent=2))
    failed = [m for m in results if not m.ok]
    if not as_json:
        print(f"{len(results) - len(failed)} of {len(results)} targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

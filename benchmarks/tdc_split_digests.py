"""Record PyTDC's own ADMET-group train/valid splits (seeds 1-5) as digests, to check ours against.

Runs in a separate environment with `pytdc` (see `molbridge/data/bundled/SOURCES.md` for the
offline install); it does not import molbridge. Point it at a folder that contains the bundled
`admet_group/` (a symlink is enough):

    mkdir -p /tmp/tdcroot && ln -s "$PWD/molbridge/data/bundled/admet_group" /tmp/tdcroot/
    /path/to/pytdc-venv/bin/python benchmarks/tdc_split_digests.py /tmp/tdcroot \
        --out tests/data/tdc_admet_split_digests.json

For each dataset and seed it stores the train and valid sizes and the sha256 of the valid part's
SMILES, sorted and joined by newlines; `tests/unit/data/test_tdc_split.py` recomputes the same
from molbridge's `tdc_scaffold_split`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path


def digest(smiles: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(smiles)).encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="folder that contains admet_group/")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()

    import tdc
    from tdc.benchmark_group import admet_group

    group = admet_group(path=args.root)
    result: dict[str, object] = {"pytdc": tdc.__version__ if hasattr(tdc, "__version__") else "?"}
    for name in group.dataset_names:
        per_seed = {}
        for seed in args.seeds:
            train, valid = group.get_train_valid_split(
                benchmark=name, split_type="default", seed=seed
            )
            per_seed[str(seed)] = {
                "n_train": len(train),
                "n_valid": len(valid),
                "valid_sha256": digest(valid["Drug"].tolist()),
            }
        result[name] = per_seed
        print(name, {s: (v["n_train"], v["n_valid"]) for s, v in per_seed.items()}, flush=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

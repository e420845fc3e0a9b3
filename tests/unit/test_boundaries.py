"""House rules that a test can see (STYLE rules 2 and 6)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "molbridge"
RDKIT_ALLOWED = {"chem", "featurize", "data"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_rdkit_is_imported_only_at_the_chemistry_boundary() -> None:
    leaks = []
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0]
        if top not in RDKIT_ALLOWED and any(n.split(".")[0] == "rdkit" for n in _imports(path)):
            leaks.append(str(path.relative_to(PACKAGE)))
    assert not leaks, f"RDKit imported outside chem/, featurize/, data/: {leaks}"


def test_models_do_not_import_the_data_layer_that_imports_rdkit() -> None:
    for sub in ("nn", "encoders"):
        for path in (PACKAGE / sub).rglob("*.py"):
            assert not any(
                n.startswith(("molbridge.chem", "molbridge.data")) for n in _imports(path)
            ), path


def test_nothing_silences_rdkit_globally_or_unpickles() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "DisableLog" not in text, path
        for line in text.splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{path}: {line.strip()}"


def test_model_layers_do_not_reach_rdkit_through_their_imports() -> None:
    # follows imports, unlike the scan above: a fresh interpreter imports every module of the
    # model layers and must end with no RDKit (nor the chemistry layers) loaded
    import subprocess
    import sys

    modules = [
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for sub in ("nn", "encoders", "tasks", "metrics", "io")
        for path in (PACKAGE / sub).rglob("*.py")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'rdkit'"
        " or m.startswith(('molbridge.chem', 'molbridge.featurize')))\n"
        "print(bad[:5])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

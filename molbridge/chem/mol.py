"""Parsing and standardisation of molecules: the only place SMILES become RDKit `Mol`s."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem.MolStandardize import rdMolStandardize


class InvalidMoleculeError(ValueError):
    """A SMILES that cannot become a molecule; names the row and the string."""

    def __init__(self, row: int | None, smiles: object, reason: str) -> None:
        self.row = row
        self.smiles = smiles
        self.reason = reason
        where = f"row {row}: " if row is not None else ""
        super().__init__(f"{where}invalid SMILES {smiles!r}: {reason}")


@dataclass(frozen=True)
class Standardizer:
    """How a parsed molecule is standardised before featurization.

    Attributes:
        largest_fragment: keep only the largest organic fragment (strips salts and solvents).
            Off by default, because the MoleculeNet/Hu et al. protocol keeps every fragment.
        neutralize: neutralise charges where a neutral form exists (RDKit `Uncharger`).
    """

    largest_fragment: bool = False
    neutralize: bool = False

    def to_config(self) -> dict[str, bool]:
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, bool]) -> Standardizer:
        return cls(**config)

    def __call__(self, mol: Chem.Mol) -> Chem.Mol:
        if self.largest_fragment:
            mol = rdMolStandardize.LargestFragmentChooser(preferOrganic=True).choose(mol)
        if self.neutralize:
            mol = rdMolStandardize.Uncharger().uncharge(mol)
        return mol


def parse_smiles(smiles: object, row: int | None = None) -> Chem.Mol:
    """Parse one SMILES into a sanitised RDKit molecule.

    Args:
        smiles: the text from the input; anything that is not a non-empty string is invalid.
        row: the row number to name in the error (0-based data row), if known.

    Raises:
        InvalidMoleculeError: empty cell, not a string, or RDKit cannot parse/sanitise it. The
            message carries RDKit's own explanation, captured for this call only.
    """
    if not isinstance(smiles, str):
        raise InvalidMoleculeError(row, smiles, "empty cell" if _is_missing(smiles) else "not text")
    text = smiles.strip()
    if not text:
        raise InvalidMoleculeError(row, smiles, "empty SMILES")
    # Scoped to this call: RDKit's error text is captured into the exception, and its per-molecule
    # warnings (e.g. "not removing hydrogen atom without neighbors") do not flood the terminal.
    # The global log settings stay as they are.
    with rdBase.BlockLogs(), capture_rdkit_errors() as capture:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            raise InvalidMoleculeError(row, smiles, _diagnose(text, capture))
    if mol.GetNumAtoms() == 0:
        raise InvalidMoleculeError(row, smiles, "molecule has no atoms")
    return mol


def molecular_formula(mol: Chem.Mol) -> str:
    """Hill-order molecular formula (charge included, e.g. `C7H8O`): what constitutional
    isomers share."""
    return str(rdMolDescriptors.CalcMolFormula(mol))


def parse_many(
    smiles: Iterable[object], standardizer: Standardizer | None = None
) -> Iterator[tuple[int, Chem.Mol | None, str | None]]:
    """Yield `(row, mol, error)` for each input; exactly one of `mol` and `error` is set."""
    for row, text in enumerate(smiles):
        try:
            mol = parse_smiles(text, row)
            if standardizer is not None:
                mol = standardizer(mol)
        except InvalidMoleculeError as err:
            yield row, None, err.reason
        except Exception as err:  # RDKit raises its own types from standardisation
            yield row, None, f"standardisation failed: {err}"
        else:
            yield row, mol, None


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _diagnose(text: str, capture: object) -> str:
    """Why RDKit refused `text`: a sanitisation exception's message, else the parser's log."""
    unsanitized = Chem.MolFromSmiles(text, sanitize=False)
    if unsanitized is not None:
        try:
            Chem.SanitizeMol(unsanitized)
        except Exception as err:  # RDKit raises several sanitisation exception types
            return f"sanitisation failed: {err}"
    detail = last_rdkit_message(capture)
    return (
        f"RDKit cannot parse this SMILES ({detail})" if detail else "RDKit cannot parse this SMILES"
    )


def capture_rdkit_errors():  # type: ignore[no-untyped-def]
    """`rdBase.CaptureErrorLog` where RDKit has it (2025+), else a scoped `BlockLogs`."""
    capture = getattr(rdBase, "CaptureErrorLog", None)
    return capture() if capture is not None else rdBase.BlockLogs()


def last_rdkit_message(capture: object) -> str:
    messages = str(getattr(capture, "messages", "") or "")
    lines = [line.split("] ", 1)[-1].strip() for line in messages.splitlines()]
    lines = [ln.removeprefix("SMILES Parse Error: ") for ln in lines]
    lines = [ln for ln in lines if ln and not set(ln) <= {" ", "^"}]
    return "; ".join(dict.fromkeys(lines))

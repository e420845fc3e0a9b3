import itertools
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from molbridge.data.spectra import (
    InvalidNMRRecordError,
    load_nmr_spectra,
    parse_peak_list,
    read_nmr_sdf,
)

# ethanol with explicit H: atoms C0, C1, O2, then 6 H
ETHANOL = Chem.MolToMolBlock(Chem.AddHs(Chem.MolFromSmiles("CCO")))


def _record(record_id: str, props: dict[str, str], molblock: str = ETHANOL) -> str:
    items = "".join(f">  <{k}>\n{v}\n\n" for k, v in {"nmrshiftdb2 ID": record_id, **props}.items())
    return f"{molblock}{items}$$$$\n"


def _write(tmp_path: Path, *records: str) -> Path:
    path = tmp_path / "tiny.sdf"
    path.write_text("".join(records))
    return path


GOOD = _record(
    "1",
    {
        "SMILES": "CCO",
        "Solvent": "0:Chloroform-D1 (CDCl3) 1:Methanol-D4 (CD3OD) ",
        "Spectrum 13C 0": "18.1;0.0Q;0|57.8;0.0T;1|",
        "Spectrum 1H 1": "1.22;0.0T;0|3.69;0.0Q;1|2.6;0.0S;2|",
    },
)
ONLY_1H = _record("3", {"SMILES": "CCO", "Spectrum 1H 0": "1.2;0.0T;0|"})
MALFORMED = _record("2", {"SMILES": "CCO", "Spectrum 13C 0": "18.1;0.0Q;0|57.8;0.0T|"})


def test_first_records_of_the_bundled_file() -> None:
    records = list(itertools.islice(read_nmr_sdf(), 20))
    assert len(records) == 20
    first = records[0]
    assert first.id == "2192" and first.position == 0
    assert first.solvent_13c == "Dimethylsulphoxide-D6 (DMSO-D6, C2D6SO))"
    assert len(first.peaks_13c) == 24 and first.peaks_13c[:3].tolist() == [8.1, 9.0, 13.5]
    assert first.atoms_13c[:3].tolist() == [3, 19, 9]
    assert first.peaks_1h.shape == (0,) and not first.has("1H")
    for record in records:
        assert record.peaks_13c.dtype == np.float64 and record.atoms_13c.dtype == np.int64
        # every 13C peak is assigned to a carbon of the molblock (explicit H kept)
        symbols = {record.mol.GetAtomWithIdx(int(a)).GetSymbol() for a in record.atoms_13c}
        assert symbols <= {"C"}, record.id


def test_bundled_counts_per_nucleus() -> None:
    carbon = load_nmr_spectra("13C", on_invalid="skip")
    assert len(carbon) == 5996  # 5997 records with 13C, one invalid
    assert [(s.id, s.position) for s in carbon.skipped] == [("5509", 112)]
    assert "atom index 24 is out of range" in carbon.skipped[0].reason
    proton = load_nmr_spectra("1H", on_invalid="skip")
    assert len(proton) == 3014 and proton.skipped == []
    assert all(len(p) > 0 for p in proton.peaks)


def test_the_default_raises_on_the_invalid_bundled_record() -> None:
    with pytest.raises(InvalidNMRRecordError, match=r"record 112 \(nmrshiftdb2 ID 5509\)"):
        load_nmr_spectra("13C")


def test_first_spectrum_of_each_nucleus_and_its_solvent(tmp_path: Path) -> None:
    (record,) = read_nmr_sdf(_write(tmp_path, GOOD))
    assert record.id == "1" and record.smiles == "CCO"
    assert record.peaks_13c.tolist() == [18.1, 57.8] and record.atoms_13c.tolist() == [0, 1]
    # `Spectrum 1H 1` is the record's first (only) 1H spectrum; solvent number 1 belongs to it
    assert record.peaks_1h.tolist() == [1.22, 3.69, 2.6] and record.atoms_1h.tolist() == [0, 1, 2]
    assert record.solvent_13c == "Chloroform-D1 (CDCl3)"
    assert record.solvent("1H") == "Methanol-D4 (CD3OD)"
    assert record.mol.GetNumAtoms() == 9


def test_nucleus_filter(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, ONLY_1H)
    assert [r.id for r in read_nmr_sdf(path, nucleus="13C")] == ["1"]
    spectra = load_nmr_spectra("1H", path)
    assert spectra.ids == ["1", "3"] and spectra.peaks[1].tolist() == [1.2]
    with pytest.raises(ValueError, match="unknown nucleus '15N'"):
        read_nmr_sdf(path, nucleus="15N")  # type: ignore[arg-type]


def test_malformed_peak_list_raises_naming_the_record(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, MALFORMED, ONLY_1H)
    with pytest.raises(InvalidNMRRecordError, match=r"record 1 \(nmrshiftdb2 ID 2\).*2 fields"):
        list(read_nmr_sdf(path))


def test_malformed_peak_list_is_skipped_and_reported(tmp_path: Path) -> None:
    reader = read_nmr_sdf(_write(tmp_path, GOOD, MALFORMED, ONLY_1H), on_invalid="skip")
    assert [r.id for r in reader] == ["1", "3"]
    (skipped,) = reader.skipped
    assert (skipped.position, skipped.id) == (1, "2")
    assert "Spectrum 13C 0" in skipped.reason and "57.8;0.0T" in skipped.reason


def test_unreadable_molblock_is_named_by_position(tmp_path: Path) -> None:
    broken = _record("4", {"SMILES": "C"}, molblock=ETHANOL.replace("  2  3  1  0", "  2 99  1  0"))
    path = _write(tmp_path, GOOD, broken, ONLY_1H)
    with pytest.raises(InvalidNMRRecordError, match=r"record 1 \(ID unknown\)"):
        list(read_nmr_sdf(path))
    reader = read_nmr_sdf(path, on_invalid="skip")
    assert [r.id for r in reader] == ["1", "3"]
    assert [s.position for s in reader.skipped] == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("abc;0.0S;1|", "not a number"),
        ("nan;0.0S;1|", "not finite"),
        ("12.0;0.0S;x|", "not an integer"),
        ("12.0;0.0S;-1|", "not an integer"),
        ("12.0;0.0S;9|", "out of range"),
    ],
)
def test_parse_peak_list_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_peak_list(text, n_atoms=9)


def test_parse_peak_list() -> None:
    shifts, atoms = parse_peak_list("1.5;0.0S;3|2.5;1.0D;4", n_atoms=5)
    assert shifts.tolist() == [1.5, 2.5] and atoms.tolist() == [3, 4]


def test_the_held_out_spectra_are_a_fixed_tenth_of_the_molecules() -> None:
    from molbridge.data.spectra import spectrum_smiles

    train, held = spectrum_smiles("13C"), spectrum_smiles("13C", "held-out")
    assert not set(train) & set(held)
    assert len(held) == round(0.1 * (len(train) + len(held)))
    assert spectrum_smiles("13C", "held-out") == held  # the same every time

import numpy as np
import pytest
from rdkit import Chem

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.featurize.smiles import (
    SPECIAL_TOKENS,
    SmilesFeaturizer,
    SmilesVocabulary,
    tokenize,
)

SMILES = ["C[C@@H](Cl)c1ccc(Br)[nH]1", "[Na+].[Cl-]", "CC(=O)Oc1ccccc1C(=O)O", "C1CC%10CCC1%10"]


def test_tokens_checked_by_hand() -> None:
    # the brief's string (chemically over-valent at [nH], but the tokenizer only reads text)
    assert tokenize("C[C@@H](Cl)c1ccc[nH]1Br") == [
        "C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "[nH]", "1", "Br",
    ]  # fmt: skip
    assert tokenize("[Na+].[Cl-]") == ["[Na+]", ".", "[Cl-]"]


def test_two_letter_halogens_bonds_and_ring_closures_are_single_tokens() -> None:
    assert tokenize("ClCBr") == ["Cl", "C", "Br"]
    assert tokenize("BC") == ["B", "C"]  # boron alone is not swallowed by the Br rule
    assert tokenize("C=C#N") == ["C", "=", "C", "#", "N"]
    assert tokenize("C1CC%12CC1%12") == ["C", "1", "C", "C", "%12", "C", "C", "1", "%12"]
    assert tokenize("F/C=C\\F") == ["F", "/", "C", "=", "C", "\\", "F"]


@pytest.mark.parametrize("bad", ["C C", "CX", "C[NH", "C%1"])
def test_untokenizable_text_raises_naming_the_position(bad: str) -> None:
    with pytest.raises(ValueError, match="re-join"):
        tokenize(bad)


def test_vocabulary_build_is_deterministic_and_counts() -> None:
    vocab = SmilesVocabulary.build(["CCO", "CCN", "Cl"])
    # specials first; then by count (C: 4), ties by text (Cl, N, O)
    assert vocab.tokens == (*SPECIAL_TOKENS, "C", "Cl", "N", "O")
    assert vocab.pad_index == 0 and vocab.tokens[vocab.mask_index] == "<mask>"
    assert SmilesVocabulary.build(["Cl", "CCN", "CCO"]) == vocab  # input order does not matter
    assert SmilesVocabulary.build(["CCO", "CCN", "Cl"], min_count=2).tokens == (
        *SPECIAL_TOKENS,
        "C",
    )


def test_encode_unknown_and_decode() -> None:
    vocab = SmilesVocabulary.build(["CCO"])
    ids = vocab.encode(["C", "O", "Br"])
    assert ids == [5, 6, vocab.unk_index]
    assert vocab.decode(ids) == ["C", "O", "<unk>"]
    assert vocab.decode([vocab.cls_index, 5, vocab.eos_index, 0], skip_special=True) == ["C"]
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([99])


def test_vocabulary_rejects_bad_token_lists_and_round_trips() -> None:
    with pytest.raises(ValueError, match="start with"):
        SmilesVocabulary(("C", "O"))
    with pytest.raises(ValueError, match="duplicate"):
        SmilesVocabulary((*SPECIAL_TOKENS, "C", "C"))
    vocab = SmilesVocabulary.build(SMILES)
    assert SmilesVocabulary.from_config(vocab.to_config()) == vocab


def test_canonical_ids_by_hand() -> None:
    vocab = SmilesVocabulary.build(["CCO"])  # C=5, O=6
    featurizer = SmilesFeaturizer(vocab, max_length=8)
    ids = featurizer(parse_smiles("OCC"))  # canonical: CCO
    assert ids.dtype == np.int64 and ids.shape == (8,)
    assert ids.tolist() == [vocab.cls_index, 5, 5, 6, vocab.eos_index, 0, 0, 0]


def test_too_long_raises_naming_the_length_or_truncates() -> None:
    vocab = SmilesVocabulary.build(["CCCCCC"])
    with pytest.raises(ValueError, match="6 tokens"):
        SmilesFeaturizer(vocab, max_length=5)(parse_smiles("CCCCCC"))
    with pytest.raises(ValueError, match="row 1"):
        SmilesFeaturizer(vocab, max_length=5).many(["C", "CCCCCC"])
    ids = SmilesFeaturizer(vocab, max_length=5, truncate=True)(parse_smiles("CCCCCC"))
    assert ids.tolist() == [vocab.cls_index, 5, 5, 5, vocab.eos_index]


def test_many_names_the_invalid_row() -> None:
    featurizer = SmilesFeaturizer(SmilesVocabulary.build(SMILES), max_length=40)
    assert featurizer.many(SMILES).shape == (4, 40)
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        featurizer.many(["CCO", "C1CC"])


def test_randomised_smiles_parse_back_and_vary_with_the_seed() -> None:
    vocab = SmilesVocabulary.build(SMILES)
    featurizer = SmilesFeaturizer(vocab, max_length=40, randomize=True)
    mol = parse_smiles(SMILES[0])
    canonical = Chem.MolToSmiles(mol)
    texts = {featurizer.smiles(mol, np.random.default_rng(seed)) for seed in range(10)}
    assert len(texts) > 1
    for text in texts:  # stereo is kept: the same canonical isomeric SMILES
        assert Chem.MolToSmiles(Chem.MolFromSmiles(text)) == canonical
    first = featurizer.many(SMILES, np.random.default_rng(7))
    assert np.array_equal(first, featurizer.many(SMILES, np.random.default_rng(7)))
    with pytest.raises(ValueError, match="rng"):
        featurizer(mol)


def test_featurizer_config_round_trip_includes_the_vocabulary() -> None:
    featurizer = SmilesFeaturizer(
        SmilesVocabulary.build(SMILES), max_length=64, randomize=True, truncate=True
    )
    config = featurizer.to_config()
    assert config["name"] == "smiles" and config["vocabulary"]["tokens"][0] == "<pad>"
    assert SmilesFeaturizer.from_config(config) == featurizer

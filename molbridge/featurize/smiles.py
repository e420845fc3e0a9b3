"""SMILES as token ids: an atom-level tokenizer, a vocabulary and a fixed-length featurizer.

The tokenizer is the regular expression of Schwaller et al. 2019 ("Molecular Transformer",
ACS Cent. Sci.): a bracket atom (`[C@@H]`, `[nH]`, `[Na+]`) is one token, two-letter organic
atoms (`Cl`, `Br`) are one token, every other character (bond, branch, ring digit) is its own
token, and a two-digit ring closure `%12` is one token.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rdkit import Chem

from molbridge.chem import parse_smiles

PAD = "<pad>"
UNK = "<unk>"
MASK = "<mask>"
CLS = "<cls>"
EOS = "<eos>"
# The order fixes the indices: `<pad>` is 0, so zero-filled arrays read as padding.
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, MASK, CLS, EOS)

# Schwaller et al. 2019's alternatives, in this order (the first that matches wins): bracket atom;
# B or Br; C or Cl; the other organic-subset atoms, aromatic ones lower-case; branches, dot, bonds,
# charges, chirality, reaction arrow, wildcard; ring closures `%nn` (plus RDKit's `%(nnn)` for
# ring numbers above 99) and single digits.
_TOKEN_PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$"
    r"|%\([0-9]+\)|%[0-9]{2}|[0-9])"
)


def tokenize(smiles: str) -> list[str]:
    """Split a SMILES string into atom-level tokens.

    Raises:
        ValueError: some characters match no token (e.g. a space, a lone `%`, an unclosed `[`,
            or an element outside the organic subset written without brackets), so the tokens
            would not re-join to `smiles`; the message names the first such position.
    """
    tokens = _TOKEN_PATTERN.findall(smiles)
    if "".join(tokens) != smiles:
        # find the first character the regex skipped, to say where the problem is
        position = 0
        for match in _TOKEN_PATTERN.finditer(smiles):
            if match.start() != position:
                break
            position = match.end()
        raise ValueError(
            f"SMILES {smiles!r} cannot be tokenized: {smiles[position : position + 10]!r} at "
            f"character {position} matches no token (the tokens do not re-join to the input)"
        )
    return tokens


@dataclass(frozen=True)
class SmilesVocabulary:
    """An ordered token vocabulary; a token's index is its position in `tokens`.

    Attributes:
        tokens: every token, the special tokens first in `SPECIAL_TOKENS` order (`<pad>` = 0,
            `<unk>` = 1, `<mask>` = 2, `<cls>` = 3, `<eos>` = 4), then the SMILES tokens.
    """

    tokens: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tokens = tuple(self.tokens)
        if tokens[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError(f"a SMILES vocabulary must start with {SPECIAL_TOKENS}")
        if len(set(tokens)) != len(tokens):
            duplicates = sorted(t for t, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"duplicate tokens in the vocabulary: {duplicates}")
        # frozen dataclass: the lookup table is derived once here, not part of equality
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(tokens)})

    @classmethod
    def build(cls, smiles: Iterable[str], min_count: int = 1) -> SmilesVocabulary:
        """The vocabulary of the tokens occurring at least `min_count` times in `smiles`.

        Tokens are ordered by decreasing count, ties by the token text, so the same corpus always
        gives the same indices. The strings are tokenized as given: build from the same form the
        featurizer writes (RDKit canonical SMILES; add randomised ones when `randomize=True`,
        which can show e.g. `[C@H]` where the canonical form has `[C@@H]`), else unseen tokens
        map to `<unk>`.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counts: Counter[str] = Counter()
        for text in smiles:
            counts.update(tokenize(text))
        kept = sorted(
            (t for t, n in counts.items() if n >= min_count and t not in SPECIAL_TOKENS),
            key=lambda t: (-counts[t], t),
        )
        return cls(SPECIAL_TOKENS + tuple(kept))

    def __len__(self) -> int:
        return len(self.tokens)

    def index(self, token: str) -> int:
        """The id of `token`, or `<unk>`'s id if it is not in the vocabulary."""
        return self._index.get(token, self._index[UNK])

    @property
    def pad_index(self) -> int:
        return self._index[PAD]

    @property
    def unk_index(self) -> int:
        return self._index[UNK]

    @property
    def mask_index(self) -> int:
        return self._index[MASK]

    @property
    def cls_index(self) -> int:
        return self._index[CLS]

    @property
    def eos_index(self) -> int:
        return self._index[EOS]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Tokens -> ids; a token not in the vocabulary becomes `<unk>`."""
        unk = self._index[UNK]
        return [self._index.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> list[str]:
        """Ids -> tokens; with `skip_special`, `<pad>`, `<cls>`, `<eos>`, ... are left out.

        Raises:
            ValueError: an id outside `[0, len(self))`.
        """
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"token id {i} is outside the vocabulary of {len(self)} tokens")
            token = self.tokens[i]
            if not (skip_special and token in SPECIAL_TOKENS):
                out.append(token)
        return out

    def to_config(self) -> dict[str, Any]:
        return {"name": "smiles-vocabulary", "tokens": list(self.tokens)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmilesVocabulary:
        if config.get("name") != "smiles-vocabulary":
            raise ValueError(f"not a SMILES vocabulary config: {config.get('name')!r}")
        return cls(tuple(config["tokens"]))


@dataclass(frozen=True)
class SmilesFeaturizer:
    """One molecule -> `[max_length]` int64 token ids: `<cls>`, the SMILES tokens, `<eos>`, then
    `<pad>` up to `max_length`.

    Attributes:
        vocabulary: token ids (tokens it lacks become `<unk>`).
        max_length: length of every output row, `<cls>` and `<eos>` included.
        randomize: write a randomised SMILES (a random atom order, drawn from the `rng` passed
            to each call) instead of RDKit's canonical one; data augmentation after Bjerrum 2017.
        truncate: cut a SMILES that does not fit to its first `max_length - 2` tokens (so the
            row is `<cls>`, those tokens, `<eos>`) instead of raising.
    """

    vocabulary: SmilesVocabulary
    max_length: int = 128
    randomize: bool = False
    truncate: bool = False

    def __post_init__(self) -> None:
        if self.max_length < 3:
            raise ValueError(f"max_length must leave room for <cls>, a token and <eos>: {self}")

    def smiles(self, mol: Chem.Mol, rng: np.random.Generator | None = None) -> str:
        """The SMILES this featurizer tokenizes: canonical isomeric, or randomised.

        Randomised SMILES renumber the atoms by `rng.permutation` and write them without
        canonical ordering, so the traversal starts at a random atom and branches in a random
        order (the "unrestricted" randomisation of Arús-Pous et al. 2019). RDKit's own
        `MolToSmiles(doRandom=True)` draws from RDKit's global generator instead, which a numpy
        `rng` cannot seed, so its output would not be reproducible.

        Raises:
            ValueError: `randomize` is set and no `rng` is given.
        """
        if not self.randomize:
            return str(Chem.MolToSmiles(mol, isomericSmiles=True))
        if rng is None:
            raise ValueError("SmilesFeaturizer(randomize=True) needs an rng (numpy Generator)")
        order = [int(i) for i in rng.permutation(mol.GetNumAtoms())]
        shuffled = Chem.RenumberAtoms(mol, order)
        return str(Chem.MolToSmiles(shuffled, isomericSmiles=True, canonical=False))

    def __call__(self, mol: Chem.Mol, rng: np.random.Generator | None = None) -> np.ndarray:
        """One molecule -> `[max_length]` int64 ids.

        Raises:
            ValueError: the SMILES has more than `max_length - 2` tokens and `truncate` is off.
        """
        text = self.smiles(mol, rng)
        tokens = tokenize(text)
        room = self.max_length - 2
        if len(tokens) > room:
            if not self.truncate:
                raise ValueError(
                    f"SMILES {text!r} has {len(tokens)} tokens, more than max_length="
                    f"{self.max_length} allows ({room} plus <cls> and <eos>); raise max_length "
                    f"or set truncate=True"
                )
            tokens = tokens[:room]
        vocab = self.vocabulary
        ids = [vocab.cls_index, *vocab.encode(tokens), vocab.eos_index]
        out = np.full(self.max_length, vocab.pad_index, dtype=np.int64)
        out[: len(ids)] = ids
        return out

    def many(self, smiles: Sequence[str], rng: np.random.Generator | None = None) -> np.ndarray:
        """SMILES -> `[n, max_length]` int64; an invalid or too-long one raises naming its row."""
        out = np.empty((len(smiles), self.max_length), dtype=np.int64)
        for i, text in enumerate(smiles):
            mol = parse_smiles(text, row=i)
            try:
                out[i] = self(mol, rng)
            except ValueError as error:
                raise ValueError(f"row {i}: {error}") from error
        return out

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "smiles",
            "vocabulary": self.vocabulary.to_config(),
            "max_length": self.max_length,
            "randomize": self.randomize,
            "truncate": self.truncate,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmilesFeaturizer:
        if config.get("name") != "smiles":
            raise ValueError(f"not a SMILES featurizer config: {config.get('name')!r}")
        return cls(
            SmilesVocabulary.from_config(config["vocabulary"]),
            max_length=int(config["max_length"]),
            randomize=bool(config["randomize"]),
            truncate=bool(config["truncate"]),
        )

"""Library-level workflows behind the CLI: train, predict, embed."""

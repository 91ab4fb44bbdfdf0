"""Readers that turn a source (embedded default, Kaggle layout, MovieLens layout) into a `Dataset`."""

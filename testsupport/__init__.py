"""Fixtures shared by tests/, bench/ and soak/: what more than one of them builds the same
way, kept here so that none of them imports another's internals.

Importable from the repository root, as bench/ and soak/ are (pytest's ``pythonpath``,
``python -m bench.run``, ``python -m soak``). Not part of the exporter's wheel, nor of its
image, and nothing in exporter/ imports it.
"""

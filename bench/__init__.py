"""Benchmarks of the site as production serves it: `make bench` (`python -m bench`) runs them all.

Each benchmark is a module here exposing ``NAME`` and ``run(options) -> int`` (the exit code it
asks for); it writes its results to ``bench/results/<NAME>.json`` and prints a table.
"""

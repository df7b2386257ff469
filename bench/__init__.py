"""Benchmarks of the invoker and the provider (`make bench`); results in bench/RESULTS.md."""

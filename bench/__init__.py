"""The benchmarks (``make bench``); a package so that their scripts share ``bench.pgcpu``."""

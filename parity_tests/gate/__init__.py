"""The gate: the registry, the check API, comparison and tolerance, reports, lockstep and diagnose,
the bench, and the commands check, list, bench and diagnose. It never imports ``parity_tests.lab``."""

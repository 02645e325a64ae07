"""The seeded consortium simulator: synthetic sites for the example, tests and benchmarks."""

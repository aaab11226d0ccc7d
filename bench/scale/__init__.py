"""Scale benchmarks: ANN candidates, sidecar reopen, 1M learnings, repeated opens."""

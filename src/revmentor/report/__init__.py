"""Publication outputs: figures built from the pooled and per-site result tables."""

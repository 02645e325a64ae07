"""The instrument and config model, problem records and small shared helpers."""

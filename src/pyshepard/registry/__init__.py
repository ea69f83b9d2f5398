"""DEMOS model registry: entries, validation pipeline, engines and reports."""

"""Steps 1-3 of the registry pipeline (integrity, correctness, pre-processing), offline.

Kept import-free on purpose: `worker.py` must set its memory limit and thread environment before
numpy and the engines are imported. Entry points: `runner.validate_path`, `pipeline.run_entry`.
"""

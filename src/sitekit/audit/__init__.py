"""The monthly audit: baseline policy, facts -> findings, waivers, history, report renderers.

Data flows one way: facts (one JSON document per host per run, `facts.py`) are evaluated
against the fleet's policy (`policy.py`, `checks.py`, `evaluate.py`) into a `Report`
(`report.py`), which is kept in the history (`history.py`) and rendered (`render/`).
docs/audit.md is the user documentation.
"""

"""Incident records: every fault and call, its steps, and the service plan's two clocks."""

"""The field's monitoring: Prometheus and Alertmanager configured from the plan."""

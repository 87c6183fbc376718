"""SQL Server backups: the retention rule and the schedule derived from maintenance windows."""

"""Running the service: the server command, health, metrics, logs, scheduled jobs."""

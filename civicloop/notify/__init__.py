"""The notification outbox: what reporters are told, and when."""

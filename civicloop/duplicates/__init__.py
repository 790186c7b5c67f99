"""Duplicate detection: candidate open cases for a new one, with a score and the reasons."""

"""Accounts: passwords, sign-in tokens, API keys, and who may see and do what."""

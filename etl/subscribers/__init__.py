"""Readers: sign-up with double opt-in, preferences, leaving, and the operator's list tools."""

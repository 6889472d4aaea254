"""Test doubles that fake external services at the network level (see stripe_server)."""

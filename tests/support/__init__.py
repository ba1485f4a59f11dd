"""Helpers shared by test packages: fake servers and fixtures."""

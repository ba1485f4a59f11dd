"""Example workers built on gmi-ieops."""

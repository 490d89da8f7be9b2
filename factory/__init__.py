"""Crucible: factory package."""

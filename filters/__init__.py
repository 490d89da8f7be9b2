"""Crucible: filters package."""

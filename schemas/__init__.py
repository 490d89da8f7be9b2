"""Crucible: schemas package."""

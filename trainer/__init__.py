"""Crucible: trainer package."""

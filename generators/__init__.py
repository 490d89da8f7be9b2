"""Crucible: generators package."""

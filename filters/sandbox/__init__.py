"""Crucible: filters sandbox package."""

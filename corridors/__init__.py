"""Safer Corridors: plan after-school patrol corridors around schools."""

__version__ = "0.1.0"

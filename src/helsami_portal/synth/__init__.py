"""Synthetic, deterministic FHIR R4 data for HelsaMi Innboks (Norwegian, invented people only)."""

from .generate import DemoUser, demo_users, fnr_is_valid, generate, make_fnr

__all__ = ["DemoUser", "demo_users", "fnr_is_valid", "generate", "make_fnr"]

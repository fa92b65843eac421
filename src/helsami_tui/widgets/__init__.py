"""Widgets of the terminal inbox."""

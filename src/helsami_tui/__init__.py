"""HelsaMi Innboks: the terminal inbox (Textual)."""

__version__ = "0.1.0"

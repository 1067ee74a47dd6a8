"""SafeSlot: everything Lambda runs besides app.py."""

__version__ = "0.1.0"

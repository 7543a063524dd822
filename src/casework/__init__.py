"""casework: protection-monitoring case management."""

__version__ = "0.1.0"

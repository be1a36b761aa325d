"""escape-home: a home exercise companion for the ESCAPE-pain knee and hip programme."""

__version__ = "0.1.0"

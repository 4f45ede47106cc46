"""vaslayout: see and query Linux virtual address-space layouts."""

__version__ = "0.1.0"

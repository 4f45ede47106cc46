"""The interactive map (Textual). Only `vaslayout open` and friends import this."""

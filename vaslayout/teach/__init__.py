"""Teaching and sharing: tours, quiz, export formats, diff."""

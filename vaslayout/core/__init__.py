"""The pure core: expressions, loader, engine, paging, translation. Imports neither Textual nor rich."""

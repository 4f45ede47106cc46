"""Write layouts/index.json, the index `vaslayout list` reads, from the built-in layout files.

Run after adding, renaming or retitling a built-in layout:

    python scripts/layout_index.py

tests/test_catalog_index.py fails while the index and the files disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vaslayout import catalog  # noqa: E402

if __name__ == "__main__":
    print(catalog.write_index())

"""Browser tests reuse the HTTP tests' `wearhouse serve` helpers (tests/integration/http_server.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

"""The dashboard: a static single page at `/`, its scripts and styles under /static (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"
# The page is small and changes with each release: browsers revalidate it instead of caching it.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def dashboard() -> FileResponse:
    """The single-page dashboard; it reads the query API and the live feed with the reader's token."""
    return FileResponse(STATIC / "index.html", headers=NO_CACHE)


def install(app: FastAPI) -> None:
    """Serve the page at `/` and its assets at /static."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

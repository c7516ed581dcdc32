"""Every API error is JSON: a code, a message that says what to fix, and details when useful."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wearhouse.contracts import STREAMS


class ApiError(Exception):
    """An error answer: HTTP status, a stable code and a message for the caller."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.extra = headers, extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON shape of every error."""
    return {"error": code, "message": message, **extra}


def install(app: FastAPI) -> None:
    """Register handlers so that no error leaves the API as anything but this JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, **exc.extra),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(tuple(p.get("loc", ()))[:2] == ("path", "stream") for p in problems):
            stream = request.path_params.get("stream", "?")
            return JSONResponse(
                error_body(
                    "unknown_stream", f"unknown stream {stream!r}: use one of {', '.join(STREAMS)}"
                ),
                status_code=404,
            )
        details = [
            {
                "field": ".".join(str(p) for p in problem.get("loc", ())),
                "message": problem.get("msg", ""),
            }
            for problem in problems
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is not valid: see errors", errors=details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {
            404: f"no such endpoint: {request.method} {request.url.path}; see /docs",
            405: f"{request.method} is not allowed on {request.url.path}; see /docs",
        }.get(exc.status_code, str(exc.detail))
        return JSONResponse(
            error_body("http_error", message), status_code=exc.status_code, headers=exc.headers
        )

"""Files the API hands over (reports, dashboards): an attachment that is never cached and
never sniffed, and the content security policy of a self-contained HTML report."""

from __future__ import annotations

from fastapi import Response

__all__ = ["REPORT_CSP", "attachment"]

# the HTML reports are self-contained: inline CSS and SVG, no scripts, nothing fetched
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def attachment(name: str, body: str, media: str, **headers: str) -> Response:
    """``body`` as a download called ``name``."""
    return Response(
        content=body.encode(),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            **headers,
        },
    )

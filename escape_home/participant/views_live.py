"""The live picture (MJPEG) and the live state (server-sent events and JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from escape_home.participant.live_state import LiveState

bp = Blueprint("live", __name__)

#: How long a stream waits for news before sending a keep-alive.
KEEPALIVE_S = 5.0


def worker() -> Any:
    w = current_app.extensions.get("escape_home.live")
    if w is None:
        abort(503, "There is no camera in this set-up.")
    return w


def public_state(state: LiveState, storage_error: str | None) -> dict[str, Any]:
    """The state a page sees, plus the storage message if saving is failing."""
    out = state.to_json()
    out["storage_error"] = storage_error
    return out


@bp.route("/live/video.mjpg")
def video() -> Response:
    """The annotated camera picture as multipart JPEG (it never leaves this PC)."""
    w = worker()

    def frames() -> Iterator[bytes]:
        seq = -1
        while not w.stopped:
            jpeg, new_seq = w.jpeg(seq, KEEPALIVE_S)
            if jpeg is None or new_seq == seq:
                continue
            seq = new_seq
            yield (
                b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                + str(len(jpeg)).encode()
                + b"\r\n\r\n"
                + jpeg
                + b"\r\n"
            )

    return Response(
        frames(),
        mimetype="multipart/x-mixed-replace; boundary=frame",
        headers={"Cache-Control": "no-store"},
    )


@bp.route("/live/events")
def events() -> Response:
    """Server-sent events: one JSON state each time it changes."""
    w = worker()
    writer = current_app.extensions["escape_home.writer"]

    def stream() -> Iterator[str]:
        seq = -1
        yield "retry: 1000\n\n"
        while not w.stopped:
            st = w.wait_state(seq, KEEPALIVE_S)
            if st.seq == seq:
                yield ": keep-alive\n\n"
                continue
            seq = st.seq
            yield f"data: {json.dumps(public_state(st, writer.error))}\n\n"

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@bp.route("/live/state")
def state() -> Response:
    st = worker().state()
    return jsonify(public_state(st, current_app.extensions["escape_home.writer"].error))


@bp.post("/api/live/check")
def check() -> Response:
    """Start the camera check (no counting), optionally for a given view."""
    body = request.get_json(silent=True, force=True) or {}
    view = body.get("view")
    worker().begin(
        "check", want_view=view if view in ("side", "front") else None, rewind=False
    )
    return jsonify(ok=True)

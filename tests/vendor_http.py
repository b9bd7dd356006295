"""A vendor's API served from recorded responses on 127.0.0.1, for the sync tests.

The handler gets (method, path, query, body) and returns (status, json body),
or raises Drop to close the connection without an answer. Every request is
logged (method, path, query, body, headers) so that tests can assert on what
a connector asked."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


class Drop(Exception):
    """Close the connection without a response (a dropped connection)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict | None
    headers: dict[str, str]


Handler = Callable[[str, str, dict[str, str], dict | None], tuple[int, object]]


@dataclass
class FakeVendor:
    handler: Handler
    log: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeVendor:
        vendor = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                vendor.log.append(Request(self.command, parts.path, query, body, dict(self.headers)))
                try:
                    status, payload = vendor.handler(self.command, parts.path, query, body)
                except Drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.log]


def load(folder: Path, name: str) -> object:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def exported(ws, tmp_path, names) -> dict[str, list[str]]:
    """The workspace's canonical files, as lines, for the tables named."""
    from koers.importers.canonical import export_folder

    out = tmp_path / "export"
    export_folder(ws, out)
    return {t: (out / f"{t}.csv").read_text().splitlines() for t in names}


def kpi_value(ws, kpi_id: str, period: str) -> str:
    """A KPI's value as `koers kpi --format csv` prints it."""
    from typer.testing import CliRunner

    from koers.cli import app

    res = CliRunner().invoke(app, ["kpi", kpi_id, "--period", period, "--format", "csv", "--workspace", ws.url])
    assert res.exit_code == 0, res.output
    return res.output.splitlines()[1].split(",")[2]

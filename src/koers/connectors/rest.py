"""JSON over HTTPS for the REST connectors (Pipedrive, HubSpot).

Every failure becomes a SyncError with a message a person can act on; the
secret is scrubbed from every message, so a token never reaches the
terminal or the run log. A 429 (rate limited) is retried a bounded number of
times, waiting as the vendor's Retry-After asks (capped)."""

from __future__ import annotations

import time

import requests

from koers.connectors.runner import SyncError

RETRIES = 4  # attempts after a 429 before giving up
MAX_WAIT = 30.0  # seconds, whatever Retry-After says
TIMEOUT = 60.0
_sleep = time.sleep  # tests replace it


class Rest:
    def __init__(self, vendor: str, base_url: str, secret: str, *, params: dict | None = None,
                 headers: dict | None = None):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.session = requests.Session()
        self.session.params = dict(params or {})
        self.session.headers.update(headers or {})
        self.session.headers["Accept"] = "application/json"

    def _scrub(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

    def call(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
             missing: tuple[int, ...] = ()) -> dict | None:
        """The JSON answer; None when the status is one of `missing` (a record
        read by id that is gone: 404, 410), instead of a SyncError."""
        url = self.base_url + path
        for attempt in range(RETRIES + 1):
            try:
                resp = self.session.request(method, url, params=params, json=body, timeout=TIMEOUT)
            except requests.RequestException as e:
                raise SyncError(self._scrub(
                    f"{self.vendor} could not be reached ({method} {path}): {type(e).__name__}: {e}"
                )) from None
            if resp.status_code == 429 and attempt < RETRIES:
                _sleep(_wait(resp.headers.get("Retry-After"), attempt))
                continue
            break
        if resp.status_code in missing:
            return None
        if resp.status_code in (401, 403):
            raise SyncError(
                f"{self.vendor} refused the credentials (HTTP {resp.status_code} on {path}): "
                f"check the token and its permissions{_detail(resp, self._scrub)}"
            )
        if resp.status_code == 429:
            raise SyncError(f"{self.vendor} kept rate limiting (HTTP 429 on {path}) after {RETRIES} retries; "
                            "try again later")
        if resp.status_code >= 400:
            raise SyncError(f"{self.vendor} answered HTTP {resp.status_code} on {path}{_detail(resp, self._scrub)}")
        try:
            return resp.json()
        except ValueError:
            raise SyncError(f"{self.vendor} answered {path} with something other than JSON") from None


def _wait(retry_after: str | None, attempt: int) -> float:
    try:
        wait = float(retry_after) if retry_after else 2.0 ** attempt
    except ValueError:
        wait = 2.0 ** attempt
    return max(0.0, min(wait, MAX_WAIT))


def _detail(resp: requests.Response, scrub) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        msg = data.get("error") or data.get("message")
        if isinstance(msg, str) and msg:
            return ": " + scrub(msg)[:300]
    return ""

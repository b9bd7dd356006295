"""Odoo's external API (XML-RPC, standard library only): login, paged reads,
and every failure turned into SyncError with a message that never holds the
API key."""

from __future__ import annotations

import http.client
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable
from datetime import datetime, timedelta

from koers.connectors.runner import SyncError

ARCHIVED_TOO = {"active_test": False}
# what a dropped connection, a proxy error page or a timeout raise
_NETWORK = (xmlrpc.client.Error, OSError, http.client.HTTPException, xml.parsers.expat.ExpatError)


# Odoo stamps write_date with the start of the writing transaction: a long
# transaction (an import of thousands of leads) commits records dated before
# a sync that ran meanwhile. Each run reads again from this long before the
# marker; a row read twice is written once.
OVERLAP = timedelta(minutes=10)


def read_from(marker: str) -> str:
    """The write_date an incremental read starts at, for a marker."""
    at = datetime.strptime(marker[:19], "%Y-%m-%d %H:%M:%S") - OVERLAP
    return at.strftime("%Y-%m-%d %H:%M:%S")


class MissingModel(SyncError):
    """The model is not there: its app is not installed."""

    def __init__(self, model: str):
        super().__init__(f"Odoo has no model {model}: is its app installed?")
        self.model = model


class NoAccess(SyncError):
    """The API user may not read the model."""

    def __init__(self, model: str, why: str):
        super().__init__(f"the Odoo user may not read {model}: {why}")
        self.model = model


class _Timeout:
    """A transport whose connections give up after `timeout` seconds."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


class _Transport(_Timeout, xmlrpc.client.Transport):
    pass


class _SafeTransport(_Timeout, xmlrpc.client.SafeTransport):
    pass


class Odoo:
    """One Odoo database, as one user with an API key."""

    def __init__(self, url: str, db: str, user: str, key: str, say: Callable[[str], None] = lambda _: None,
                 page_size: int = 500, timeout: float = 120):
        self.url, self.db, self.user, self._key = url.rstrip("/"), db, user, key
        self.say, self.page_size, self.timeout = say, page_size, timeout
        self.uid: int | None = None
        self._fields: dict[str, dict] = {}

    def _proxy(self, path: str) -> xmlrpc.client.ServerProxy:
        transport = (_SafeTransport if self.url.startswith("https:") else _Transport)(self.timeout)
        return xmlrpc.client.ServerProxy(f"{self.url}{path}", allow_none=True, transport=transport)

    def _fail(self, doing: str, e: Exception) -> SyncError:
        if isinstance(e, xmlrpc.client.Fault):
            text = str(e.faultString).strip().splitlines()
            why = text[-1] if text else str(e.faultCode)
        elif isinstance(e, xmlrpc.client.ProtocolError):
            why = f"HTTP {e.errcode} {e.errmsg}"
        else:
            why = f"{type(e).__name__}: {e}"
        why = why.replace(self._key, "***") if self._key else why
        return SyncError(f"Odoo at {self.url} (db {self.db}) failed while {doing}: {why}")

    def login(self) -> int:
        try:
            uid = self._proxy("/xmlrpc/2/common").authenticate(self.db, self.user, self._key, {})
        except _NETWORK as e:
            raise self._fail("logging in", e) from None
        if not uid:
            raise SyncError(
                f"Odoo refused login at {self.url} for user {self.user} on db {self.db}: "
                "check the login, the database and the API key (KOERS_ODOO_API_KEY)"
            )
        self.uid = uid
        self._object = self._proxy("/xmlrpc/2/object")
        return uid

    def call(self, model: str, method: str, args: list, kw: dict | None = None):
        if self.uid is None:
            self.login()
        try:
            return self._object.execute_kw(self.db, self.uid, self._key, model, method, args, kw or {})
        except xmlrpc.client.Fault as e:
            text = str(e.faultString)
            # Odoo answers "Object sale.order doesn't exist" (odoo/service/model.py)
            if model in text and ("doesn't exist" in text or "does not exist" in text or "KeyError" in text):
                raise MissingModel(model) from None
            if "AccessError" in text or "not allowed to access" in text:
                raise NoAccess(model, text.strip().splitlines()[-1]) from None
            raise self._fail(f"reading {model}", e) from None
        except _NETWORK as e:
            raise self._fail(f"reading {model}", e) from None

    def fields(self, model: str) -> dict:
        """The model's fields (name -> attributes); MissingModel when it is not installed."""
        if model not in self._fields:
            self._fields[model] = self.call(model, "fields_get", [], {"attributes": ["type", "relation"]})
        return self._fields[model]

    def has(self, model: str) -> bool:
        try:
            self.fields(model)
            return True
        except MissingModel:
            return False

    def present(self, model: str, wanted: list[str]) -> list[str]:
        """The wanted fields this Odoo version has (names differ between versions)."""
        have = self.fields(model)
        return [f for f in wanted if f in have]

    def read_all(self, model: str, domain: list, fields: list[str], context: dict | None = None) -> list[dict]:
        """Every record matching domain, ordered by id, a page at a time."""
        return self._pages(model, domain, fields, "id asc", lambda r: [("id", ">", r["id"])], context)

    def read_in(self, model: str, field: str, ids, domain: list, fields: list[str],
                context: dict | None = None) -> list[dict]:
        """Every record whose `field` is one of ids, asking for a page of ids at a time."""
        ids = sorted(set(ids))
        records: list[dict] = []
        for i in range(0, len(ids), self.page_size):
            records += self.read_all(model, [(field, "in", ids[i:i + self.page_size]), *domain], fields, context)
        return records

    def read_changed(self, model: str, domain: list, fields: list[str], since: str | None,
                     context: dict | None = None) -> list[dict]:
        """Records written at or after `since` (write_date, UTC) less OVERLAP, oldest first.

        Pages follow the last record read (write_date, id) rather than an
        offset, so a record written while we page cannot shift another one
        out of view."""
        first = [("write_date", ">=", read_from(since))] if since else []

        def after(r):
            return ["|", ("write_date", ">", r["write_date"]), "&", ("write_date", "=", r["write_date"]),
                    ("id", ">", r["id"])]

        fields = list(dict.fromkeys([*fields, "write_date"]))
        return self._pages(model, [*domain, *first], fields, "write_date asc, id asc", after, context)

    def _pages(self, model, domain, fields, order, after, context) -> list[dict]:
        records: list[dict] = []
        page_domain = domain
        while True:
            page = self.call(model, "search_read", [page_domain], {
                "fields": fields, "offset": 0, "limit": self.page_size, "order": order,
                "context": context or {},
            })
            records += page
            self.say(f"read {len(records)} {model}")
            if len(page) < self.page_size:
                return records
            page_domain = [*domain, *after(page[-1])]

"""A fake Odoo for the sync tests: Odoo's external API (XML-RPC) on
127.0.0.1, over in-memory Odoo-shaped records.

/xmlrpc/2/common answers version and authenticate; /xmlrpc/2/object answers
execute_kw with search_read (domain in Odoo's prefix notation, fields,
offset, limit, order, context active_test), search and fields_get. An
unknown model or a wrong key raises a Fault as Odoo does. Every call is
logged; `fail` can make a call fail, with a Fault or an HTTP error."""

from __future__ import annotations

import copy
import threading
import xmlrpc.client
from xmlrpc.server import MultiPathXMLRPCServer, SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

DB, LOGIN, KEY, UID = "acme", "admin@example.com", "s3cret-odoo-key", 2

# many2one fields whose dotted paths the fake can follow: (model, field) -> related model
RELATIONS = {("mail.tracking.value", "mail_message_id"): "mail.message", ("res.partner", "commercial_partner_id"):
             "res.partner", ("crm.lead", "stage_id"): "crm.stage"}


def m2o(id_: int, name: str) -> list:
    return [id_, name]


def _value(rec: dict, field: str, store: dict, model: str):
    if "." in field:
        head, rest = field.split(".", 1)
        target = RELATIONS[(model, head)]
        link = rec.get(head)
        if not link:
            return False
        return _value(store[target][link[0]], rest, store, target)
    if field == "id":
        return rec["id"]
    value = rec.get(field, False)
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
        return value[0]  # a many2one compares by id
    return value


def _leaf(rec: dict, leaf, store, model) -> bool:
    field, op, want = leaf
    have = _value(rec, field, store, model)
    if isinstance(have, list):  # x2many
        if op == "!=" and want is False:
            return bool(have)
        if op == "=" and want is False:
            return not have
        if op == "in":
            return bool(set(have) & set(want))
        raise xmlrpc.client.Fault(1, f"fake Odoo: operator {op} on x2many {field}")
    if op == "=":
        return have == want
    if op == "!=":
        return have != want
    if op == "in":
        return have in want
    if op == "not in":
        return have not in want
    if have is False or want is False:
        return False
    return {">": have > want, ">=": have >= want, "<": have < want, "<=": have <= want}[op]


def _match(rec: dict, domain: list, store: dict, model: str) -> bool:
    def term(i: int) -> tuple[bool, int]:
        t = domain[i]
        if t == "&" or t == "|":
            a, j = term(i + 1)
            b, k = term(j)
            return (a and b) if t == "&" else (a or b), k
        if t == "!":
            a, j = term(i + 1)
            return not a, j
        return _leaf(rec, t, store, model), i + 1

    i, ok = 0, True
    while i < len(domain):
        r, i = term(i)
        ok = ok and r
    return ok


class HttpError(Exception):
    """Raised by a `fail` hook: the server answers HTTP 500 instead of XML-RPC (a proxy, a crash)."""


class _Server(MultiPathXMLRPCServer):
    def _marshaled_dispatch(self, data, dispatch_method=None, path=None):
        def dump(value, **kw):
            return xmlrpc.client.dumps(value, allow_none=True, encoding=self.encoding, **kw)

        try:
            params, method = xmlrpc.client.loads(data, use_builtin_types=self.use_builtin_types)
            response = dump((self.dispatchers[path]._dispatch(method, params),), methodresponse=True)
        except HttpError:
            raise  # SimpleXMLRPCRequestHandler.do_POST answers 500
        except xmlrpc.client.Fault as fault:
            response = dump(fault)
        except Exception as e:
            response = dump(xmlrpc.client.Fault(1, f"{type(e).__name__}: {e}"))
        return response.encode(self.encoding, "xmlcharrefreplace")


class FakeOdoo:
    def __init__(self, models: dict[str, list[dict]]):
        # model -> id -> record; a model absent here is "not installed"
        self.store = {m: {r["id"]: copy.deepcopy(r) for r in rs} for m, rs in models.items()}
        self.log: list[dict] = []
        self.fail = None  # fail(model, method, domain, kw, log) -> an exception to raise, or None
        self.server = _Server(("127.0.0.1", 0), requestHandler=_Handler, allow_none=True, logRequests=False)
        common = SimpleXMLRPCDispatcher(allow_none=True)
        common.register_function(lambda: {"server_version": "17.0", "protocol_version": 1}, "version")
        common.register_function(self.authenticate, "authenticate")
        obj = SimpleXMLRPCDispatcher(allow_none=True)
        obj.register_function(self.execute_kw, "execute_kw")
        self.server.add_dispatcher("/xmlrpc/2/common", common)
        self.server.add_dispatcher("/xmlrpc/2/object", obj)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # -- data helpers for the tests
    def put(self, model: str, record: dict) -> None:
        self.store[model].setdefault(record["id"], {}).update(copy.deepcopy(record))

    def calls(self, model: str, method: str = "search_read") -> list[dict]:
        return [c for c in self.log if c["model"] == model and c["method"] == method]

    # -- the API
    def authenticate(self, db, login, key, env):
        return UID if (db, login, key) == (DB, LOGIN, KEY) else False

    def execute_kw(self, db, uid, key, model, method, args, kw=None):
        kw = kw or {}
        if (db, uid, key) != (DB, UID, KEY):
            raise xmlrpc.client.Fault(3, "Access Denied")
        if model not in self.store:
            raise xmlrpc.client.Fault(2, f"Object {model} doesn't exist")  # as odoo/service/model.py
        domain = args[0] if args else kw.get("domain", [])
        self.log.append({"model": model, "method": method, "domain": domain, "kw": kw})
        if self.fail:
            error = self.fail(model, method, domain, kw, self.log)
            if error:
                raise error
        if method == "fields_get":
            return self.fields_get(model)
        if method == "search":
            return [r["id"] for r in self._search(model, domain, kw.get("context", {}))]
        if method == "search_read":
            return self.search_read(model, domain, **kw)
        raise xmlrpc.client.Fault(1, f"fake Odoo: no method {method}")

    def fields_get(self, model: str) -> dict:
        """Each field's type, from its name or its values ([id, name] is a many2one)."""
        types = {n: "char" for n in ("id", "create_date", "write_date", "display_name")}
        for r in self.store[model].values():
            for n, v in r.items():
                if isinstance(v, list) and len(v) == 2 and isinstance(v[0], int) and isinstance(v[1], str):
                    types[n] = "many2one"
                elif n.endswith("_ids"):
                    types[n] = "one2many"
                elif n.endswith("_id") or types.get(n) != "many2one":
                    types[n] = "many2one" if n.endswith("_id") else "char"
        return {n: {"type": t} for n, t in sorted(types.items())}

    def _search(self, model: str, domain: list, context: dict) -> list[dict]:
        recs = list(self.store[model].values())
        mentions_active = any(isinstance(t, list) and t[0] == "active" for t in domain)
        if context.get("active_test", True) and not mentions_active:
            recs = [r for r in recs if r.get("active", True) is not False]
        return [r for r in recs if _match(r, domain, self.store, model)]

    def search_read(self, model, domain, fields=None, offset=0, limit=None, order=None, context=None):
        known = self.fields_get(model)
        for f in fields or []:
            if f not in known:
                raise xmlrpc.client.Fault(1, f"ValueError: Invalid field '{f}' on model '{model}'")
        recs = self._search(model, domain, context or {})
        for part in reversed([p.strip() for p in (order or "id asc").split(",")]):
            name, _, direction = part.partition(" ")
            recs.sort(key=lambda r: (r.get(name) is False, r.get(name)), reverse=direction.lower() == "desc")
        recs = recs[offset: offset + limit if limit else None]
        return [{f: r.get(f, False) for f in ["id", *(fields or sorted(known))]} for r in recs]


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")

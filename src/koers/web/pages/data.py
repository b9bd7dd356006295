"""Data: every import and sync run of the workspace, newest first, so a
sales manager sees how fresh the figures are and sales ops sees what a
sync read, wrote and rejected (the web side of `koers sync log`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from koers.datalog import REJECT_FIELDS, local_text, logged_import, read_rejects, rejects_file
from koers.web.i18n import word
from koers.web.render import ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)


@router.get("/data")
def data_page(request: Request) -> Response:
    ask = ask_for(request)
    lang, tz = ask.view.lang, ask.settings.tz
    log = cockpit_of(request).data_log()
    imports = [{"imported_at": local_text(r["imported_at"], tz), "source": r["source"], "read": r["rows_read"],
                "written": r["rows_written"], "rejected": r["rows_rejected"], "rejects_path": r["rejects_path"] or "",
                "import_id": r["import_id"]}
               for r in log.imports.to_dict("records")]
    runs = [{**r, "started_at": local_text(r["started_at"], tz), "finished_at": local_text(r["finished_at"], tz),
             "message": r["message"] if isinstance(r["message"], str) else ""} for r in log.runs().to_dict("records")]
    per_table = [{"started_at": local_text(r["started_at"], tz), "source": r["source"], "table": r["tbl"] or "",
                  "read": r["rows_read"], "written": r["rows_written"], "rejected": r["rows_rejected"],
                  "status": r["status"]} for r in log.syncs.to_dict("records")]
    counted = [Column(k, word(k, lang), "number") for k in ("read", "written", "rejected")]
    tables = [
        make_table(ask, "imports", word("imports", lang),
                   [Column("imported_at", word("imported_at", lang)), Column("source", word("origin", lang)),
                    *counted, Column("rejects_path", word("rejects_path", lang))], imports,
                   links=[{"rejected": ask.view.url("/data/rejects", import_id=r["import_id"])} if r["rejected"]
                          else {} for r in imports],
                   classes=[{"rejected": "bad" if r["rejected"] else ""} for r in imports]),
        make_table(ask, "syncs", word("syncs", lang),
                   [Column("started_at", word("started", lang)), Column("finished_at", word("finished", lang)),
                    Column("source", word("origin", lang)), *counted, Column("status", word("status", lang)),
                    Column("message", word("message", lang))], runs,
                   classes=[{"status": "bad" if r["status"] == "failed" else "good"} for r in runs]),
        make_table(ask, "sync_tables", word("sync_tables", lang),
                   [Column("started_at", word("started", lang)), Column("source", word("origin", lang)),
                    Column("table", word("table", lang)), *counted, Column("status", word("status", lang))],
                   per_table),
    ]
    return page(request, ask, "data.html", "data", word("data", lang), tables)


SHOWN = 10_000  # rejected rows on one page; the file holds every one


@router.get("/data/rejects")
def rejects_page(request: Request, import_id: str = "") -> Response:
    """The rows one import rejected, as its rejects file lists them: what
    sales ops fixes in the CRM before the next export."""
    ask = ask_for(request)
    lang, tz = ask.view.lang, ask.settings.tz
    cockpit = cockpit_of(request)
    logged = logged_import(cockpit.data_log(), import_id)
    if logged is None or not logged["rows_rejected"]:
        raise HTTPException(404, f"no import '{import_id}' with rejected rows; /data lists the imports")
    path = rejects_file(cockpit.ws, logged)
    rows = read_rejects(path, SHOWN + 1) if path is not None else []  # one more: are there more?
    cut, rows = len(rows) > SHOWN, rows[:SHOWN]
    columns = [Column(c, word(c, lang)) for c in REJECT_FIELDS]
    table = make_table(ask, "rejects", word("rejected_rows", lang), columns, rows)
    return page(request, ask, "rejects.html", "data", word("rejected_rows", lang), [table],
                logged={"imported_at": local_text(logged["imported_at"], tz), "source": logged["source"],
                        "rejected": logged["rows_rejected"], "path": str(path or logged["rejects_path"] or "")},
                found=path is not None, cut=cut)

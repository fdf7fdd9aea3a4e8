"""What a page's request carries, read in one place: the pages' side of the input boundary
(the JSON API's is ``server.parsing``). The limits of ``server.limits`` already hold for
every field and query parameter (the request middleware refuses control characters and
overlong text before any page runs); here each value is read as text, trimmed of nothing,
one value per name unless a list is asked for."""

from __future__ import annotations

from sanic.request import File, Request


def form(request: Request) -> dict[str, str]:
    """The form's fields, the first value of each (empty without a form)."""
    fields = request.form or {}
    return {name: fields.get(name) or "" for name in fields}


def form_list(request: Request, name: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes)."""
    return [x for x in (request.form.getlist(name) if request.form else []) if x]


def form_rows(request: Request, *names: str) -> list[dict[str, str]]:
    """Repeated fields read side by side (the i-th ``kind`` with the i-th ``reference``);
    a row whose fields are all empty is left out."""
    columns = [request.form.getlist(n) if request.form else [] for n in names]
    rows = [
        {
            n: (column[i] if i < len(column) else "") or ""
            for n, column in zip(names, columns, strict=True)
        }
        for i in range(max((len(c) for c in columns), default=0))
    ]
    return [r for r in rows if any(v.strip() for v in r.values())]


def query_value(request: Request, name: str) -> str | None:
    """One query parameter (the last value when repeated, as the API reads it); None when
    the request does not carry it."""
    values = request.args.getlist(name) if request.args else []
    return values[-1] if values else None


def upload(request: Request, name: str = "file") -> File | None:
    """The uploaded file of a multipart form field."""
    return (request.files or {}).get(name)

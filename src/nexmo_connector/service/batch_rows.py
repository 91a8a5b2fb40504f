"""A new batch's rows, from JSON or a streamed CSV: every row validated before anything is
queued, stored a thousand at a time (a 100,000-row CSV is never held in memory)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from nexmo_connector import errors
from nexmo_connector.batch import Template, TemplateError
from nexmo_connector.service.batches import row_of
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.store import batches
from nexmo_connector.service.tables import Batch

CHUNK = 1000
MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_FIELD = 64 * 1024
MAX_PROBLEMS = 1000
Values = dict[str, str]


def template_of(text: str) -> Template:
    try:
        return Template.parse(text)
    except TemplateError as exc:
        raise Problem(422, "invalid-input", f"text: {exc}",
                      errors=[{"field": "text", "reason": str(exc)}]) from None  # fmt: skip


def _problem(line: int, values: Values, template: Template, batch: Batch) -> tuple[str, str] | None:
    """``(field, reason)`` when the row cannot be sent."""
    if not values.get("to"):
        return "to", "required in every row"
    missing = sorted(template.fields - set(values))
    if missing:
        return "text", f"this row has no column {missing[0]!r}"
    try:
        row_of(batch, line, values, values["to"])
    except errors.ValidationError as exc:
        return exc.field, exc.reason
    return None


async def store(
    session: AsyncSession, batch: Batch, rows: Iterable[tuple[int, Values]], skip_invalid: bool
) -> int:
    """Validate and store every row (in the caller's transaction); how many there were.

    Bad rows → one 422 naming each row (its number and field), unless ``skip_invalid``
    records them ``invalid``."""
    template = template_of(batch.text)
    problems: list[dict[str, Any]] = []
    chunk: list[dict[str, Any]] = []
    count = 0
    for line, values in rows:
        count = line
        found = _problem(line, values, template, batch)
        if found is not None and len(problems) < MAX_PROBLEMS:
            problems.append({"row": line, "field": found[0], "reason": found[1]})
        error = f"{found[0]}: {found[1]}" if found else ""
        chunk.append({"line": line, "to": values.get("to", "")[:32], "values": json.dumps(values),
                      "state": "invalid" if found else "pending", "error": error})  # fmt: skip
        if len(chunk) == CHUNK:
            await batches.add_rows(session, batch.id, chunk)
            chunk = []
    if problems and not skip_invalid:
        shown = "; ".join(f"row {p['row']}: {p['field']}: {p['reason']}" for p in problems[:5])
        more = f" (and more: {len(problems)} listed)" if len(problems) > 5 else ""
        raise Problem(422, "invalid-input", shown + more, errors=problems)
    if chunk:
        await batches.add_rows(session, batch.id, chunk)
    return count


# -- CSV -----------------------------------------------------------------------------------
async def spool(request: Request) -> tuple[IO[bytes], str]:
    """The body in a temporary file (memory only while small), and its SHA-256."""
    body = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - handed back
    digest, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CSV_BYTES:
            body.close()
            raise Problem(413, "too-large", f"a CSV batch is at most {MAX_CSV_BYTES} bytes")
        digest.update(chunk)
        body.write(chunk)
    body.seek(0)
    return body, digest.hexdigest()


def csv_rows(body: IO[bytes]) -> Iterator[tuple[int, Values]]:
    """``(row number, columns)`` of each data row (the header excluded), streamed."""
    text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(text, strict=True)
    try:
        columns = reader.fieldnames or []
        doubled = sorted({c for c in columns if columns.count(c) > 1})
        if doubled:
            raise Problem(422, "invalid-input", f"body: column {doubled[0]!r} appears twice")
        if "to" not in columns:
            raise Problem(422, "invalid-input", "body: the CSV needs a 'to' column",
                          errors=[{"field": "to", "reason": "no such column"}])  # fmt: skip
        for number, values in enumerate(reader, start=1):
            if None in values or any(v is None for v in values.values()):
                raise Problem(422, "invalid-input", f"row {number}: wrong number of fields",
                              errors=[{"row": number, "field": "body",
                                       "reason": "wrong number of fields"}])  # fmt: skip
            yield number, values
    except UnicodeDecodeError:
        raise Problem(422, "invalid-input", "body: the CSV is not UTF-8") from None
    except csv.Error as exc:
        raise Problem(422, "invalid-input", f"body: line {reader.line_num}: {exc}") from None

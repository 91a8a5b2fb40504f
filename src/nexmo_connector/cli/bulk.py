"""``nexmo-connector sms bulk``: a template sent to every row of a CSV, safe to interrupt.

Every row is validated before the first send. A journal records each row's state, marked
``inflight`` before its request leaves: a rerun of the same command skips accepted rows,
resolves rows that were in flight when the process died by looking their ``client-ref``
up upstream, and sends the rest. Nothing accepted is sent twice; nothing is skipped.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import sqlite3
import string
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from nexmo_connector import errors
from nexmo_connector.cli.common import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_THROTTLED,
    EXIT_TRANSPORT,
    EXIT_USAGE,
    Settings,
    describe,
    exit_code,
    fail,
    flag,
    table,
)
from nexmo_connector.cli.journal import Entry, Journal
from nexmo_connector.client import AsyncNexmoClient
from nexmo_connector.lookup import SentLookup
from nexmo_connector.models import SmsRequest, validated
from nexmo_connector.throttle import RateLimiter

MAX_SHOWN_PROBLEMS = 50
RESULT_COLUMNS = ["line", "to", "client_ref", "message_ids", "status", "parts", "price", "error"]


@dataclass
class Row:
    line: int
    request: SmsRequest
    digest: str


@dataclass
class CsvRows:
    """The valid rows of a CSV, and ``(line, reason)`` for each invalid one."""

    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def _template_fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        fail(f"--text: not a valid template: {exc}", EXIT_USAGE)


def _digest(request: SmsRequest) -> str:
    content = json.dumps(request.to_wire() | {"client-ref": ""}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def batch_key(*identity: object) -> str:
    """What makes two runs the same batch: sender, template, columns and options."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def read_rows(
    path: Path,
    sender: str,
    template: str,
    to_column: str,
    ref_column: str | None,
    options: dict[str, Any],
) -> CsvRows:
    """Read and validate every row; problems are collected with their line numbers."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"FILE: cannot read {path}: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"FILE: {path} is not UTF-8 text", EXIT_USAGE)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    for needed, option in ((to_column, "--to-column"), (ref_column, "--client-ref-column")):
        if needed is not None and needed not in columns:
            fail(
                f"{option}: the CSV has no column {needed!r} (it has {', '.join(columns)})",
                EXIT_USAGE,
            )
    unknown = _template_fields(template) - set(columns)
    if unknown:
        fail(f"--text: the CSV has no column {', '.join(sorted(unknown))}", EXIT_USAGE)
    parsed = CsvRows()
    for values in reader:
        line = reader.line_num
        if None in values or any(v is None for v in values.values()):
            parsed.problems.append((line, "wrong number of fields"))
            continue
        try:
            request = validated(
                SmsRequest,
                from_=sender,
                to=values[to_column],
                text=template.format_map(values),
                client_ref=values[ref_column] if ref_column else None,
                **options,
            )
        except errors.ValidationError as exc:
            parsed.problems.append((line, f"{flag(exc.field)}: {exc.reason}"))
            continue
        parsed.rows.append(Row(line, request, _digest(request)))
    refs = [row.request.client_ref for row in parsed.rows if ref_column]
    if len(set(refs)) != len(refs):
        fail("--client-ref-column: client references must be unique per row", EXIT_USAGE)
    return parsed


def _with_ref(row: Row, batch: str) -> Row:
    """The row with its stable ``client-ref``: yours, or ``<batch>-<line>``."""
    if row.request.client_ref:
        return row
    request = row.request.model_copy(update={"client_ref": f"{batch}-{row.line}"})
    return Row(row.line, request, row.digest)


class BulkSender:
    """Sends the rows not yet accepted, with bounded concurrency, journaling every step."""

    def __init__(
        self,
        batch: str,
        rows: list[Row],
        journal: Journal,
        client: AsyncNexmoClient,
        lookup: SentLookup,
        concurrency: int,
        resend_unknown: bool,
    ) -> None:
        self.batch = batch
        self.rows = [_with_ref(row, batch) for row in rows]
        self.journal = journal
        self.client = client
        self.lookup = lookup
        self.concurrency = concurrency
        self.resend_unknown = resend_unknown
        self.entries = journal.entries(batch)
        self.fatal: errors.NexmoError | None = None
        sent = [e for e in self.entries.values() if e.state == "sent"]
        self.parts = sum(e.parts for e in sent)
        self.cost = sum((Decimal(e.price) for e in sent), Decimal(0))

    def _save(self, entry: Entry) -> None:
        self.journal.save(self.batch, entry)

    def entry(self, row: Row) -> Entry:
        if row.line not in self.entries:
            request = row.request
            self.entries[row.line] = Entry(
                row.line, request.client_ref or "", request.to, row.digest
            )
        return self.entries[row.line]

    def reconcile(self) -> list[int]:
        """Lines whose content changed since they may have been sent (they are conflicts).

        A changed row that was certainly not accepted is simply sent with its new content.
        """
        conflicts = []
        for row in self.rows:
            entry = self.entries.get(row.line)
            if entry is None or entry.digest == row.digest:
                continue
            if entry.state in ("sent", "inflight", "unknown"):
                conflicts.append(row.line)
                continue
            self.entries[row.line] = Entry(row.line, entry.client_ref, row.request.to, row.digest)
        return conflicts

    def _sent(self, entry: Entry, ids: list[str], price: Decimal, error: str = "") -> None:
        entry.state, entry.error = "sent", error
        entry.message_ids, entry.parts, entry.price = " ".join(ids), len(ids), str(price)
        self.parts += len(ids)
        self.cost += price

    async def resolve_unknown(self) -> None:
        """Rows in flight when a run died: accepted (found upstream), not sent, or unknown."""
        for entry in self.entries.values():
            if entry.state not in ("inflight", "unknown"):
                continue
            found = await self.lookup.find(entry.client_ref, entry.updated)
            if found:
                self._sent(entry, found, Decimal(0))
            elif found == [] or self.resend_unknown:
                entry.state, entry.error = "pending", ""
            else:
                entry.state = "unknown"
                entry.error = (
                    "in flight when the run stopped; upstream cannot tell if it was accepted"
                )
            self._save(entry)

    async def _send(self, row: Row, entry: Entry) -> None:
        entry.state = "inflight"
        self._save(entry)
        try:
            result = await self.client.send_sms(**row.request.model_dump(exclude_none=True))
            self._sent(entry, result.message_ids, result.price)
        except errors.SmsRejectedError as exc:
            if exc.partial:
                ids = [p.message_id or "" for p in exc.accepted]
                price = sum((p.message_price or Decimal(0) for p in exc.accepted), Decimal(0))
                self._sent(entry, ids, price, error=describe(exc))
            else:
                entry.state, entry.error = "rejected", describe(exc)
        except (errors.ThrottledError, errors.AuthenticationError) as exc:
            entry.state, entry.error = "pending", describe(exc)  # certainly not accepted
            if isinstance(exc, errors.AuthenticationError):
                self.fatal = exc
        except errors.TransportError as exc:
            entry.state, entry.error = ("unknown" if exc.sent else "pending"), describe(exc)
        except errors.NexmoError as exc:
            entry.state, entry.error = "unknown", describe(exc)
        if entry.state == "unknown":
            found = await self.lookup.find(entry.client_ref, entry.updated)
            if found:
                self._sent(entry, found, Decimal(0))
        self._save(entry)

    def pending(self) -> list[Row]:
        return [row for row in self.rows if self.entry(row).state == "pending"]

    async def run(self, progress: Progress | None, task: TaskID | None) -> None:
        queue: asyncio.Queue[Row] = asyncio.Queue()
        for row in self.pending():
            queue.put_nowait(row)

        async def worker() -> None:
            while not queue.empty() and self.fatal is None:
                row = queue.get_nowait()
                await self._send(row, self.entry(row))
                if progress is not None and task is not None:
                    progress.update(task, advance=1, **self.totals())

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def totals(self) -> dict[str, Any]:
        return {"parts": self.parts, "cost": f"{self.cost:.4f}"}


def write_results(
    path: Path, rows: list[Row], entries: dict[int, Entry], problems: list[tuple[int, str]]
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for row in rows:
            e = entries.get(row.line)
            if e is None:
                writer.writerow(
                    [row.line, row.request.to, row.request.client_ref, "", "pending", 0, "0", ""]
                )
                continue
            writer.writerow(
                [
                    e.line,
                    e.recipient,
                    e.client_ref,
                    e.message_ids,
                    e.state,
                    e.parts,
                    e.price,
                    e.error,
                ]
            )
        for line, reason in problems:
            writer.writerow([line, "", "", "", "invalid", 0, "0", reason])


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:5.1f}/s")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[parts]} parts, €{task.fields[cost]}"),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    )


async def _send_all(settings: Settings, sender: BulkSender, rate: float) -> None:
    """Resolve rows left in flight, then send the rest under the rate, with a progress bar."""
    await sender.resolve_unknown()
    total = len(sender.rows)
    with _progress(settings.quiet) as progress:
        done = total - len(sender.pending())
        task = progress.add_task("send", total=total, completed=done, **sender.totals())
        await sender.run(progress, task)


async def _run(
    settings: Settings, batch: str, rows: list[Row], journal: Journal, rate: float,
    concurrency: int, resend_unknown: bool,
) -> BulkSender:  # fmt: skip
    per_minute = rate < 1  # limits counts whole calls: slow rates go per minute
    limiter = RateLimiter(f"{round(rate * 60)}/minute" if per_minute else f"{round(rate)}/second")
    async with settings.async_client(limiter) as client:
        lookup = SentLookup(
            client.rest_url, client.api_url, client.api_key, settings.api_secret or ""
        )
        try:
            sender = BulkSender(batch, rows, journal, client, lookup, concurrency, resend_unknown)
            conflicts = sender.reconcile()
            if conflicts:
                shown = ", ".join(map(str, conflicts[:20]))
                fail(
                    f"FILE: line(s) {shown} changed since they may have been sent; "
                    "use a new --journal to send this file as a new batch",
                    EXIT_USAGE,
                )
            await _send_all(settings, sender, rate)
            return sender
        finally:
            await lookup.aclose()


def bulk(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with a header row.", metavar="FILE.csv")],
    sender: Annotated[str, typer.Option("--from", help="Sender id for every message.")],
    text: Annotated[str, typer.Option(help='Template filled from the columns: "Hi {name}".')],
    to_column: Annotated[str, typer.Option(help="Column with the recipient.")] = "to",
    client_ref_column: Annotated[
        str | None, typer.Option(help="Column with your own unique reference per row.")
    ] = None,
    journal_path: Annotated[
        Path | None, typer.Option("--journal", help="Journal file (default: FILE.csv.journal).")
    ] = None,
    results_path: Annotated[
        Path | None, typer.Option("--results", help="Results CSV (default: FILE.results.csv).")
    ] = None,
    rate: Annotated[float, typer.Option(min=0.1, help="Sends per second at most.")] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight.")] = 8,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Send the valid rows even if some are not.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option("--resend-unknown", help="Resend rows whose earlier send cannot be verified."),
    ] = False,
    sms_type: Annotated[str | None, typer.Option("--type", help="Force text or unicode.")] = None,
    callback: Annotated[str | None, typer.Option(help="Delivery receipt URL.")] = None,
    status_report_req: Annotated[
        bool | None, typer.Option("--status-report-req/--no-status-report-req")
    ] = None,
    ttl: Annotated[int | None, typer.Option(help="Lifespan in milliseconds.")] = None,
    *,
    settings: Settings,
) -> None:
    """Send a template to every row of a CSV; interrupt and rerun at will.

    Example: nexmo-connector sms bulk people.csv --from Acme --text "Hi {name}" --rate 10
    """
    options = {
        k: v
        for k, v in {
            "type": sms_type,
            "callback": callback,
            "status_report_req": status_report_req,
            "ttl": ttl,
        }.items()
        if v is not None
    }
    out = settings.out
    parsed = read_rows(file, sender, text, to_column, client_ref_column, options)
    for line, reason in parsed.problems[:MAX_SHOWN_PROBLEMS]:
        out.stderr.print(f"line {line}: {reason}", highlight=False, markup=False)
    if len(parsed.problems) > MAX_SHOWN_PROBLEMS:
        out.stderr.print(f"… and {len(parsed.problems) - MAX_SHOWN_PROBLEMS} more")
    if parsed.problems and not skip_invalid:
        count = len(parsed.problems)
        fail(f"{count} invalid row(s); nothing was sent (see --skip-invalid)", EXIT_USAGE)
    journal = _open_journal(journal_path or file.with_name(file.name + ".journal"))
    batch = journal.batch_ref(batch_key(sender, text, to_column, client_ref_column, options))
    results = results_path or file.with_name(file.stem + ".results.csv")
    if not results.parent.is_dir():
        fail(f"--results: cannot write {results}: no folder {results.parent}", EXIT_USAGE)
    interrupted, fatal = False, None
    try:
        run = asyncio.run(
            _run(settings, batch, parsed.rows, journal, rate, concurrency, resend_unknown)
        )
        rows, entries, fatal = run.rows, run.entries, run.fatal
    except KeyboardInterrupt:
        interrupted = True
        rows, entries = parsed.rows, journal.entries(batch)
    except errors.NexmoError as exc:
        fail(describe(exc), exit_code(exc))
    finally:
        journal.close()
    try:
        write_results(results, rows, entries, parsed.problems)
    except OSError as exc:
        fail(
            f"--results: cannot write {results}: {exc.strerror} (the journal has it all)",
            EXIT_USAGE,
        )
    summary = _summary(batch, rows, entries, parsed.problems, results)
    out.emit(
        summary, lambda: table("Bulk send", ["", "value"], [[k, v] for k, v in summary.items()])
    )
    if interrupted:
        out.note("interrupted: rerun the same command to resume")
        raise typer.Exit(130)
    if fatal is not None:
        fail(describe(fatal), EXIT_AUTH)
    raise typer.Exit(_exit_code(entries))


def _open_journal(path: Path) -> Journal:
    try:
        return Journal(path)
    except sqlite3.Error as exc:
        fail(f"--journal: cannot open {path}: {exc}", EXIT_USAGE)


def _summary(
    batch: str,
    rows: list[Row],
    entries: dict[int, Entry],
    problems: list[tuple[int, str]],
    results: Path,
) -> dict[str, Any]:
    states = [entries[row.line].state if row.line in entries else "pending" for row in rows]
    sent = [
        entries[row.line]
        for row in rows
        if row.line in entries and entries[row.line].state == "sent"
    ]
    return {
        "batch": batch,
        "rows": len(rows) + len(problems),
        "sent": states.count("sent"),
        "rejected": states.count("rejected"),
        "unknown": states.count("unknown"),
        "pending": states.count("pending") + states.count("inflight"),
        "invalid": len(problems),
        "parts": sum(e.parts for e in sent),
        "price": str(sum((Decimal(e.price) for e in sent), Decimal(0))),
        "results": str(results),
    }


def _exit_code(entries: dict[int, Entry]) -> int:
    states = {entry.state for entry in entries.values()}
    if "pending" in states:
        errors_seen = " ".join(e.error for e in entries.values() if e.state == "pending")
        return EXIT_THROTTLED if "throttled" in errors_seen else EXIT_TRANSPORT
    if states & {"rejected", "unknown"}:
        return EXIT_REJECTED
    return EXIT_OK

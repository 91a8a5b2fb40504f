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
import json
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
from nexmo_connector.models import SmsRequest, SmsResponse, validated
from nexmo_connector.throttle import RateLimiter

MAX_SHOWN_PROBLEMS = 50
RESULT_COLUMNS = ["line", "to", "client_ref", "message_ids", "status", "parts", "price", "error"]


@dataclass
class Row:
    line: int
    request: SmsRequest


@dataclass
class Batch:
    """The validated rows of one CSV and the identity that keys its journal."""

    id: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _template_fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        fail(f"--text: not a valid template: {exc}", EXIT_USAGE)


def read_batch(
    path: Path,
    sender: str,
    template: str,
    to_column: str,
    ref_column: str | None,
    options: dict[str, Any],
) -> Batch:
    """Read and validate every row; problems are collected with their line numbers."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        fail(f"FILE: cannot read {path}: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"FILE: {path} is not UTF-8 text", EXIT_USAGE)
    identity = json.dumps([sender, template, to_column, ref_column, options], sort_keys=True)
    batch = Batch(hashlib.sha256(raw + identity.encode()).hexdigest()[:12])
    reader = csv.DictReader(text.splitlines())
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
    for number, values in enumerate(reader, start=2):
        line = reader.line_num if reader.line_num else number
        if None in values or any(v is None for v in values.values()):
            batch.problems.append(f"line {line}: wrong number of fields")
            continue
        client_ref = values[ref_column] if ref_column else f"{batch.id}-{line}"
        try:
            request = validated(
                SmsRequest,
                from_=sender,
                to=values[to_column],
                text=template.format_map(values),
                client_ref=client_ref,
                **options,
            )
        except errors.ValidationError as exc:
            batch.problems.append(f"line {line}: {flag(exc.field)}: {exc.reason}")
            continue
        batch.rows.append(Row(line, request))
    refs = [row.request.client_ref for row in batch.rows]
    if len(set(refs)) != len(refs):
        fail("--client-ref-column: client references must be unique per row", EXIT_USAGE)
    return batch


class BulkSender:
    """Sends the pending rows with bounded concurrency, journaling every step."""

    def __init__(
        self,
        batch: Batch,
        journal: Journal,
        client: AsyncNexmoClient,
        lookup: SentLookup,
        concurrency: int,
        resend_unknown: bool,
    ) -> None:
        self.batch = batch
        self.journal = journal
        self.client = client
        self.lookup = lookup
        self.concurrency = concurrency
        self.resend_unknown = resend_unknown
        self.entries = journal.entries(batch.id)
        self.fatal: errors.NexmoError | None = None

    def _save(self, entry: Entry) -> None:
        self.journal.save(self.batch.id, entry)

    def entry(self, row: Row) -> Entry:
        if row.line not in self.entries:
            self.entries[row.line] = Entry(row.line, row.request.client_ref or "", row.request.to)
        return self.entries[row.line]

    async def resolve_unknown(self) -> None:
        """Rows in flight when a run died: accepted (found upstream), not sent, or unknown."""
        for entry in self.entries.values():
            if entry.state not in ("inflight", "unknown"):
                continue
            found = await self.lookup.find(entry.client_ref, entry.updated)
            if found:
                entry.state, entry.message_ids = "sent", " ".join(found)
                entry.parts, entry.error = len(found), ""
            elif found == [] or self.resend_unknown:
                entry.state, entry.error = "pending", ""
            else:
                entry.state = "unknown"
                entry.error = (
                    "in flight when the run stopped; upstream cannot tell if it was accepted"
                )
            self._save(entry)

    def _accepted(self, entry: Entry, result: SmsResponse) -> None:
        entry.state, entry.error = "sent", ""
        entry.message_ids = " ".join(result.message_ids)
        entry.parts, entry.price = len(result.message_ids), str(result.price)

    async def _send(self, row: Row, entry: Entry) -> None:
        entry.state = "inflight"
        self._save(entry)
        request = row.request
        try:
            result = await self.client.send_sms(**request.model_dump(exclude_none=True))
            self._accepted(entry, result)
        except errors.SmsRejectedError as exc:
            entry.state, entry.error = ("sent" if exc.partial else "rejected"), describe(exc)
            entry.message_ids = " ".join(p.message_id or "" for p in exc.accepted)
            entry.parts = len(exc.accepted)
            entry.price = str(
                sum((p.message_price or Decimal(0) for p in exc.accepted), Decimal(0))
            )
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
                entry.state, entry.message_ids, entry.parts = "sent", " ".join(found), len(found)
        self._save(entry)

    async def run(self, progress: Progress | None, task: TaskID | None) -> None:
        queue: asyncio.Queue[Row] = asyncio.Queue()
        for row in self.batch.rows:
            if self.entry(row).state == "pending":
                queue.put_nowait(row)

        async def worker() -> None:
            while not queue.empty() and self.fatal is None:
                row = queue.get_nowait()
                entry = self.entry(row)
                await self._send(row, entry)
                if progress is not None and task is not None:
                    progress.update(task, advance=1, **self.totals())

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def totals(self) -> dict[str, Any]:
        sent = [e for e in self.entries.values() if e.state == "sent"]
        cost = sum((Decimal(e.price) for e in sent), Decimal(0))
        return {"parts": sum(e.parts for e in sent), "cost": f"{cost:.4f}"}


def write_results(path: Path, batch: Batch, entries: dict[int, Entry], invalid: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for row in batch.rows:
            e = entries.get(row.line) or Entry(
                row.line, row.request.client_ref or "", row.request.to
            )
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
        for problem in invalid:
            line, _, reason = problem.partition(": ")
            writer.writerow([line.removeprefix("line "), "", "", "", "invalid", 0, "0", reason])


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


async def _run_batch(
    settings: Settings,
    batch: Batch,
    journal: Journal,
    rate: float,
    concurrency: int,
    resend_unknown: bool,
) -> BulkSender:
    limiter = RateLimiter(f"{max(1, round(rate))}/second")
    async with settings.async_client(limiter) as client:
        lookup = SentLookup(
            client.rest_url, client.api_url, client.api_key, settings.api_secret or ""
        )
        try:
            sender = BulkSender(batch, journal, client, lookup, concurrency, resend_unknown)
            await sender.resolve_unknown()
            pending = sum(1 for row in batch.rows if sender.entry(row).state == "pending")
            done = len(batch.rows) - pending
            with _progress(settings.quiet) as progress:
                task = progress.add_task(
                    "send", total=len(batch.rows), completed=done, **sender.totals()
                )
                await sender.run(progress, task)
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
    batch = read_batch(file, sender, text, to_column, client_ref_column, options)
    if batch.problems:
        for problem in batch.problems[:MAX_SHOWN_PROBLEMS]:
            out.stderr.print(problem, highlight=False, markup=False)
        if len(batch.problems) > MAX_SHOWN_PROBLEMS:
            out.stderr.print(f"… and {len(batch.problems) - MAX_SHOWN_PROBLEMS} more")
        if not skip_invalid:
            fail(
                f"{len(batch.problems)} invalid row(s); nothing was sent (see --skip-invalid)",
                EXIT_USAGE,
            )
    journal = Journal(journal_path or file.with_name(file.name + ".journal"))
    results = results_path or file.with_name(file.stem + ".results.csv")
    interrupted = False
    try:
        sender_run = asyncio.run(
            _run_batch(settings, batch, journal, rate, concurrency, resend_unknown)
        )
        entries = sender_run.entries
        fatal = sender_run.fatal
    except KeyboardInterrupt:
        interrupted, fatal = True, None
        entries = journal.entries(batch.id)
    except errors.NexmoError as exc:
        fail(describe(exc), exit_code(exc))
    finally:
        journal.close()
    write_results(results, batch, entries, batch.problems)
    summary = _summary(batch, entries, results)
    out.emit(
        summary, lambda: table("Bulk send", ["", "value"], [[k, v] for k, v in summary.items()])
    )
    if interrupted:
        out.note("interrupted: rerun the same command to resume")
        raise typer.Exit(130)
    if fatal is not None:
        fail(describe(fatal), EXIT_AUTH)
    raise typer.Exit(_exit_code(entries))


def _summary(batch: Batch, entries: dict[int, Entry], results: Path) -> dict[str, Any]:
    states = [entries[row.line].state if row.line in entries else "pending" for row in batch.rows]
    sent = [
        entries[row.line]
        for row in batch.rows
        if row.line in entries and entries[row.line].state == "sent"
    ]
    return {
        "batch": batch.id,
        "rows": len(batch.rows) + len(batch.problems),
        "sent": states.count("sent"),
        "rejected": states.count("rejected"),
        "unknown": states.count("unknown"),
        "pending": states.count("pending") + states.count("inflight"),
        "invalid": len(batch.problems),
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

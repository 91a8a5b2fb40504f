"""``nexmo-connector sms bulk``: a template sent to every row of a CSV, safe to interrupt.

Every row, and every option, is validated before the first send. The batch engine
(``nexmo_connector.batch``) journals each row, marked ``inflight`` before its request
leaves: a rerun of the same command skips accepted rows, resolves rows that were in flight
when the process died by looking them up upstream, and sends the rest. This module keeps
what is the command line's: the CSV, the outputs, the progress bar and the exit code.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

if TYPE_CHECKING:  # the engine loads when a bulk send runs, not for --help
    from nexmo_connector.batch import BatchSender, Entry, Pacer, Row, Template
    from nexmo_connector.cli.journal import Journal

from nexmo_connector import errors
from nexmo_connector.cli.common import (
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
    whole,
)

MAX_SHOWN_PROBLEMS = 50
MAX_FIELD = 1024 * 1024
"""Longest CSV field read (a text is at most 3,200 characters; this only bounds memory)."""
RESULT_COLUMNS = ["line", "to", "client_ref", "message_ids", "status", "parts", "price", "error"]
PROBE_TO = "447700900000"


@dataclass
class CsvRows:
    """The valid rows of a CSV, and ``(line, reason)`` for each invalid one."""

    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def check_options(sender: str, options: dict[str, Any]) -> None:
    """Refuse a bad flag once, before any row is read (not once per row)."""
    from nexmo_connector.models import SmsRequest, validated

    try:
        validated(SmsRequest, from_=sender, to=PROBE_TO, text="probe", **options)
    except errors.ValidationError as exc:
        fail(describe(exc), EXIT_USAGE)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"FILE: cannot read {path}: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"FILE: {path} is not UTF-8 text", EXIT_USAGE)


def read_rows(
    path: Path,
    sender: str,
    template: Template,
    to_column: str,
    ref_column: str | None,
    options: dict[str, Any],
) -> CsvRows:
    """Read and validate every row; problems are collected with their line numbers."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""), strict=True)
    parsed = CsvRows()
    try:
        columns = reader.fieldnames or []
        doubled = sorted({c for c in columns if columns.count(c) > 1})
        if doubled:
            fail(f"FILE: column(s) {', '.join(map(repr, doubled))} appear more than once", 2)
        for needed, option in ((to_column, "--to-column"), (ref_column, "--client-ref-column")):
            if needed is not None and needed not in columns:
                have = ", ".join(columns)
                fail(f"{option}: the CSV has no column {needed!r} (it has {have})", EXIT_USAGE)
        unknown = template.fields - set(columns)
        if unknown:
            fail(f"--text: the CSV has no column {', '.join(sorted(unknown))}", EXIT_USAGE)
        for values in reader:
            _read_row(parsed, reader.line_num, values, sender, template, to_column, ref_column,
                      options)  # fmt: skip
    except csv.Error as exc:
        fail(f"FILE: line {reader.line_num}: not valid CSV: {exc}", EXIT_USAGE)
    refs = [row.request.client_ref for row in parsed.rows if ref_column]
    if len(set(refs)) != len(refs):
        fail("--client-ref-column: client references must be unique per row", EXIT_USAGE)
    return parsed


def _read_row(
    parsed: CsvRows,
    line: int,
    values: dict[str | Any, Any],
    sender: str,
    template: Template,
    to_column: str,
    ref_column: str | None,
    options: dict[str, Any],
) -> None:
    from nexmo_connector.batch import make_row

    if None in values or any(v is None for v in values.values()):
        parsed.problems.append((line, "wrong number of fields"))
        return
    if ref_column is not None and not values[ref_column]:
        parsed.problems.append((line, f"--client-ref-column: the {ref_column!r} cell is empty"))
        return
    ref = values[ref_column] if ref_column else None
    try:
        row = make_row(line, sender, template, values, values[to_column], options, ref)
    except errors.ValidationError as exc:
        parsed.problems.append((line, f"{flag(exc.field)}: {exc.reason}"))
        return
    parsed.rows.append(row)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(source: Path, journal: Path, results: Path) -> None:
    """Refuse outputs that would overwrite the input or each other, or cannot be written."""
    for option, path in (("--journal", journal), ("--results", results)):
        if path.resolve() == source.resolve() or _same_file(path, source):
            fail(f"{option}: {path} is the input file", EXIT_USAGE)
        if path.is_dir():
            fail(f"{option}: {path} is a folder", EXIT_USAGE)
    if results.resolve() == journal.resolve():
        fail("--results: must not be the journal", EXIT_USAGE)
    folder = results.resolve().parent
    if not folder.is_dir():
        fail(f"--results: cannot write {results}: no folder {folder}", EXIT_USAGE)
    if not os.access(results if results.exists() else folder, os.W_OK):
        fail(f"--results: cannot write {results}: permission denied", EXIT_USAGE)


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
                [e.line, e.recipient, e.client_ref, e.message_ids, e.state, e.parts, e.price,
                 e.error]
            )  # fmt: skip
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


async def _send_all(settings: Settings, sender: BatchSender) -> None:
    """Resolve rows left in flight, then send the rest under the rate, with a progress bar."""
    conflicts = await sender.load()
    if conflicts:
        shown = ", ".join(map(str, conflicts[:20]))
        fail(
            f"FILE: line(s) {shown} changed since they may have been sent; "
            "use a new --journal to send this file as a new batch",
            EXIT_USAGE,
        )
    await sender.resolve_unknown()
    total = len(sender.rows)
    with _progress(settings.quiet) as progress:
        done = total - len(sender.pending())
        task = progress.add_task("send", total=total, completed=done, **_totals(sender))
        await sender.run(lambda: progress.update(task, advance=1, **_totals(sender)))


def _totals(sender: BatchSender) -> dict[str, Any]:
    return {"parts": sender.totals.parts, "cost": f"{sender.totals.cost:.4f}"}


async def _run(
    settings: Settings, batch: str, rows: list[Row], journal: Journal, pacer: Pacer,
    concurrency: int, resend_unknown: bool,
) -> BatchSender:  # fmt: skip
    from nexmo_connector.batch import BatchSender
    from nexmo_connector.lookup import SentLookup, is_loopback

    async with settings.async_client() as client:
        known_sandbox = settings.sandbox is not None or is_loopback(client.rest_url)
        lookup = SentLookup(client, sandbox=known_sandbox)
        sender = BatchSender(
            batch, rows, journal, client, lookup, pacer, concurrency, resend_unknown
        )
        await _send_all(settings, sender)
        return sender


def _rate(value: str) -> float:
    from nexmo_connector.batch import MAX_RATE, Pacer

    try:
        rate = float(value)
        Pacer(rate)
    except ValueError:
        raise typer.BadParameter(f"must be a number above 0 and at most {MAX_RATE:g}") from None
    return rate


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
    rate: Annotated[
        float,
        typer.Option(
            parser=_rate,
            metavar="PER_SECOND",
            help="Sends per second at most (0.5: one every 2 s).",
        ),
    ] = 30.0,
    concurrency: Annotated[
        int, typer.Option(parser=whole(1, 64), metavar="N", help="Requests in flight.")
    ] = 8,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Send the valid rows even if some are not.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option("--resend-unknown", help="Resend rows whose earlier send cannot be verified."),
    ] = False,
    sms_type: Annotated[
        Literal["text", "unicode"] | None, typer.Option("--type", help="Force text or unicode.")
    ] = None,
    callback: Annotated[str | None, typer.Option(help="Delivery receipt URL.")] = None,
    status_report_req: Annotated[
        bool | None, typer.Option("--status-report-req/--no-status-report-req")
    ] = None,
    ttl: Annotated[str | None, typer.Option(metavar="N", help="Lifespan in milliseconds.")] = None,
    *,
    settings: Settings,
) -> None:
    """Send a template to every row of a CSV; interrupt and rerun at will.

    Example: nexmo-connector sms bulk people.csv --from Acme --text "Hi {name}" --rate 10
    """
    from nexmo_connector.batch import Pacer, Template, TemplateError, batch_key

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
    try:
        template = Template.parse(text)
    except TemplateError as exc:
        fail(f"--text: {exc}", EXIT_USAGE)
    check_options(sender, options)
    journal_file = journal_path or file.with_name(file.name + ".journal")
    results = results_path or file.with_name(file.stem + ".results.csv")
    check_outputs(file, journal_file, results)
    parsed = read_rows(file, sender, template, to_column, client_ref_column, options)
    for line, reason in parsed.problems[:MAX_SHOWN_PROBLEMS]:
        out.stderr.print(f"line {line}: {reason}", highlight=False, markup=False)
    if len(parsed.problems) > MAX_SHOWN_PROBLEMS:
        out.stderr.print(f"… and {len(parsed.problems) - MAX_SHOWN_PROBLEMS} more")
    if parsed.problems and not skip_invalid:
        count = len(parsed.problems)
        fail(f"{count} invalid row(s); nothing was sent (see --skip-invalid)", EXIT_USAGE)
    journal = _open_journal(journal_file)
    batch = journal.batch_ref(batch_key(sender, text, to_column, client_ref_column, options))
    interrupted, fatal = False, None
    import asyncio

    try:
        run = asyncio.run(
            _run(settings, batch, parsed.rows, journal, Pacer(rate), concurrency, resend_unknown)
        )
        rows, entries, fatal = run.rows, run.entries, run.fatal
    except KeyboardInterrupt:
        interrupted = True
        rows, entries = parsed.rows, journal.entries_now(batch)
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
        pending = summary["pending"]
        fail(f"{describe(fatal)} ({pending} row(s) pending: rerun to resume)", exit_code(fatal))
    raise typer.Exit(_exit_code(entries))


def _open_journal(path: Path) -> Journal:
    from nexmo_connector.cli.journal import Journal, JournalBusy

    try:
        return Journal(path)
    except JournalBusy as exc:
        fail(f"--journal: {exc}; wait for it to finish (or stop it) before resuming", EXIT_USAGE)
    except (sqlite3.Error, OSError) as exc:
        fail(f"--journal: cannot open {path}: {exc}", EXIT_USAGE)


def _summary(
    batch: str,
    rows: list[Row],
    entries: dict[int, Entry],
    problems: list[tuple[int, str]],
    results: Path,
) -> dict[str, Any]:
    states = [entries[row.line].state if row.line in entries else "pending" for row in rows]
    sent = [entries[r.line] for r in rows if r.line in entries and entries[r.line].state == "sent"]
    priced = [e for e in sent if e.price != ""]
    return {
        "batch": batch,
        "rows": len(rows) + len(problems),
        "sent": states.count("sent"),
        "rejected": states.count("rejected"),
        "unknown": states.count("unknown"),
        "pending": states.count("pending") + states.count("inflight"),
        "invalid": len(problems),
        "parts": sum(e.parts for e in sent),
        "price": str(sum((Decimal(e.price) for e in priced), Decimal(0))),
        "unpriced": len(sent) - len(priced),
        "results": str(results),
    }


def _exit_code(entries: dict[int, Entry]) -> int:
    states = {entry.state for entry in entries.values()}
    if "pending" in states:
        kinds = {e.error_kind for e in entries.values() if e.state == "pending"}
        return EXIT_THROTTLED if "throttled" in kinds else EXIT_TRANSPORT
    if states & {"rejected", "unknown"}:
        return EXIT_REJECTED
    return EXIT_OK

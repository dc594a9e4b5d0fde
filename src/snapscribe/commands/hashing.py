"""``snapscribe hash`` and ``snapscribe hashlist``: PDQ hashes and known-bad hash lists."""

from __future__ import annotations

import json
import sys

import click

from ..errors import IntakeError
from ..intake import decode, read_source
from ..normalize import prepare
from ..safety.hashlist_io import HashListEntry, load_hash_list
from ..safety.hashlists import HashListStore
from ..safety.pdq import compute_pdq
from ..store import Database, ResultStore
from .common import expand_paths, settings_from


def _pdq_for(path: str, settings):
    data = read_source(path, settings.intake)
    decoded = decode(data, settings.intake, draft_side=settings.models.low_res_side)
    return compute_pdq(prepare(decoded, settings.models).work)


@click.command("hash")
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def hash_cmd(ctx: click.Context, paths) -> None:
    """Print the PDQ hash of each image as JSON lines: source, pdq (64 hex), quality."""
    settings = settings_from(ctx)
    for path in expand_paths(paths):
        try:
            h = _pdq_for(str(path), settings)
            line = {"source": str(path), "pdq": h.hex, "quality": h.quality}
        except IntakeError as exc:
            line = {
                "source": str(path),
                "pdq": None,
                "quality": None,
                "error": {"code": exc.code, "message": exc.message},
            }
        sys.stdout.write(json.dumps(line) + "\n")


@click.group()
@click.option("--db", help="SQLite path or database URL (default: <data dir>/snapscribe.db)")
@click.pass_context
def hashlist(ctx: click.Context, db: str | None) -> None:
    """Manage known-bad PDQ hash lists; uploads matching any list are blocked before any model runs."""
    settings = settings_from(ctx, **{"store.db": db})
    ctx.obj["settings"] = settings
    ctx.obj["store"] = ResultStore(Database(settings.db_url()))


@hashlist.command("add")
@click.argument("list_name")
@click.argument("images", nargs=-1, required=True)
@click.pass_context
def hashlist_add(ctx: click.Context, list_name: str, images) -> None:
    """Hash IMAGES and add them to LIST_NAME."""
    settings, store = ctx.obj["settings"], ctx.obj["store"]
    entries, failed = [], 0
    for path in expand_paths(images):
        try:
            h = _pdq_for(str(path), settings)
        except IntakeError as exc:
            click.echo(f"{path}: {exc.code}: {exc.message}", err=True)
            failed += 1
            continue
        entries.append(HashListEntry(hash_hex=h.hex, metadata={"source": path.name, "quality": str(h.quality)}))
    added = HashListStore(store.db).add(list_name, entries)
    store.audit(None, "hashlist_add", "cli", None, {"list": list_name, "added": added, "images": len(entries)})
    click.echo(f"{list_name}: {added} new hashes ({len(entries) - added} already listed, {failed} unreadable)")
    if failed and not entries:
        ctx.exit(1)


@hashlist.command("import")
@click.argument("list_name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--strict", is_flag=True, help="stop at the first malformed line")
@click.pass_context
def hashlist_import(ctx: click.Context, list_name: str, file: str, strict: bool) -> None:
    """Import FILE (one 64-hex PDQ hash per line; extra columns kept as metadata) into LIST_NAME."""
    store = ctx.obj["store"]
    try:
        parsed = load_hash_list(file, strict=strict)
    except Exception as exc:
        raise click.ClickException(str(exc)) from exc
    for err in parsed.errors:
        click.echo(f"{file}: {err}", err=True)
    added = HashListStore(store.db).add(list_name, parsed.entries)
    store.audit(
        None,
        "hashlist_import",
        "cli",
        None,
        {"list": list_name, "file": file, "added": added, "errors": len(parsed.errors)},
    )
    click.echo(
        f"{list_name}: {added} new hashes from {len(parsed.entries)} valid lines, "
        f"{len(parsed.errors)} malformed lines skipped"
    )


@hashlist.command("ls")
@click.pass_context
def hashlist_ls(ctx: click.Context) -> None:
    """List hash lists and their sizes."""
    lists = HashListStore(ctx.obj["store"].db).lists()
    if not lists:
        click.echo("no hash lists")
    for info in lists:
        click.echo(f"{info.name}\t{info.entries}\t{info.created_at}")


@hashlist.command("rm")
@click.argument("list_name")
@click.pass_context
def hashlist_rm(ctx: click.Context, list_name: str) -> None:
    """Delete a hash list."""
    store = ctx.obj["store"]
    removed = HashListStore(store.db).remove_list(list_name)
    store.audit(None, "hashlist_rm", "cli", None, {"list": list_name, "removed": removed})
    click.echo(f"{list_name}: removed ({removed} hashes)")

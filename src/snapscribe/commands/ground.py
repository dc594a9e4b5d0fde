"""``snapscribe ground IMAGE --caption TEXT``: check one candidate caption against one image."""

from __future__ import annotations

import json

import click

from ..errors import SnapscribeError
from ..pipeline import build_pipeline
from .common import settings_from


@click.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--caption", "text", required=True, help="the candidate caption to check")
@click.option("--explain", is_flag=True, help="also list every mention with the evidence for or against it")
@click.pass_context
def ground(ctx: click.Context, image: str, text: str, explain: bool) -> None:
    """Print the grounding verdict for IMAGE and a candidate caption as JSON.

    Keys: supported, unsupported_terms, action (kept | removed | replaced), original,
    reasons, and caption (what the guard would store).
    """
    settings = settings_from(ctx)
    pipeline = build_pipeline(settings, None)
    try:
        with open(image, "rb") as fh:
            u = pipeline.understand(fh.read())
    except SnapscribeError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    if u.evidence is None:
        raise click.ClickException("image blocked by the safety gates; nothing to ground")
    result = pipeline.guard.check(text, u.evidence, u.tags)
    out = result.grounding.model_dump(mode="json")
    out["caption"] = result.caption
    if explain:
        out["mentions"] = [
            {"term": v.term, "kind": v.mention.kind, "supported": v.supported, "why": v.why} for v in result.verdicts
        ]
    click.echo(json.dumps(out, ensure_ascii=False, indent=1 if explain else None))

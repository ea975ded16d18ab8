"""``jekyll-asr init [SITE]``: add the asr: block and the includes, script and feed to a site."""

from __future__ import annotations

import argparse

NEXT_STEPS = """
Next:
  1. In your post layout (e.g. _layouts/post.html):
       {% include asr/audio-player.html %}   a player with captions (skip it if the post has its own <audio>)
       {% include asr/transcript.html %}     the transcript; its timestamps seek the player
     (both print nothing on a page without a transcript), or just the transcript text:
       {% if page.transcript.include %}{% include {{ page.transcript.include }} %}{% endif %}
  2. jekyll-asr build{site}
  3. jekyll build (or jekyll serve)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", default=".", help="the Jekyll site's source folder (default: .)")
    parser.add_argument("--force", action="store_true", help="replace the site's own files that have the same names (never its feeds: see --feed)")
    parser.add_argument("--plugin", action="store_true", help="also add _plugins/jekyll_asr.rb: `jekyll build` then runs `jekyll-asr build` first")
    parser.add_argument(
        "--feed", action=argparse.BooleanOptionalAction, default=None,
        help="add feed.xml, a podcast RSS feed with transcript tags (default: only when the site has no feed of its own "
        "and does not use jekyll-feed; a site's own feeds get a line saying where the tags go)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true", help="change nothing: print the asr: block that would be appended and the files that would be written"
    )  # fmt: skip
    parser.add_argument("--model", default=None, help="the model to write into the asr: block")
    parser.add_argument(
        "--language", default=None,
        help="the language to write into the asr: block (default: the podcast's declared language, "
        "e.g. podcast_lang or podcast: {language:}, else auto; the site's UI lang: is not used)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ..init import init_site

    result = init_site(
        args.site, force=args.force, plugin=args.plugin, feed=args.feed, model=args.model, language=args.language, dry_run=args.dry_run
    )  # fmt: skip
    if not getattr(args, "quiet", False):
        print(result.summary())
        if result.changed:
            print(NEXT_STEPS.replace("{site}", "" if args.site == "." else f" {args.site}"))
    return 0

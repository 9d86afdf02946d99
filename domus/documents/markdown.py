"""Markdown of knowledge articles rendered safely: raw HTML is escaped, never passed
through, and links may only be http(s), mailto or relative (markdown-it's own link check
refuses ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` other than images)."""

from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(body: str) -> str:
    return _renderer.render(body)

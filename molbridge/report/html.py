"""One self-contained HTML page: sections of Markdown text and tables (Python-Markdown, its
`tables` extension) and PNG figures inlined as data URIs, with its own small style sheet, so the
file opens in any browser with no server and no network."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import markdown

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .88em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead { background: #f3f3f3; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; }
code { background: #f5f5f5; padding: 0 .2em; }
"""


@dataclass
class Section:
    """A heading, Markdown text (tables allowed) and figures (path, caption)."""

    title: str
    text: str = ""
    figures: list[tuple[Path, str]] = field(default_factory=list)


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def write_html(title: str, sections: list[Section], path: Path, intro: str = "") -> Path:
    """The page at `path`; figures that do not exist are left out."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    if intro:
        body.append(markdown.markdown(intro, extensions=["tables"]))
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.text:
            body.append(markdown.markdown(section.text, extensions=["tables"]))
        body += [_figure(p, c) for p, c in section.figures if p.exists()]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path

"""Answers, passages and topics as Discord embeds, always within Discord's limits.

Answers cite their sources with short labels (:meth:`knowledge.Hit.label`) linked to the DOI or URL;
the full citation (:meth:`knowledge.Hit.cite`) is shown once, on the Sources pages. Both are escaped
here for Discord and numbered as :meth:`knowledge.Answer.sources` numbers them. Text from the
knowledge base and from members is escaped (Markdown and mentions) before it is shown; long text
is split or cut at a word, never rejected by Discord.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence

import discord

from knowledge import Answer, Hit, Sentence, Topic
from knowledge.code import block_language, code_spans
from knowledge.models import cut_at_word
from knowledge.wrapping import unwrap

logger = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_FIELDS_MAX = 25
EMBED_TOTAL_LIMIT = 6000
CHOICE_NAME_LIMIT = 100
CHOICES_MAX = 25

ANSWER_COLOUR = discord.Colour.blurple()
DECLINED_COLOUR = discord.Colour.light_grey()
PASSAGE_COLOUR = discord.Colour.dark_teal()

DECLINED_TITLE = "No answer found in the knowledge base"
# What heads a moderators' curated answer in a reply, in bold.
CURATED_HEADER = "Answer from the moderators"
SEARCH_PER_PAGE = 3
TOPICS_PER_PAGE = 10
EXCERPT_CHARS = 600
# A code block quoted in an answer: long enough for a typical example, short enough to leave room
# for the other sentences and the sources in one embed.
CODE_BLOCK_CHARS = 1200
_URL = re.compile(r"https?://[^\s<>]+")
_BRACKETS = re.compile(r"([\[\]])")


def escape(text: str) -> str:
    """Member or document text made inert: no Markdown formatting, no pings.

    Brackets are escaped one by one, and the text between them separately: discord.py's
    ``escape_markdown`` treats ``[a](b) **x** [c](d)`` as one masked link and leaves the bold inside
    it as it was, so "[1] **Answer from the moderators** [2](x)" would pass for the bot's own.
    """
    pieces = _BRACKETS.split(text)
    escaped = "".join("\\" + piece if piece in ("[", "]") else _escape_markdown(piece) for piece in pieces)
    return discord.utils.escape_mentions(escaped)


# discord.py escapes a list item after an empty line ("glands.\n\n- This allows") before the
# empty line's newline, which Discord then shows as a lone "\" line above the item.
_STRAY_LIST_ESCAPE = re.compile(r"\\(\s*?\n)([ \t]*)-")


def _escape_markdown(text: str) -> str:
    """discord.py's ``escape_markdown``, with a list item's escape on the item's own line."""
    return _STRAY_LIST_ESCAPE.sub(r"\1\2\\-", discord.utils.escape_markdown(text))


def document_text(text: str) -> str:
    """Passage text shown as the document wrote it (lists, emphasis, code) but with links made
    honest and pings made inert.

    A masked link ``[https://www.nih.gov](https://evil.example)`` would show one address and open
    another: outside code, every bracket is escaped, so the text and the address both show as
    written (code is shown as written: Discord makes no links inside it).
    """
    spans = [(0, 0), *code_spans(text), (len(text), len(text))]
    pieces = []
    for (_, prose_start), (code_start, code_end) in itertools.pairwise(spans):
        pieces.append(_BRACKETS.sub(r"\\\1", text[prose_start:code_start]))
        pieces.append(text[code_start:code_end])
    return discord.utils.escape_mentions("".join(pieces))


def shorten(text: str, limit: int, placeholder: str = "…") -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    # Never end on a lone backslash: it would escape the placeholder.
    return cut_at_word(text, limit, placeholder, trailing="\\ ")


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at paragraph, line or word
    boundaries (a single overlong word is cut)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 4:
            cut = limit
        while cut > 1 and rest[cut - 1] == "\\":
            cut -= 1  # keep an escape with the character it escapes
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def join_within(lines: Sequence[str], limit: int, sep: str = "\n") -> str:
    """Join ``lines`` up to ``limit`` characters; lines that don't fit are dropped whole (a final
    line is shortened when nothing else would show)."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (len(sep) if out else 0)
        if size + extra > limit:
            if not out:
                out.append(shorten(line, limit))
            break
        out.append(line)
        size += extra
    return sep.join(out)


def is_url(link: str) -> bool:
    """A web address that can be shown as a link; anything else (a "url" front matter key holding
    ``@everyone``, say) is shown as escaped text."""
    return bool(_URL.fullmatch(link))


def citation_line(number: int, hit: Hit) -> str:
    """``[1] Title › Section — reference (link)``, escaped, the link left clickable."""
    return f"[{number}] " + hit.cite(escape=escape, show_link=_show_link)


def label_line(number: int, hit: Hit) -> str:
    """``[1] Enteromammary immune system · Guillen-Morales 2025``, escaped, the label linked to the
    source's DOI or URL when it has one."""
    label = escape(hit.label())
    if is_url(hit.link):
        # A ")" would end the masked link early.
        label = f"[{label}]({hit.link.replace(')', '%29')})"
    return f"[{number}] {label}"


def _show_link(link: str) -> str:
    return f"<{link}>" if is_url(link) else escape(link)


def show_code(code: str) -> str:
    """Code quoted from a document, shown as code: an inline span as written, a fenced block as a
    ``` block with its language (Discord renders no ~~~ fences), cut at a line end to
    ``CODE_BLOCK_CHARS``. Markdown inside code is inert; mentions are still made inert."""
    language = block_language(code)
    if language is None:
        return discord.utils.escape_mentions(code)
    body = code.strip().split("\n")[1:]
    if body and body[-1].strip().strip("`~") == "":
        body = body[:-1]
    lines, size = [], 0
    for line in body:
        if size + len(line) + 1 > CODE_BLOCK_CHARS:
            lines.append("…")
            break
        lines.append(line)
        size += len(line) + 1
    text = discord.utils.escape_mentions("\n".join(lines)).replace("```", "`\u200b``")
    return f"```{language}\n{text}\n```"


def answer_sentence(answer: Answer, sentence: Sentence) -> str:
    """One answer sentence, matched words bold outside code, with its ``[n]``; after a code block
    the number goes on a line of its own."""
    shown = sentence.marked(escape=escape, code=show_code)
    return f"{shown}{chr(10) if shown.endswith('```') else ' '}[{answer.number(sentence)}]"


def answer_embed(answer: Answer, *, answer_id: str) -> discord.Embed:
    """The answer: its best sentences (matched terms bold) each with its source number, then the
    numbered labels of the passages they came from (the Sources button shows them in full)."""
    curated = answer.curated
    if curated is None and not (answer.answered and answer.sentences):
        return declined_embed(answer)
    sentences = []
    if curated is not None:
        # A moderator's answer comes first; its sources are numbered before the retrieved ones.
        marks = "".join(f"[{n}]" for n in answer.curated_numbers())
        # Moderators write Markdown on purpose: keep it, but never let it ping.
        moderators = discord.utils.escape_mentions(curated.text.strip())
        sentences.append(f"**{CURATED_HEADER}**\n{moderators} {marks}".rstrip())
    if answer.answered:
        sentences += [answer_sentence(answer, s) for s in answer.sentences]
    citations = [label_line(n, hit) for n, hit in answer.cited()]
    # A curated answer linked to no passage cites nothing: no empty heading under it.
    sources = "\n\n**Sources**\n" + join_within(citations, EMBED_DESCRIPTION_LIMIT // 2) if citations else ""
    body = join_within(sentences, EMBED_DESCRIPTION_LIMIT - len(sources), sep="\n\n")
    embed = discord.Embed(
        title=shorten(escape(answer.question), EMBED_TITLE_LIMIT),
        description=body + sources,
        colour=ANSWER_COLOUR,
    )
    if not answer_id:
        # The buttons say what they do; the answer id lives in their custom ids, not in sight.
        embed.set_footer(text="Sources and ratings are unavailable for this answer")
    return embed


def declined_embed(answer: Answer) -> discord.Embed:
    """Not answered: a short title (the question is in sight already, above or in the member's
    own message), the closest passages' labels in one line each, unlinked (the Sources button
    shows them in full, with their links); the Ask the moderators button passes the question on."""
    if answer.hits:
        closest = enumerate(answer.sources(), start=1)  # a decline's closest passages, bounded there
        lines = ["**Closest passages**", *(f"[{n}] {escape(hit.label())}" for n, hit in closest)]
    else:
        lines = ["Nothing in it matches your question's words."]
    return discord.Embed(
        title=DECLINED_TITLE,
        description=join_within(lines, EMBED_DESCRIPTION_LIMIT),
        colour=DECLINED_COLOUR,
    )


def passage_pages(hits: Sequence[Hit], *, heading: str = "Sources", first: int = 1) -> list[discord.Embed]:
    """Each passage in full, one (or, when very long, several) pages each, with its citation,
    numbered from ``first`` (an answer's [2] shown alone is still [2])."""
    pages: list[discord.Embed] = []
    for number, hit in enumerate(hits, start=first):
        citation = citation_line(number, hit)
        # Documents are Markdown: keep their lists and emphasis, but never a ping or a masked link;
        # a hard-wrapped paragraph reads as one, as Markdown shows it.
        parts = split_text(document_text(unwrap(hit.text)[0]), EMBED_DESCRIPTION_LIMIT)
        for i, part in enumerate(parts, start=1):
            marker = f" ({i}/{len(parts)})" if len(parts) > 1 else ""
            heading_line = f"{heading} [{number}] {escape(hit.label())}"
            title = shorten(heading_line, EMBED_TITLE_LIMIT - len(marker)) + marker
            embed = discord.Embed(title=title, description=part, colour=PASSAGE_COLOUR)
            embed.add_field(name="Citation", value=shorten(citation, EMBED_FIELD_VALUE_LIMIT), inline=False)
            embed.set_footer(text=shorten(f"Passage id: {hit.passage_id}", EMBED_FOOTER_LIMIT))
            pages.append(embed)
    return pages


def search_pages(query: str, hits: Sequence[Hit], *, per_page: int = SEARCH_PER_PAGE) -> list[discord.Embed]:
    """Search results: each passage's label, id, score and an excerpt, ``per_page`` to a page."""
    title = shorten(f"Search: {escape(query)}", EMBED_TITLE_LIMIT)
    if not hits:
        return [
            discord.Embed(
                title=title,
                description=(
                    "No passage matches those words. Try other words, or `/topics` to see what is covered."
                ),
                colour=DECLINED_COLOUR,
            )
        ]
    pages = []
    per_page = max(1, min(per_page, EMBED_FIELDS_MAX))
    for start in range(0, len(hits), per_page):
        embed = discord.Embed(title=title, colour=PASSAGE_COLOUR)
        for number, hit in enumerate(hits[start : start + per_page], start=start + 1):
            name = shorten(f"{number}. {escape(hit.label())}", EMBED_FIELD_NAME_LIMIT)
            head = f"`{hit.passage_id}` · score {hit.score:.2f}\n"
            excerpt = search_excerpt(hit.text, EXCERPT_CHARS)
            embed.add_field(name=name, value=shorten(head + excerpt, EMBED_FIELD_VALUE_LIMIT), inline=False)
        embed.set_footer(text="/source <passage id> shows a passage in full")
        pages.append(embed)
    return pages


def search_excerpt(text: str, limit: int) -> str:
    """A passage on one line, at most about ``limit`` characters: its prose escaped, its code as
    inline code (a fenced example's lines run together between single backticks, its fences
    dropped), cut at a word with "…"."""
    pieces: list[str] = []
    size = 0
    position = 0
    for start, end in [*code_spans(text), (len(text), len(text))]:
        for kind, part in (("prose", text[position:start]), ("code", text[start:end])):
            words = " ".join(_code_body(part).split() if kind == "code" else part.split())
            if not words:
                continue
            room = limit - size
            if room <= 1:
                return " ".join(pieces) + " …" if pieces else "…"
            if kind == "code":
                ticks = "``" if "`" in words else "`"
                shown = words if len(words) <= room else shorten(words, max(room - 2, 1))
                pieces.append(discord.utils.escape_mentions(f"{ticks}{shown}{ticks}"))
            else:
                pieces.append(escape(shorten(words, room)))
            size += len(words) + 1
        position = end
    return " ".join(pieces)


def _code_body(code: str) -> str:
    """An inline code span's text, or a fenced block's lines without its fences."""
    if block_language(code) is not None:
        lines = code.strip().split("\n")[1:]
        return "\n".join(lines[:-1] if lines and not lines[-1].strip().strip("`~") else lines)
    return code.strip("`")


def topic_pages(topics: Sequence[Topic], *, per_page: int = TOPICS_PER_PAGE) -> list[discord.Embed]:
    """The documents of the knowledge base: title, passage count and reference."""
    if not topics:
        return [
            discord.Embed(title="Topics", description="The knowledge base is empty.", colour=DECLINED_COLOUR)
        ]
    total = sum(t.passages for t in topics)
    pages = []
    for start in range(0, len(topics), per_page):
        lines = []
        for topic in topics[start : start + per_page]:
            count = f"{topic.passages} passage{'s' if topic.passages != 1 else ''}"
            lines.append(f"**{escape(shorten(topic.title, 300))}** — {count}")
            reference = escape(shorten(topic.reference, 400)) if topic.reference else ""
            link = f"<{topic.link}>" if is_url(topic.link) else escape(topic.link)
            if reference or link:
                lines.append(" ".join(part for part in (reference, link) if part))
            lines.append("")
        embed = discord.Embed(
            title="Topics",
            description=join_within(lines, EMBED_DESCRIPTION_LIMIT),
            colour=PASSAGE_COLOUR,
        )
        embed.set_footer(text=f"{len(topics)} document(s), {total} passage(s)")
        pages.append(embed)
    return pages


def choice_name(text: str) -> str:
    """An autocomplete choice label: one line, at most 100 characters."""
    return shorten(" ".join(text.split()), CHOICE_NAME_LIMIT) or "…"


def small_print(text: str) -> str:
    """``text`` in Discord's small grey subtext (``-# `` on every line): a standing notice that
    must not outweigh the answer under it."""
    return "\n".join(f"-# {line.strip()}" for line in text.splitlines() if line.strip())


def content_within(lines: Sequence[str]) -> str:
    """Message content from notice lines, within the 2,000-character limit."""
    return join_within([line for line in lines if line], CONTENT_LIMIT, sep="\n")

"""``citebot ask --explain`` and a moderator's "Why?": a question's trip through the stages
(:meth:`knowledge.trace.Trace.to_dict`) as plain text, one stage per block."""

from __future__ import annotations

from typing import Any


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def render_explanation(trace: dict[str, Any]) -> str:
    """The stages of one answer, as a terminal or a code block shows them."""
    analysis, decision = trace["analysis"], trace["decision"]
    lines = ["analysis"]
    if analysis["rewritten"]:
        lines.append(f"  rewritten by the glossaries: {analysis['rewritten']}")
    lines.append(f"  searched: {analysis['searched']}")
    kind = analysis["kind"] + (", asks for an amount" if analysis["asks_amount"] else "")
    lines.append(f"  kind: {kind}")
    if analysis["asking_sentence"]:
        lines.append(f"  asking sentence: {analysis['asking_sentence']}")
    if analysis["red_flag"]:
        lines.append(f"  red flag: {analysis['red_flag']}")
    for word in analysis["words"]:
        if not word["known"]:
            how = "unknown, light" if word["light"] else "unknown"
        else:
            how = ("bridged to " if word["bridged"] else "") + ", ".join(
                f"{term} ×{credit:g}" for term, credit in word["terms"].items()
            )
        lines.append(f"  word {word['word']!r} weight {word['weight']:.2f}: {how}")
    if analysis["symbols"]:
        lines.append(f"  symbols: {' '.join(analysis['symbols'])}")
    lines.append("passages (fused score · BM25 · meaning)")
    for n, passage in enumerate(trace["passages"], start=1):
        scores = (
            f"{_number(passage['score'])} · {_number(passage['bm25'])} · {_number(passage['similarity'])}"
        )
        lines.append(f"  {n}. {scores}  {passage['section']}  ({passage['passage']})")
    if not trace["passages"]:
        lines.append("  none")
    outcome = "answered" if decision["answered"] else "declined"
    lines.append(f"decision: {outcome} by rule {decision['rule']}")
    if decision.get("focused"):
        lines.append("  judged on the asking sentence")
    for name, value in (decision.get("features") or {}).items():
        lines.append(f"  {name}: {value:g}")
    if decision.get("curated") is not None:
        lines.append(f"  curated answer #{decision['curated']} served")
    if trace["notices"]:
        lines.append(f"notices: {', '.join(trace['notices'])}")
    return "\n".join(lines)

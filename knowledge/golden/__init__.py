"""Golden questions: the questions a server's moderators rely on, checked after every change.

A server keeps them in ``<state>/servers/<id>/golden.yaml``, the question-set format of
``citebot eval`` (:mod:`knowledge.evaluation`) extended with what must answer each question::

    answerable:
      - id: 1
        question: How does IgA reach the milk?
        section: [Enteromammary immune system]   # a heading on the top passage's section path
        document: maternal-infant-immune-system  # optional with section; alone: any section of it
      - id: 2
        question: Is ibuprofen safe while breastfeeding?
        curated: 3                               # the moderators' curated answer #3 must match
    off_topic:
      - id: 3
        question: What is the capital of France?  # must be declined

The file is a :class:`~knowledge.yaml_state.YamlState` (atomic writes, hand edits picked up, a
broken file never overwritten). :meth:`GoldenSet.check` asks every question and compares the
answers with the expectations and with the last check; :meth:`GoldenSet.run` also remembers the
outcome (in ``golden-status.json`` next to the file, or with the state in PostgreSQL a state
document of the server that every bot process reads), so the next check can tell what got worse
and which change did it.

- :mod:`.expectations`: :class:`Expectation`, what answered (:func:`what_answered`), and
  :func:`parse_expectation`
- :mod:`.yaml_format`: :class:`GoldenQuestion`, :func:`parse_golden`, :func:`dump_golden`
- :mod:`.checks`: judging answers and comparing with the last check (:class:`GoldenReport`)
- :mod:`.status`: the last check's outcome as stored (:func:`parse_status`, :func:`dump_status`)
- :mod:`.store`: :class:`GoldenSet`, a server's golden questions
"""

from .checks import GoldenReport, GoldenResult, Regression, Status, answer_or_decline, ask_all, compare, judge
from .expectations import (
    CURATED,
    DECLINED,
    DOCUMENT,
    SECTION,
    Expectation,
    expectation_now,
    parse_expectation,
    what_answered,
)
from .status import STATUS_FILE_NAME, dump_status, parse_status
from .store import GoldenSet
from .yaml_format import (
    FILE_NAME,
    FORMAT_VERSION,
    MAX_QUESTION_CHARS,
    MAX_SECTIONS,
    SOURCE,
    GoldenQuestion,
    dump_golden,
    parse_golden,
    question_key,
)

__all__ = [
    "CURATED",
    "DECLINED",
    "DOCUMENT",
    "FILE_NAME",
    "FORMAT_VERSION",
    "MAX_QUESTION_CHARS",
    "MAX_SECTIONS",
    "SECTION",
    "SOURCE",
    "STATUS_FILE_NAME",
    "Expectation",
    "GoldenQuestion",
    "GoldenReport",
    "GoldenResult",
    "GoldenSet",
    "Regression",
    "Status",
    "answer_or_decline",
    "ask_all",
    "compare",
    "dump_golden",
    "dump_status",
    "expectation_now",
    "judge",
    "parse_expectation",
    "parse_golden",
    "parse_status",
    "question_key",
    "what_answered",
]

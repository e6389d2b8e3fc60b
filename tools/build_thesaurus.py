"""Build citebot's everyday-words table (knowledge/data/thesaurus.tsv.gz) from the WordNet 3.0 database.

Run it where Debian's ``wordnet-base`` (1:3.0-37) is installed::

    apt-get install -y wordnet-base
    .venv/bin/python tools/build_thesaurus.py   # writes knowledge/data/thesaurus.tsv.gz + manifest

It reads the database files directly (format in wndb(5)), refuses input files whose sha256 differs
from the ones pinned below, and writes the same bytes every time: the table is committed, so citebot
downloads nothing at run time and CI needs no WordNet. The script lives in tools/ rather than in the
package because it never runs inside citebot; only its output ships.

What the table keeps, and why (strict on purpose: loose expansion answered off-topic questions):

- headwords and related words are lower-case WordNet lemmas of one to three words of two or more
  ASCII letters each ("breast milk" and "white blood cell" yes, "t cell", "Paris" no -- proper names
  are dropped, a member's "fish" must not reach a constellation);
- only each word's first ``SENSES`` senses per part of speech (WordNet orders senses by frequency;
  rare senses are where "cat" becomes a whip and "baby" a sweetheart);
- nouns and adjectives; a verb's senses only for words that are neither ("eat", "protect"), since
  "cat" and "sick" as verbs mean to vomit and "baby" as a verb means to pamper; no adverbs;
- ``synonym``: the other lemmas of those senses' synsets;
- ``derived``: WordNet's lemma-to-lemma derivationally related forms ("immune" -> "immunity");
- ``pertainym``: adjective <-> the noun it pertains to, both ways ("mammary" <-> "mamma");
- ``broader`` / ``narrower``: lemmas of the direct hypernyms / hyponyms, only for noun senses at least
  ``MIN_DEPTH`` steps below WordNet's root: there a hypernym is still specific ("breast" -> "mammary
  gland"), while near the top it is "object" or "entity"; narrower terms only for senses with at most
  ``MAX_NARROWER`` hyponyms ("car" has dozens of kinds, none of which is what a member meant).
  Verb hierarchies are shallow, so no verbs.

Besides the relations, a third header line lists the *light* words: Snowball stems whose WordNet
lemmas are used more as verbs or adverbs than as nouns, by the sense-tagged counts of the SemCor corpus
that WordNet ships (``cntlist.rev``): "eat", "make", "start", "affect", "simply". A question word the
knowledge base does not know says less about the topic when it is one of these ("how does what I
*eat* get into my milk") than when it names a thing ("the immune system of a *fish*").

Each line: ``related-stem<TAB>related word<TAB>code:word|code:word...`` (see :func:`render`), lines
and entries sorted; the gzip header has no name and no time, so the output is byte-for-byte
reproducible (given the pinned PyStemmer, which makes the stems).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from collections import defaultdict, deque
from pathlib import Path
from typing import NamedTuple

import Stemmer

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/usr/share/wordnet")
DEFAULT_OUTPUT = ROOT / "knowledge" / "data" / "thesaurus.tsv.gz"
SOURCE_NAME = "WordNet 3.0 (Debian package wordnet-base 1:3.0-37)"

# The input this script was made for; other files (another WordNet, a damaged copy) are refused.
INPUT_SHA256 = {
    "data.adj": "c89120dfc1f046ddff4a631bf9b7e9fa1a36b5e86565a23bf82dbe14f30b88a7",
    "data.adv": "444a63bf3955080ab7524f5079cfc07ff9bc682cb98bdb1db73b0fb9829f1139",
    "data.noun": "fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2",
    "data.verb": "adcf43e35b581e8036d8b5a52d63d9cd3d3b4870b2720d3c03c799df44777bc2",
    "index.adj": "c9865d7b4d1f805bdef82ccdcea5282436e23083e6f6f1b33e716327c4eda810",
    "index.adv": "6f5465ed5758fe9c8a2f7ec17b1300f3aa875756c70ff7cba162f7e71bcf88ea",
    "index.noun": "a490d99d93d017bf4822fe2f0ffa51fd73911ce271dc7535fade21f8814b5a04",
    "index.verb": "e2ac24816c3a8289dcb72aaa9cf8db81fdf25ec34d792bfc96ac5b7a20c8b4ae",
    "cntlist.rev": "a198580b8f705fa02797bba8b13e5cbe4a9f9f40cb1697e774c7fc6a5865b035",
}

SENSES = 3  # first senses of each word per part of speech
MIN_DEPTH = 7  # hypernym steps below the root before broader/narrower are trusted
MAX_NARROWER = 12  # a sense with more direct hyponyms than this is a category, not a word's meaning
RELATIONS = ("synonym", "derived", "pertainym", "broader", "narrower")  # the order of a line's groups

_POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
_LEMMA = re.compile(r"[a-z]{2,}(?: [a-z]{2,}){0,2}")
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")


class Pointer(NamedTuple):
    symbol: str
    target: tuple[str, int]  # (pos file key, offset)
    source_word: int  # 1-based word number in this synset, 0 for a synset-to-synset pointer
    target_word: int


class Synset(NamedTuple):
    words: list[str]  # lemmas as written in the data file (case kept: capitals mark proper names)
    pointers: list[Pointer]


def _file_key(pos: str) -> str:
    return "a" if pos == "s" else pos


def check_inputs(source: Path) -> dict[str, str]:
    """The sha256 of each input file, after checking it against :data:`INPUT_SHA256`."""
    found = {}
    for name, expected in INPUT_SHA256.items():
        path = source / name
        if not path.is_file():
            raise SystemExit(f"{path} is missing: install Debian's wordnet-base 1:3.0-37")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise SystemExit(f"{path} has sha256 {digest}, not the pinned {expected}: this script is made "
                             f"for {SOURCE_NAME}")
        found[name] = digest
    return found


def read_data(path: Path, pos: str) -> dict[tuple[str, int], Synset]:
    """Synsets of one data.* file: synset_offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ptr..."""
    synsets = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("  "):  # the licence header
                continue
            fields = line.split(" | ", 1)[0].split()
            offset, count = int(fields[0]), int(fields[3], 16)
            words = [_ADJ_MARKER.sub("", fields[4 + 2 * i]) for i in range(count)]
            at = 4 + 2 * count
            pointers = []
            for _ in range(int(fields[at])):
                symbol, target, target_pos, numbers = fields[at + 1 : at + 5]
                pointers.append(
                    Pointer(symbol, (_file_key(target_pos), int(target)), int(numbers[:2], 16),
                            int(numbers[2:], 16))
                )
                at += 4
            synsets[(pos, offset)] = Synset(words, pointers)
    return synsets


def read_index(path: Path, pos: str) -> dict[str, list[tuple[str, int]]]:
    """Each lemma's synsets in sense order: lemma pos synset_cnt p_cnt [ptr]... sense_cnt tagsense_cnt
    synset_offset..."""
    senses = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("  "):
                continue
            fields = line.split()
            count, pointer_count = int(fields[2]), int(fields[3])
            offsets = fields[4 + pointer_count + 2 :]
            assert len(offsets) == count, line
            senses[fields[0]] = [(pos, int(o)) for o in offsets]
    return senses


def clean(lemma: str) -> str | None:
    """A lemma as citebot matches it ("breast_milk" -> "breast milk"), or None when it is not kept."""
    if lemma != lemma.lower():
        return None
    word = lemma.replace("_", " ").replace("-", " ")
    return word if _LEMMA.fullmatch(word) else None


def noun_depths(synsets: dict[tuple[str, int], Synset]) -> dict[tuple[str, int], int]:
    """Shortest number of hypernym steps from each noun synset up to a root."""
    children = defaultdict(list)
    roots = []
    for key, synset in synsets.items():
        if key[0] != "n":
            continue
        parents = [p.target for p in synset.pointers if p.symbol in ("@", "@i")]
        if not parents:
            roots.append(key)
        for parent in parents:
            children[parent].append(key)
    depth = dict.fromkeys(roots, 0)
    queue = deque(roots)
    while queue:
        key = queue.popleft()
        for child in children[key]:
            if child not in depth:
                depth[child] = depth[key] + 1
                queue.append(child)
    return depth


def build(source: Path) -> dict[str, dict[str, set[str]]]:
    """word -> relation -> related words, by the rules in this module's docstring."""
    synsets: dict[tuple[str, int], Synset] = {}
    senses: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for pos, name in _POS_FILES.items():
        synsets.update(read_data(source / f"data.{name}", pos))
        for lemma, keys in read_index(source / f"index.{name}", pos).items():
            senses[lemma].append(keys)
    depth = noun_depths(synsets)
    narrower = {key: sum(p.symbol == "~" for p in s.pointers) for key, s in synsets.items()}
    table: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def lemmas(key: tuple[str, int]) -> list[str]:
        return [w for w in map(clean, synsets[key].words) if w]

    for lemma, by_pos in senses.items():
        word = clean(lemma)
        if word is None:
            continue
        parts = {keys[0][0] for keys in by_pos}
        for keys in by_pos:
            pos = keys[0][0]
            if pos == "r" or (pos == "v" and parts & {"n", "a"}):
                continue
            for key in keys[:SENSES]:
                synset = synsets[key]
                # the lemma's own word number in this synset, for lemma-to-lemma pointers
                numbers = [i + 1 for i, w in enumerate(synset.words) if w.lower() == lemma]
                if not numbers or clean(synset.words[numbers[0] - 1]) is None:
                    continue  # the sense is a proper name ("Cancer" the constellation)
                table[word]["synonym"].update(w for w in lemmas(key) if w != word)
                for pointer in synset.pointers:
                    if pointer.source_word not in (0, *numbers):
                        continue
                    if pointer.symbol in ("+", "\\") and pointer.target_word:
                        target = clean(synsets[pointer.target].words[pointer.target_word - 1])
                        if target and target != word:
                            relation = "derived" if pointer.symbol == "+" else "pertainym"
                            table[word][relation].add(target)
                            if relation == "pertainym":  # the noun learns its adjective
                                table[target]["pertainym"].add(word)
                    elif pointer.symbol in ("@", "~") and depth.get(key, 0) >= MIN_DEPTH:
                        if pointer.symbol == "~" and narrower[key] > MAX_NARROWER:
                            continue
                        relation = "broader" if pointer.symbol == "@" else "narrower"
                        table[word][relation].update(w for w in lemmas(pointer.target) if w != word)
    return table


PARTICLES = frozenset(
    "up out off down in into on onto over away back through along around about".split()  # noqa: SIM905
)
# cntlist.rev's ss_type digit (the sense key's "lemma%TYPE:...") -> part of speech
_SENSE_TYPES = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}


def light_words(source: Path) -> set[str]:
    """Stems of one-word lemmas tagged more often as verbs or adverbs than as nouns in SemCor
    (``cntlist.rev``: ``lemma%type:... sense_number tag_count``), summed over the lemmas that share
    a stem; a verb or adverb whose lemmas were never tagged is light when none of them is a noun; and
    phrasal verbs, as ``stem_particle`` ("end_up").
    Adjectives are not light: "pregnant", "sore", "antibiotic" name what a question is about."""
    stemmer = Stemmer.Stemmer("english")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with (source / "cntlist.rev").open(encoding="utf-8") as lines:
        for line in lines:
            key, _, tagged = line.split()
            lemma, _, rest = key.partition("%")
            if clean(lemma) != lemma or "_" in lemma:
                continue
            counts[stemmer.stemWord(lemma)][_SENSE_TYPES[rest[0]]] += int(tagged)
    nouns, verbal = set(), set()
    for name in ("noun", "verb", "adv"):
        for lemma in read_index(source / f"index.{name}", name[0]):
            if clean(lemma) == lemma and "_" not in lemma:
                stem = stemmer.stemWord(lemma)
                if name == "noun":
                    nouns.add(stem)
                else:
                    verbal.add(stem)
    light = set()
    # Phrasal verbs ("end up", "get into"): the verb is light before its particle whatever it is
    # alone, listed as stem_particle.
    for lemma in read_index(source / "index.verb", "v"):
        verb, _, particle = lemma.partition("_")
        if particle in PARTICLES and clean(verb) == verb:
            light.add(f"{stemmer.stemWord(verb)}_{particle}")
    for stem in verbal:
        by_pos = counts.get(stem, {})
        noun, other = by_pos.get("n", 0), by_pos.get("v", 0) + by_pos.get("r", 0)
        if other > noun or (other == noun == 0 and stem not in nouns):
            light.add(stem)
    return light


def render(table: dict[str, dict[str, set[str]]], light: set[str] = frozenset()) -> bytes:
    """The table as sorted, gzipped TSV with a fixed header: the same input gives the same bytes.

    Lines are keyed by the Snowball stem of the related word (of its first word, for two words), so
    that restricting the table to an index vocabulary of stems reads only the lines of that
    vocabulary's terms: ``stem<TAB>related word<TAB>code:word|code:word...``, where each ``word`` has
    the related word as its relation (code: first letter of the relation's name). A second header
    line lists the keys, so that a loader gets the stems of the table's words without a scan.
    """
    stemmer = Stemmer.Stemmer("english")  # knowledge.text.stem's stemmer (PyStemmer, pinned)
    sources: dict[str, list[str]] = defaultdict(list)
    for word, relations in table.items():
        for relation in RELATIONS:
            for target in relations.get(relation, ()):
                sources[target].append(f"{relation[0]}:{word}")
    lines = sorted(
        (stemmer.stemWord(target.split()[0]), target, "|".join(sorted(entries)))
        for target, entries in sources.items()
    )
    out = [
        f"# citebot thesaurus from {SOURCE_NAME}; licence: WORDNET-LICENSE; tools/build_thesaurus.py",
        "# keys " + " ".join(sorted({key for key, _, _ in lines})),  # the spelling rules' word list
        "# light " + " ".join(sorted(light)),
    ]
    out.extend("\t".join(line) for line in lines)
    return gzip.compress(("\n".join(out) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name.split(".")[0] + ".manifest.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="WordNet dict folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="table to write (.tsv.gz)")
    args = parser.parse_args(argv)
    inputs = check_inputs(args.source)
    table = build(args.source)
    light = light_words(args.source)
    data = render(table, light)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    manifest = {
        "source": SOURCE_NAME,
        "inputs_sha256": inputs,
        "settings": {
            "senses": SENSES,
            "min_depth": MIN_DEPTH,
            "max_narrower": MAX_NARROWER,
            "relations": list(RELATIONS),
        },
        "table": args.output.name,
        "table_sha256": hashlib.sha256(data).hexdigest(),
        "table_bytes": len(data),
        "words": sum(1 for w in table if any(table[w].values())),
        "light_words": len(light),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    manifest_path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(data):,} bytes, {manifest['words']:,} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

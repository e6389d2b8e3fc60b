"""MyST pages document their API in ``{eval-rst}`` blocks too (autodoc has no MyST form): the objects
those blocks name are found by ``/lookup`` as the page's directive fences are."""

from __future__ import annotations

import shutil
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.apiref import ApiIndex

MYST_DOCS = Path(__file__).resolve().parents[1] / "data" / "myst-docs" / "docs"

PAGE = """\
# Greeter API

```{py:function} farewell(name)
Says goodbye.
```

```{eval-rst}
.. autofunction:: greetkit.shout

.. py:class:: greetkit.Greeter(name)

   Says hello to one person at a time.

   .. py:method:: greet(loud=False)

      Returns the greeting. It never prints.
```
"""


def test_objects_of_an_eval_rst_block_are_looked_up(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(MYST_DOCS, folder)
    (folder / "citebot.yaml").write_text("base_url: https://greetkit.example.org/\n", encoding="utf-8")
    # The test set's "Repeating greetings" documents greetkit.repeat in an {eval-rst} block.
    index = ApiIndex.of(KnowledgeBase.from_folder(folder, cache=False))
    repeat = index.describe(index.lookup("repeat").matches[0].obj)
    assert (repeat.obj.name, repeat.obj.role) == ("greetkit.repeat", "function")
    assert repeat.summary == "Return `greeting` repeated `times` times, one per line."
    assert repeat.section == "Repeating greetings"
    assert repeat.link == "https://greetkit.example.org/guide/usage.html#greetkit.repeat"


def test_eval_rst_objects_sit_beside_the_page_s_directive_fences(tmp_path):
    (tmp_path / "api.md").write_text(PAGE, encoding="utf-8")
    index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
    assert sorted((o.name, o.role) for o in index.objects) == [
        ("farewell", "function"),
        ("greetkit.Greeter", "class"),
        ("greetkit.Greeter.greet", "method"),
        ("greetkit.shout", "function"),
    ]
    greet = index.describe(index.lookup("greet").matches[0].obj)
    assert greet.summary == "Returns the greeting."


def test_a_page_of_bare_autodoc_blocks_is_read_for_its_objects(tmp_path):
    # autodoc without text of its own writes nothing to the page, only the name to look up
    page = "# API\n\n```{eval-rst}\n.. autoclass:: greetkit.Greeter\n   :members:\n```\n\nSee the guide.\n"
    (tmp_path / "api.md").write_text(page, encoding="utf-8")
    index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
    assert [(o.name, o.role) for o in index.objects] == [("greetkit.Greeter", "class")]

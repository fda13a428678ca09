"""The web chat's source panel marks the cited passage (ui/sources.py), in-process: no server."""

from __future__ import annotations

from frontdesk_ui.sources import _marked

TEXT = (
    "## How long to rest\nA whole roast should rest 15 to 30 minutes, loosely covered with foil "
    "so that it does not steam and lose its crust. A whole roast chicken rests about 15 minutes."
)


def test_a_snippet_cut_mid_word_marks_the_whole_word() -> None:
    """Found in the web chat: a citation's snippet is cut at a fixed length ("...lose it...")
    and the mark ended inside "its", leaving "s crust" unmarked."""
    body, found = _marked(
        TEXT,
        "A whole roast should rest 15 to 30 minutes, loosely covered with"
        " foil so that it does not steam and lose it...",
    )
    assert found
    assert "and lose its</mark> crust" in body, body


def test_a_whole_snippet_is_marked_exactly_and_text_is_escaped() -> None:
    body, found = _marked("a <b> c. lose it. its end", "lose it.")
    assert found and body == "a &lt;b&gt; c. <mark class='fd-hit'>lose it.</mark> its end"
    assert _marked("nothing here", "absent words...") == ("nothing here", False)

"""Keyword + embedding retrieval and asking about one document, on fake models and embeddings.

The bag-of-words test embedder drops words of two letters or fewer and cuts words to five
letters, so — like MiniLM — it cannot tell `-D` from `-m`, or see a part number among many words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.errors import InputError, NotFoundError
from frontdesk.retrieval import fuse, tokenize
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin
from .servers import ThreadServer

GIT_DOCS = {
    "branch.md": "# Branches\n\nList each branch with git branch. Create a branch with git "
    "branch NAME. A branch is a movable pointer to a commit.",
    "rename.md": "# Renaming\n\nRename a branch with git branch -m OLD NEW; the branch keeps "
    "its commits.",
    "force.md": "# Forced deletion\n\nThe option -D is a shortcut for --delete --force: it "
    "allows deleting the branch irrespective of its merged status, or whether it even points "
    "to a valid commit, so commits reachable only from it are lost to later garbage collection.",
    "parts.md": "# Spare parts\n\nReplacement chain tensioner bracket, catalogue number 4711, "
    "fits every frame size sold since spring and ships with mounting screws and washers.",
    # (the titles are like "bracket" to the test embedder, not to keywords, which fold a
    # plural: "Brackets" would be "bracket")
    "frames.md": "# Bracketry\n\nFrame bracket sizes.",
    "mounts.md": "# Bracketry\n\nBottle bracket mounts.",
}


@pytest.fixture
def git_engine(tmp_path: Path, make_settings: Callable[..., Settings]) -> Callable[..., Engine]:
    root = tmp_path / "gitplugins"
    write_plugin(
        root, "git", "Git branches and spare parts.", ["How do I rename a branch?"], GIT_DOCS
    )

    def make(**overrides: object) -> Engine:
        eng = Engine(make_settings(plugins_path=str(root), **overrides), embedder=HashEmbedder())
        eng.ingest()
        return eng

    return make


def _sources(hits: list) -> list[str]:
    return [h.source_name for h in hits]


def test_tokens_keep_flags_joined_terms_and_numbers() -> None:
    tokens = tokenize("Use git-stash --soft, -D or part 4711 (v2.1).")
    for kept in ("git-stash", "--soft", "-D", "4711", "v2.1", "git", "stash", "soft", "d"):
        assert kept in tokens
    assert "use" in tokens and "or" not in tokens  # stop words go
    assert "-" not in "".join(t for t in tokenize("a - b") if t.startswith("-"))


def test_rrf_puts_an_id_ranked_high_by_both_first() -> None:
    assert fuse([["a", "b", "c"], ["b", "c", "a"]])[0] == "b"


@pytest.mark.parametrize("mode", ["hybrid", "rrf"])
def test_an_exact_flag_the_embeddings_miss_is_found(
    git_engine: Callable[..., Engine], mode: str
) -> None:
    plain = git_engine(retrieval="embedding")
    assert "force.md" not in _sources(plain.search("branch -D", "git", k=2))
    fused = git_engine(retrieval=mode)
    assert "force.md" in _sources(fused.search("branch -D", "git", k=2))


def test_a_part_number_the_embeddings_miss_is_found(git_engine: Callable[..., Engine]) -> None:
    plain = git_engine(retrieval="embedding")
    assert "parts.md" not in _sources(plain.search("bracket 4711", "git", k=2))
    hits = git_engine().search("bracket 4711", "git", k=2)
    assert "parts.md" in _sources(hits)
    assert 0 < hits[0].score <= 1  # still the cosine similarity, for grounding and display


def test_the_keyword_index_is_built_once_and_rebuilt_after_an_ingest(
    git_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    eng = git_engine()
    eng.search("branch -D", "git")
    index = eng.store.keywords._built["git"][1]
    eng.search("rename", "git")
    assert eng.store.keywords._built["git"][1] is index  # not rebuilt for every question
    (tmp_path / "gitplugins" / "git" / "knowledge" / "tags.md").write_text(
        "# Tags\n\nAnnotated tags are made with git tag -a zeta9 and carry a message."
    )
    eng.ingest(["git"])
    assert _sources(eng.search("zeta9", "git", k=1)) == ["tags.md"]
    assert eng.store.keywords._built["git"][1] is not index


def test_search_and_answers_scoped_to_one_document(git_engine: Callable[..., Engine]) -> None:
    eng = git_engine(escalate=False)
    hits = eng.search("branch", "git", k=4, document="parts.md")
    assert hits and set(_sources(hits)) == {"parts.md"}
    answer = eng.ask("How do I rename a branch?", plugin="git", document="parts.md")
    assert {c["source"] for c in answer.citations} == {"parts.md"}
    # parts.md says nothing about renaming: an honest gap, its closest passages cited, and
    # nothing from the other documents (which do cover it) leaks in.
    assert answer.answer.startswith("The git notes don't cover")
    with pytest.raises(NotFoundError, match="no document 'nope.md'"):
        eng.ask("How do I rename a branch?", plugin="git", document="nope.md")
    with pytest.raises(InputError, match="needs its plugin"):
        eng.ask("How do I rename a branch?", document="parts.md")


def test_cli_ask_and_search_take_doc(
    git_engine: Callable[..., Engine],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    eng = git_engine()
    monkeypatch.setattr(cli, "_engine", lambda: eng)
    assert cli.main(["search", "branch", "--plugin", "git", "--doc", "parts.md"]) == 0
    out = capsys.readouterr().out
    assert "parts.md" in out and "branch.md" not in out
    code = cli.main(["ask", "rename a branch", "--plugin", "git", "--doc", "nope.md"])
    assert code != 0 and "no document 'nope.md'" in capsys.readouterr().err


def test_api_metadata_document(git_engine: Callable[..., Engine]) -> None:
    eng = git_engine(escalate=False)
    with ThreadServer(build_app(eng, with_ui=False)) as srv:

        def ask(document: str, stream: bool = False) -> httpx.Response:
            body = {
                "model": "frontdesk/git",
                "messages": [{"role": "user", "content": "How do I rename a branch?"}],
                "metadata": {"document": document},
                "stream": stream,
            }
            return httpx.post(f"{srv.url}/v1/chat/completions", json=body, timeout=30)

        ok = ask("parts.md")
        assert ok.status_code == 200
        assert {c["source"] for c in ok.json()["frontdesk"]["citations"]} == {"parts.md"}
        for stream in (False, True):
            missing = ask("nope.md", stream)
            assert missing.status_code == 404
            error = missing.json()["error"]
            assert error["code"] == "not_found" and "nope.md" in error["message"]

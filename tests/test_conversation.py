"""Conversations, multi-part questions and the desk's own directory, with fake models and
bag-of-words embeddings (the real-model checks are in test_conversation_integration.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.followup import is_followup, rewrite, topic
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin


@pytest.mark.parametrize(
    ("previous", "question", "standalone"),
    [
        (
            "What is the capital of Peru?",
            "And what is its population?",
            "What is Peru's population?",
        ),
        (
            "How often should I water tomato plants?",
            "And what if they are in pots?",
            "What if tomato plants are in pots?",
        ),
        (
            "How often should I water tomato plants?",
            "and in pots?",
            "How often should I water tomato plants in pots?",
        ),
        (
            "When should I prune my roses?",
            "And what about the hydrangeas?",
            "When should I prune the hydrangeas?",
        ),
        ("How long should I rest a steak?", "Why?", "Why should I rest a steak?"),
        (
            "When did Albert Einstein marry Mileva Maric?",
            "Did they have any children?",
            "Did Albert Einstein have any children?",
        ),
        (
            "How long do leftovers keep in the fridge?",
            "Can I freeze it?",
            "Can I freeze leftovers?",
        ),
        # Session 9 (tests/test_user_found_s9b.py): a measure or phrasal verb without its object
        # was no follow-up ("How much should I cut back?" went to the coordinator) …
        (
            "When should I prune roses?",
            "How much should I cut back?",
            "How much should I cut back roses?",
        ),
        ("How do I plant garlic?", "How deep should I plant?", "How deep should I plant garlic?"),
        (
            "How much should I cut back roses?",
            "And when should I cut them back?",
            "When should I cut roses back?",
        ),
        ("How do I prune a rose?", "When do I cut back?", "When do I cut back a rose?"),
        # … a question in a fragment was glued on ("How often should I hone a knife at what
        # angle?", said not covered) …
        (
            "How often should I hone a knife?",
            "At what angle?",
            "At what angle should I hone a knife?",
        ),
        (
            "How do I season a cast iron pan?",
            "At what temperature?",
            "At what temperature do I season a cast iron pan?",
        ),
        # … "Which one …?" was a new question (the coordinator answered "Bamboo.") …
        (
            "What should I use to prune roses?",
            "Which one for thicker wood?",
            "What should I use to prune roses for thicker wood?",
        ),
        ("Which knife should I buy?", "Which one?", "Which knife should I buy?"),
        # (and a pronoun after that rewrite still finds the pan: dev thread cast9)
        (
            "At what temperature do I season a cast iron pan?",
            "How many times should I repeat it?",
            "How many times should I repeat the cast iron pan?",
        ),
        # … and a fragment was added to the phrase it stands for ("… in the ground in pots")
        (
            "How much should I water tomatoes in the ground?",
            "And in pots?",
            "How much should I water tomatoes in pots?",
        ),
        (
            "How long should bread dough prove at 22 °C?",
            "And at 30 °C?",
            "How long should bread dough prove at 30 °C?",
        ),
        (
            "How often should I water tomatoes if they are in pots?",
            "And in winter?",
            "How often should I water tomatoes if they are in pots in winter?",
        ),
        # Session 10 (a plugin author's aquarium, tests/test_user_found_s10.py): a noun phrase
        # without a determiner after "and" ("Baby fish, about my fish?" was answered with the
        # tank's temperatures) …
        (
            "How often should I feed my fish?",
            "And baby fish?",
            "How often should I feed baby fish?",
        ),
        (
            "How long should I rest a steak?",
            "And thick steaks?",
            "How long should I rest thick steaks?",
        ),
        ("When should I prune my roses?", "And hydrangeas?", "When should I prune hydrangeas?"),
        # … and "why not" with a phrase went to the coordinator as a new question
        (
            "How do I clean the sponge?",
            "Why not under the tap?",
            "Why not clean the sponge under the tap?",
        ),
        (
            "How many hours a day should the light be on?",
            "Why not longer?",
            "Why not longer? (How many hours a day should the light be on?)",
        ),
    ],
)
def test_follow_ups_are_rewritten_from_the_previous_question(
    previous: str, question: str, standalone: str
) -> None:
    assert is_followup(question)
    assert rewrite(question, previous) == standalone


@pytest.mark.parametrize(
    "question",
    [
        "Can I freeze cooked rice?",
        "Who painted Guernica?",
        "When should I sow carrots?",
        "Is it safe to eat raw chicken?",  # an `it` that points at nothing
        "How much should I cut back the roses?",  # the verb has its object
        "What should I cut back?",  # the question word is the object
        "How often should I water?",  # asks about the action itself
        "Why not use bleach to clean the filter?",  # "why not" with a verb of its own
    ],
)
def test_standalone_questions_are_not_follow_ups(question: str) -> None:
    assert not is_followup(question)


def test_a_pronoun_reaches_back_to_the_last_name_when_the_previous_question_has_none() -> None:
    earlier = ["What was Bob Dylan's first album?", "What happened in 1983?"]
    assert (
        rewrite("Did they have any children?", earlier[-1], earlier)
        == "Did Bob Dylan have any children?"
    )


def test_the_rewrite_reaches_back_through_a_stored_thread(engine: Engine) -> None:
    engine.ask("Who was Albert Einstein?", thread_id="q")
    engine.ask("What happened in 1905?", thread_id="q")
    answer = engine.ask("Did he have any children?", thread_id="q")
    assert answer.route["standalone"] == "Did Albert Einstein have any children?"


def test_what_about_reaches_past_a_conditional_follow_up_to_the_question_it_modified() -> None:
    # Seen in the CLI: water tomatoes -> "and if they are in pots?" -> "and the hydrangeas?" was
    # rewritten "What if tomatoes are in pots, about the hydrangeas?" and answered about tomatoes.
    earlier = ["How often should I water tomatoes?", "What if tomatoes are in pots?"]
    assert (
        rewrite("And what about the hydrangeas?", earlier[-1], earlier)
        == "How often should I water the hydrangeas?"
    )


def test_a_conditional_fragment_keeps_the_question_it_modifies() -> None:
    # Seen in the CLI: "And if they are in pots?" became "If tomatoes are in pots?", which lost
    # what was asked (how often to water), and "What about the hydrangeas?" after it was
    # rewritten "If the hydrangeas are in pots?".
    earlier = ["How often should I water tomatoes?"]
    second = rewrite("And if they are in pots?", earlier[-1], earlier)
    assert second == "How often should I water tomatoes if they are in pots?"
    earlier.append(second)
    for about in ("What about the hydrangeas?", "And what about the hydrangeas?"):
        assert rewrite(about, second, earlier) == "How often should I water the hydrangeas?"


@pytest.mark.parametrize(
    ("previous", "question", "standalone"),
    [
        # Seen in the CLI: "A whole chicken, about a steak?", answered with the steak times.
        (
            "How long should I rest a steak?",
            "And a whole chicken?",
            "How long should I rest a whole chicken?",
        ),
        (
            "When should I prune my roses?",
            "And the hydrangeas?",
            "When should I prune the hydrangeas?",
        ),
    ],
)
def test_a_noun_phrase_alone_takes_the_place_of_the_previous_topic(
    previous: str, question: str, standalone: str
) -> None:
    assert rewrite(question, previous) == standalone


def test_what_about_never_glues_the_new_topic_onto_the_old_question() -> None:
    out = rewrite("What about the hydrangeas?", "What if tomatoes are in pots?")
    assert "tomatoes" not in out and "hydrangeas" in out


def test_topic_is_the_name_or_the_object() -> None:
    assert topic("What is the capital of Peru?") == "Peru"
    assert topic("How long should I rest a steak after cooking?") == "a steak"


def _prompts_of(spec: str) -> list[str]:
    return ["\n".join(str(m.content) for m in msgs) for s, msgs in FakeChatModel.calls if s == spec]


def test_a_follow_up_is_routed_and_answered_as_its_standalone_question(engine: Engine) -> None:
    first = engine.ask("How often should I water tomatoes?", thread_id="t")
    assert first.route["plugins"][0]["name"] == "garden"
    FakeChatModel.calls.clear()
    events = list(engine.stream("And what if they are in pots?", thread_id="t"))
    route = events[0].data
    assert route["followup"] is True
    assert route["standalone"] == "What if tomatoes are in pots?"
    final = events[-1].data
    assert [p["name"] for p in final["route"]["plugins"]] == ["garden"]
    assert final["route"]["mode"] == "specialist"
    # The specialist saw the standalone question and none of the earlier turn.
    (prompt,) = _prompts_of("fake:facts")
    assert "Question: What if tomatoes are in pots?" in prompt
    assert "How often should I water tomatoes?" not in prompt
    # The thread keeps what the user typed.
    assert str(engine.history("t")[2].content) == "And what if they are in pots?"


def test_a_thread_stays_with_its_plugin_when_the_follow_up_is_ambiguous(engine: Engine) -> None:
    engine.ask("How long should I rest a steak?", thread_id="s")
    # "Why?" alone would fit nothing; made standalone and kept with the thread's plugin.
    answer = engine.ask("Why?", thread_id="s")
    assert [p["name"] for p in answer.route["plugins"]] == ["kitchen"]
    assert answer.route["standalone"] == "Why should I rest a steak?"


def test_a_new_question_that_clearly_belongs_elsewhere_leaves_the_thread_plugin(
    engine: Engine,
) -> None:
    engine.ask("How long should I rest a steak?", thread_id="x")
    answer = engine.ask("And when should I prune my roses?", thread_id="x")
    assert [p["name"] for p in answer.route["plugins"]] == ["garden"]


def test_no_earlier_answer_reaches_a_specialist_with_a_new_question(engine: Engine) -> None:
    engine.ask("How long should I rest a steak?", thread_id="r")
    FakeChatModel.calls.clear()
    answer = engine.ask("Can I freeze cooked rice?", thread_id="r", plugin="kitchen")
    ((_, messages),) = [c for c in FakeChatModel.calls if c[0] == "fake:facts"]
    # system, the worked example (question, answer), this question: no earlier turn.
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert "How long should I rest a steak?" not in "\n".join(str(m.content) for m in messages)
    assert "rice" in answer.answer.lower()


def test_coordinator_on_a_bundled_model_gets_no_raw_history(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(coordinator_model="llamacpp:smollm2"), embedder=HashEmbedder())
    eng.ingest()
    from frontdesk.graph import _coordinator_history

    state = {"messages": eng.memory.messages(eng.graph, "none"), "question": "q"}
    assert _coordinator_history(state, eng) == []  # type: ignore[arg-type]


def test_multi_part_question_answers_every_part_from_its_own_notes(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """The garden's model invents; its part is still answered, from the garden's own notes
    (the claim check replaces the invention by the evidence), and each part keeps its sources."""
    from frontdesk.testing import OFFTOPIC

    root = tmp_path / "mixed"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        model = "fake:offtopic" if name == "garden" else None
        write_plugin(root, name, desc, examples, docs, model=model)
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    answer = eng.ask("How long should I rest a steak, and when should I prune my roses?")
    assert answer.route["mode"] == "multi"
    assert "Rest a thick steak for eight minutes" in answer.answer
    assert "Prune bush roses in late winter" in answer.answer
    assert OFFTOPIC not in answer.answer
    assert answer.answer.index("steak") < answer.answer.index("roses")  # the question's order
    parts = {p["plugin"]: p for p in answer.route["parts"]}
    assert parts["kitchen"]["part"] == "How long should I rest a steak"
    assert parts["kitchen"]["answered"] and parts["kitchen"]["citations"][0]["source"] == "steak.md"
    assert parts["garden"]["answered"] and parts["garden"]["citations"][0]["source"] == "roses.md"


def test_a_part_without_a_grounded_answer_is_said_not_found() -> None:
    from frontdesk import parts

    route = {"parts": [{"plugin": "garden", "part": "when should I prune my roses"}]}
    text = parts.gap(route, {"plugin": "garden", "answer": "The garden notes don't cover it."})
    assert text == (
        'Not found in garden\'s knowledge ("when should I prune my roses"): '
        "that part is not answered."
    )


def test_each_plugin_is_asked_its_own_part(engine: Engine) -> None:
    engine.ask("How long should I rest a steak, and when should I prune my roses?")
    prompts = _prompts_of("fake:facts")
    assert any("Question: How long should I rest a steak\n" in p for p in prompts)
    assert any("Question: when should I prune my roses?\n" in p for p in prompts)


def test_a_merge_that_drops_a_part_is_replaced_by_the_parts(engine: Engine) -> None:
    # fake:echo "merges" into "echo: Combined answer:", which keeps neither part.
    answer = engine.ask("How long should I rest a steak, and when should I prune my roses?")
    assert answer.answer == (
        "kitchen: Rest a thick steak for eight minutes before cutting it.\n\n"
        "garden: Prune bush roses in late winter when the buds swell."
    )
    assert "left a part out" in answer.route["reason"]


@pytest.mark.parametrize(
    "question", ["What can you help me with?", "what can you do", "Hi! Who are you?", "help"]
)
def test_the_desk_answers_what_it_can_do_from_the_registry(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert FakeChatModel.calls == []  # no model call
    assert answer.route["mode"] == "coordinator" and answer.route["origin"] == "registry"
    assert "kitchen: Cooking steak, resting meat" in answer.answer
    assert "garden: Gardening: pruning roses" in answer.answer
    assert '"How long should I rest a steak?"' in answer.answer


def test_the_desk_question_is_recognised_inside_a_thread_too(engine: Engine) -> None:
    engine.ask("How long should I rest a steak?", thread_id="d")
    answer = engine.ask("help", thread_id="d")
    assert answer.route["origin"] == "registry"
    assert answer.answer.startswith("I can send your question to these specialists")


def test_off_topic_answers_are_labelled_as_the_general_model(engine: Engine) -> None:
    answer = engine.ask("Who painted the Mona Lisa?")
    assert answer.route["origin"] == "general" and answer.citations == []
    grounded = engine.ask("How long should I rest a steak?")
    assert grounded.route["origin"] == "knowledge"


def test_off_topic_questions_can_be_declined(make_settings: Callable[..., Settings]) -> None:
    eng = Engine(make_settings(off_topic="decline"), embedder=HashEmbedder())
    eng.ingest()
    answer = eng.ask("Who painted the Mona Lisa?")
    assert FakeChatModel.calls == []
    assert answer.answer.startswith("That question is outside what this desk covers")
    assert "kitchen, garden" in answer.answer or "garden, kitchen" in answer.answer
    assert answer.route["origin"] == "declined"
    # In-domain questions are still answered.
    assert eng.ask("How long should I rest a steak?").route["mode"] == "specialist"


def test_off_topic_setting_is_validated(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ValueError, match="off_topic"):
        make_settings(off_topic="maybe")


def test_coordinator_is_told_to_answer_in_the_users_language(engine: Engine) -> None:
    engine.ask("Who painted the Mona Lisa?")
    question = str(FakeChatModel.calls[-1][1][-1].content)
    assert question == "Who painted the Mona Lisa?\nAnswer in English."
    FakeChatModel.calls.clear()
    engine.ask("¿Quién pintó la Mona Lisa?")
    assert str(FakeChatModel.calls[-1][1][-1].content) == "¿Quién pintó la Mona Lisa?"


def test_a_follow_up_that_fits_no_plugin_stays_with_the_thread() -> None:
    """Audit, session 10: after "And what about the hydrangeas?" (declined by gardening), "How
    much should I cut back?" was rewritten "… cut back the hydrangeas?", fitted no plugin (0.21)
    and went to the coordinator, which invented an answer. Fitting nothing is no sign that a
    follow-up belongs elsewhere: the thread's plugin answers it, or says it is not covered."""
    from frontdesk.parts import stay_with
    from frontdesk.router import PluginScore, Route

    def accepts(score: PluginScore) -> bool:
        return score.score >= 0.5

    scores = [PluginScore("cycling", 0.23), PluginScore("gardening", 0.21)]
    nothing = Route([], "coordinator", "no plugin fits (best: cycling at 0.23)", scores=scores)
    kept = stay_with(nothing, "gardening", accepts)
    assert [p.name for p in kept.plugins] == ["gardening"] and kept.mode == "specialist"
    assert kept.plugins[0].score == 0.21 and "gardening kept" in kept.reason
    # Another plugin the router is sure of still takes it.
    sure = Route([PluginScore("cooking", 0.8)], "specialist", "cooking fits", scores=scores)
    assert stay_with(sure, "gardening", accepts) is sure

"""The load benchmark's integrity checks find a lost turn and a mixed thread (so that its
"nothing lost" and "no thread mixed" can fail)."""

from __future__ import annotations

from typing import Any

from benchmarks.load import Attempt, Client, check, max_admitted


def _client(index: int, stream: bool, statuses: list[str]) -> Client:
    questions = [f"Q{t} (client {index}, turn {t + 1})" for t in range(len(statuses))]
    c = Client(index, f"t{index}", stream, questions)
    for t, status in enumerate(statuses):
        text = f"answer {index}.{t}" if status == "200" else ""
        c.attempts.append(Attempt(index, t, questions[t], stream, status, 1.0, text=text))
    return c


def _history(c: Client) -> list[dict[str, str]]:
    out = []
    for a in c.answered:
        out += [{"role": "user", "content": a.question}, {"role": "assistant", "content": a.text}]
    return out


def _clients() -> list[Client]:
    return [_client(0, True, ["200", "429", "200"]), _client(1, False, ["200", "200"])]


def _stored(clients: list[Client]) -> dict[str, Any]:
    return {c.thread: _history(c) for c in clients}


def test_a_faithful_store_passes() -> None:
    clients = _clients() + [_client(2, False, ["503"])]
    stored = _stored(clients)
    stored["t2"] = 404
    assert check(clients, stored) == {"lost": [], "mixed": []}


def test_another_clients_question_is_a_mixed_thread() -> None:
    clients = _clients()
    stored = _stored(clients)
    stored["t0"][2] = {"role": "user", "content": clients[1].questions[0]}
    found = check(clients, stored)
    assert found["mixed"] and "t0" in found["mixed"][0]
    assert found["lost"]  # the turn it replaced is missing too


def test_a_missing_turn_an_extra_thread_and_a_changed_answer_are_lost() -> None:
    clients = _clients() + [_client(2, False, ["429"])]
    stored = _stored(clients)
    del stored["t0"][2:]  # the third turn got a 200 but was not stored
    stored["t1"][3]["content"] = "something else"  # stored other than delivered
    stored["t2"] = [{"role": "user", "content": clients[2].questions[0]}]  # refused, yet stored
    lost = check(clients, stored)["lost"]
    assert any(line.startswith("t0:") for line in lost)
    assert any(line.startswith("t1:") and "other than delivered" in line for line in lost)
    assert any(line.startswith("t2:") for line in lost)


def test_an_empty_answer_is_lost() -> None:
    clients = _clients()
    clients[1].attempts[0].text = ""
    stored = _stored(clients)
    assert any("empty 200 answer" in line for line in check(clients, stored)["lost"])


def test_max_admitted_counts_overlapping_requests_but_not_429s() -> None:
    def at(start: float, seconds: float, status: str) -> Attempt:
        return Attempt(0, 0, "q", False, status, seconds, start)

    attempts = [at(0, 10, "200"), at(1, 2, "200"), at(2, 60, "503"), at(2.5, 0.1, "429")]
    attempts.append(at(10, 5, "200"))  # starts as the first one ends: not at once with it
    assert max_admitted(attempts) == 3

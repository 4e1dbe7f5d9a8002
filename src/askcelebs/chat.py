"""The conversation chain: history -> standalone question -> retrieve -> answer.

Follow-ups are made standalone without an LLM: the people of the latest earlier question that named anyone
replace the pronouns ("How did they meet?" -> "How did John Legend and Kanye West meet?"), and a question with
almost no words of its own carries the earlier question along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import get_callback_manager_for_config

from .index import tokenize
from .people import Name, looks_like_person, without_roles
from .retrieval import passage_document

_PLURAL = re.compile(r"\b(they|them|their|theirs|the two|the pair|the duo|the couple)\b", re.I)
_SINGULAR = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)
_ASKS_WHO = re.compile(r"\s*(?:who|whom|whose|which)\b", re.I)
_POSSESSIVE = {"their", "theirs", "his", "hers"}


@dataclass
class Standalone:
    question: str
    names: list[Name] = field(default_factory=list)
    carried: bool = False  # people (or topic) came from earlier turns


def message_text(message: Any) -> str:
    """Message content as text, whether a string or a list of parts (OpenAI / Gradio style)."""
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def condense(question: str, history: Iterable[Any] | None, find_names: Callable[[str], list[Name]]) -> Standalone:
    question = question.strip()
    names = find_names(question)
    if names or not history:
        return Standalone(question, names)
    turns = list(history)
    for i in range(len(turns) - 1, -1, -1):
        if _role(turns[i]) not in ("user", "human"):
            continue
        earlier = message_text(turns[i])
        earlier_names = find_names(earlier)
        if earlier_names:
            if _PLURAL.search(question) and (len(earlier_names) == 1 or _ASKS_WHO.match(earlier)):
                # "they" takes in the person the reply named, when one was asked for or only one was known
                earlier_names = earlier_names + _other_person(turns[i + 1:], earlier_names, find_names)
            return Standalone(_rewrite(question, earlier, earlier_names), earlier_names, True)
    return Standalone(question, [])


def _role(message: Any) -> str:
    return message.get("role") if isinstance(message, dict) else getattr(message, "type", "")


def _other_person(replies: list, names: list[Name], find_names: Callable[[str], list[Name]]) -> list[Name]:
    """'Which director has Johnny Depp worked with most?' ... 'Tim Burton' ... 'What did they make together?':
    "they" is Depp and the person the reply named."""
    for reply in replies:
        if _role(reply) not in ("assistant", "ai"):
            continue
        for name in map(without_roles, find_names(message_text(reply))):
            if len(name.words) > 1 and looks_like_person(name) and name not in names:
                return [name]
        return []
    return []


def _rewrite(question: str, earlier: str, names: list[Name]) -> str:
    people = " and ".join(n.text for n in names)

    def sub(match: re.Match) -> str:
        word = match.group(0)
        if word.lower() in _POSSESSIVE:
            return " and ".join(f"{n.text}'s" for n in names)
        return people

    pattern = _PLURAL if len(names) > 1 else _SINGULAR
    rewritten, count = pattern.subn(sub, question)
    if not count and len(names) == 1:
        rewritten, count = _PLURAL.subn(sub, question)
    if not count:
        rewritten = f"{question} ({people})"
    if not tokenize(question):
        rewritten = f"{rewritten} (following up on: {earlier.strip()})"
    return rewritten


def traced_retrieve(app, s: Standalone, config: RunnableConfig | None = None):
    """Retrieve for a standalone question, reported to LangChain callbacks as a retriever run (so tracers show
    the query and the documents), while the chain keeps the richer Retrieval object."""
    run = get_callback_manager_for_config(config or {}).on_retriever_start(
        None, s.question, name="AskCelebsRetriever")
    try:
        retrieval = app._retriever.retrieve(s.question, names=s.names)  # ask() refreshed
    except BaseException as exc:
        run.on_retriever_error(exc)
        raise
    run.on_retriever_end([passage_document(p) for p in retrieval.passages])
    return retrieval


def build_chain(app) -> Runnable:
    """{"question", "history"} -> Answer, as a LangChain runnable (so it composes, traces and batches)."""

    def standalone(inputs: dict) -> dict:
        return {**inputs, "standalone": condense(inputs["question"], inputs.get("history"), app.names)}

    def retrieve(inputs: dict, config: RunnableConfig) -> dict:
        s = inputs["standalone"]
        return {**inputs, "retrieval": traced_retrieve(app, s, config)}

    def answer(inputs: dict):
        return app.answer_retrieval(inputs["standalone"].question, inputs["retrieval"])

    return (RunnableLambda(standalone, name="standalone_question") | RunnableLambda(retrieve, name="retrieve")
            | RunnableLambda(answer, name="answer"))

"""askcelebs behaves like every other LangChain retriever: LangChain's own standard tests over the real retriever
on a real store, per-call options (k, callbacks, tags), and async calls that leave the event loop free."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from askcelebs.retrieval import AskCelebsRetriever

from .conftest import SEED

QUERY = "How did John Legend and Kanye West meet?"


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory, embedder):
    from askcelebs import AskCelebs

    bot = AskCelebs(store=tmp_path_factory.mktemp("lc") / "store", embedder=embedder)
    assert [r.status for r in bot.add(str(SEED))] == ["added"]
    return bot


class TestAskCelebsRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _app(self, seeded_app):
        self.app = seeded_app

    @property
    def retriever_constructor(self) -> type[AskCelebsRetriever]:
        return AskCelebsRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"app": self.app}

    @property
    def retriever_query_example(self) -> str:
        return QUERY


class RunRecorder(BaseCallbackHandler):
    def __init__(self):
        self.starts: list[tuple[str, list[str]]] = []
        self.ends: list[list[Document]] = []

    def on_retriever_start(self, serialized, query, *, tags=None, **kwargs):
        self.starts.append((query, list(tags or [])))

    def on_retriever_end(self, documents, **kwargs):
        self.ends.append(list(documents))


def test_call_time_k_callbacks_and_tags_reach_the_retriever_run(seeded_app):
    recorder = RunRecorder()
    docs = seeded_app.retriever.invoke(QUERY, {"callbacks": [recorder], "tags": ["mine"]}, k=2)
    assert len(docs) == 2
    assert recorder.starts == [(QUERY, ["mine"])]
    assert [d.id for d in recorder.ends[0]] == [d.id for d in docs]
    assert all(d.metadata["article_id"] and d.metadata["end"] > d.metadata["start"] for d in docs)


def test_unknown_call_time_option_is_refused_by_name(seeded_app):
    with pytest.raises(TypeError, match="top_k"):
        seeded_app.retriever.invoke(QUERY, top_k=2)


def test_chat_chain_reports_its_retrieval_as_a_retriever_run(seeded_app):
    recorder = RunRecorder()
    answer = seeded_app.ask("Are John Legend and Kanye West still friends?", config={"callbacks": [recorder]})
    assert recorder.starts and recorder.starts[0][0].startswith("Are John Legend and Kanye West")
    cited = {c.article_id for c in answer.citations}
    assert cited and cited <= {d.metadata["article_id"] for d in recorder.ends[0]}


def _loop_stays_free(coros) -> tuple[list, int]:
    """Run coroutines concurrently while a ticker counts how often the event loop got to run it."""
    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        t = asyncio.create_task(ticker())
        results = await asyncio.gather(*coros())
        done.set()
        await t
        return results, ticks

    return asyncio.run(main())


def test_two_concurrent_retriever_ainvokes_leave_the_event_loop_free(seeded_app):
    retriever = seeded_app.retriever
    retriever.invoke(QUERY)  # warm
    start = time.perf_counter()
    results, ticks = _loop_stays_free(lambda: [retriever.ainvoke(QUERY, k=1), retriever.ainvoke(QUERY, k=3)])
    elapsed = time.perf_counter() - start
    assert [len(r) for r in results] == [1, 3]
    # a blocking call would starve the ticker for the whole elapsed time
    assert ticks >= max(2, int(elapsed / 0.005 * 0.3))


def test_two_concurrent_chain_ainvokes_answer_and_leave_the_loop_free(seeded_app):
    chain = seeded_app.chain
    questions = ["How did John Legend and Kanye West meet?", "Did Kanye West help John Legend get his record deal?"]
    start = time.perf_counter()
    results, ticks = _loop_stays_free(lambda: [chain.ainvoke({"question": q}) for q in questions])
    elapsed = time.perf_counter() - start
    assert all(r.citations and not r.abstained for r in results)
    assert results[0].question != results[1].question
    assert ticks >= max(2, int(elapsed / 0.005 * 0.3))


def test_chain_astream_yields_the_answer(seeded_app):
    async def collect():
        return [chunk async for chunk in seeded_app.chain.astream({"question": QUERY})]

    chunks = asyncio.run(collect())
    assert chunks[-1].citations


def test_retriever_plugs_into_a_users_own_lcel_chain(seeded_app):
    """The README's example: bot.retriever in a user's LCEL chain."""
    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    fake_llm = RunnableLambda(lambda messages: messages.to_string())  # echoes the prompt; no model needed
    chain = ({"context": seeded_app.retriever | (lambda docs: "\n".join(d.page_content for d in docs)),
              "question": lambda q: q} | prompt | fake_llm | StrOutputParser())
    out = chain.invoke(QUERY)
    assert "Question: " + QUERY in out and "Legend" in out.split("Question:")[0]

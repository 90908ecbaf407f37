"""True positives through the ways services hold their clients: module containers, `app.state`, globals
set in functions, dataclass fields, yielded and class dependencies, `Annotated` aliases, constructor
arguments, generic base classes, abstract interfaces, subclasses of a client, and background tasks."""

import abc
import contextlib
import dataclasses
from typing import Annotated

import openai
from fastapi import BackgroundTasks, Depends, FastAPI, Request
from openai import OpenAI
from sqlalchemy.orm import Session

clients: dict[str, OpenAI] = {}
_lazy = None


@dataclasses.dataclass
class Pool:
    fast: openai.AsyncOpenAI
    slow: OpenAI


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    clients["llm"] = OpenAI(timeout=20)
    app.state.llm = OpenAI(timeout=20)
    app.state.pool = Pool(fast=openai.AsyncOpenAI(timeout=20), slow=OpenAI(timeout=20))
    yield


app = FastAPI(lifespan=lifespan)


def lazy_client() -> OpenAI:
    global _lazy
    if _lazy is None:
        _lazy = OpenAI(timeout=20)
    return _lazy


def get_session():
    session = Session()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


class Repository(abc.ABC):
    @abc.abstractmethod
    def rows(self) -> list[object]: ...


class SqlRepository(Repository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(self) -> list[object]:
        return list(self.session.execute("select 1"))


class Base[T]:
    def __init__(self, helper: T) -> None:
        self.helper = helper


class Summaries(Base[Repository]):
    def __init__(self, session: SessionDep) -> None:
        super().__init__(SqlRepository(session))

    def latest(self) -> list[object]:
        return self.helper.rows()


class Answerer:
    def __init__(self, client) -> None:  # unannotated: what every caller passes
        self.client = client

    def answer(self, q: str) -> object:
        return self.client.chat.completions.create(model="m", messages=[{"content": q}])


answerer = Answerer(OpenAI(timeout=20))


class Tracing(openai.AsyncOpenAI):
    """A project subclass of a client is built like the client."""


def new_client() -> OpenAI:
    return OpenAI(timeout=20)


def notify(text: str) -> None:
    new_client().moderations.create(input=text)


@app.post("/container")
async def from_container(q: str) -> object:
    return clients["llm"].chat.completions.create(model="m", messages=[])  # expect: AWB101


@app.post("/state")
async def from_state(request: Request) -> object:
    return request.app.state.llm.models.list()  # expect: AWB101


@app.post("/pool")
async def from_pool(request: Request) -> object:
    await request.app.state.pool.fast.models.list()
    return request.app.state.pool.slow.models.list()  # expect: AWB101


@app.post("/global")
async def from_global() -> object:
    return lazy_client().models.list()  # expect: AWB101


@app.post("/parameter")
async def from_parameter(q: str) -> object:
    return answerer.answer(q)  # expect: AWB101


@app.get("/summaries")
async def summaries(service: Annotated[Summaries, Depends()]) -> object:
    return service.latest()  # expect: AWB109


@app.post("/traced")
async def traced() -> None:
    client = Tracing()  # expect: AWB103, AWB106
    await client.models.list()


@app.post("/later")
async def later(text: str, tasks: BackgroundTasks) -> None:
    tasks.add_task(notify, text)  # expect: AWB103

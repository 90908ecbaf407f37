"""True negatives: objects built with a client are not clients themselves."""

import requests


class Repo:
    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self.items: dict[str, str] = {}


def make_repo(session: requests.Session) -> Repo:
    return Repo(session)


repo = make_repo(requests.Session())


async def lookup(key: str) -> str | None:
    return repo.items.get(key)

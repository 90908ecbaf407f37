"""True positives for AWB102: blocking calls reached from async code."""

import shutil
import subprocess
import time as t
from time import sleep

from fastapi import APIRouter

router = APIRouter()


def parse_document(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def wait_a_bit() -> None:
    sleep(0.1)


def deeper() -> None:
    wait_a_bit()


@router.post("/doc")
async def read_doc(path: str) -> str:
    text = parse_document(path)  # expect: AWB102
    deeper()  # expect: AWB102
    t.sleep(1)  # expect: AWB102
    return text


async def run_tool() -> bytes:
    return subprocess.check_output(["ls"])  # expect: AWB102


class Archiver:
    def _copy(self, source: str, target: str) -> None:
        shutil.copy(source, target)

    async def archive(self, source: str) -> None:
        self._copy(source, "/tmp/archive")  # expect: AWB102


class Loader:
    def __init__(self, path: str) -> None:
        self.data = open(path).read()


async def load(path: str) -> Loader:
    return Loader(path)  # expect: AWB102


async def sleeper_alias() -> None:
    pause = t.sleep
    pause(0.5)  # expect: AWB102

"""True positives for AWB107: stacked retries and retries without a pause."""

import asyncio

import openai
import tenacity
from urllib3.util import Retry

client = openai.AsyncOpenAI(timeout=30)
quiet = openai.AsyncOpenAI(timeout=30, max_retries=0)


async def stacked(prompt: str) -> object:
    for attempt in range(3):  # expect: AWB107
        try:
            return await client.chat.completions.create(model="m", messages=[{"content": prompt}])
        except openai.RateLimitError:
            await asyncio.sleep(2**attempt)
    return None


async def storm(prompt: str) -> object:
    while True:  # expect: AWB107
        try:
            return await quiet.chat.completions.create(model="m", messages=[{"content": prompt}])
        except openai.APIError:
            continue


@tenacity.retry(stop=tenacity.stop_after_attempt(5))  # expect: AWB107
async def decorated(prompt: str) -> object:
    return await quiet.chat.completions.create(model="m", messages=[{"content": prompt}])


RETRY = Retry(total=5, backoff_factor=0)  # expect: AWB107

"""True negatives for AWB107: one retry policy, with a pause; loops that are not retries."""

import asyncio
import random

import backoff
import openai
import tenacity

quiet = openai.AsyncOpenAI(timeout=20, max_retries=0)
sdk = openai.AsyncOpenAI(timeout=20)


async def with_backoff(prompt: str) -> object:
    for attempt in range(5):
        try:
            return await quiet.chat.completions.create(model="m", messages=[{"content": prompt}])
        except openai.RateLimitError:
            await asyncio.sleep(random.uniform(0, 0.5 * 2**attempt))
    raise RuntimeError("gave up")


@tenacity.retry(wait=tenacity.wait_exponential(), stop=tenacity.stop_after_attempt(3))
async def tenacity_waits(prompt: str) -> object:
    return await quiet.chat.completions.create(model="m", messages=[{"content": prompt}])


@backoff.on_exception(backoff.expo, openai.RateLimitError, max_tries=3)
async def backoff_expo(prompt: str) -> object:
    return await quiet.chat.completions.create(model="m", messages=[{"content": prompt}])


async def independent_calls(prompts: list[str]) -> list:
    outcomes = []
    for prompt in prompts:
        try:
            outcomes.append(await sdk.moderations.create(input=prompt))
        except openai.APIError as exc:
            outcomes.append(exc)
    return outcomes


async def sdk_retries_only(prompt: str) -> object:
    return await sdk.chat.completions.create(model="m", messages=[{"content": prompt}])


RETRY_POLICY = {"attempts": 3, "delay_s": 0.5}

"""True negative: an entry-point script (an ingestion job run by hand) is no request path; only retry
storms and forgotten awaits are checked there."""

import asyncio
import json

from openai import AsyncOpenAI

client = AsyncOpenAI()


async def ingest(path: str) -> None:
    with open(path) as handle:
        rows = json.load(handle)
    for row in rows:
        await client.embeddings.create(model="e", input=row)


if __name__ == "__main__":
    asyncio.run(ingest("rows.json"))

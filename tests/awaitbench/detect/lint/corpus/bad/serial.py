"""True positives for AWB104: independent upstream calls awaited one after another."""

from openai import AsyncOpenAI

client = AsyncOpenAI(timeout=30)


async def summary(doc: str) -> str:
    reply = await client.chat.completions.create(model="m", messages=[{"content": doc}])
    return reply.choices[0].message.content


async def three_in_a_row(doc: str) -> tuple:
    a = await client.chat.completions.create(model="m", messages=[{"content": "sum " + doc}])  # expect: AWB104
    b = await client.chat.completions.create(model="m", messages=[{"content": "kw " + doc}])
    c = await client.embeddings.create(model="e", input=doc)
    return a, b, c


async def package_coroutines(doc: str, other: str) -> tuple:
    first = await summary(doc)  # expect: AWB104
    second = await summary(other)
    return first, second


async def in_a_loop(docs: list[str]) -> list:
    out = []
    for doc in docs:
        out.append(await client.chat.completions.create(model="m", messages=[{"content": doc}]))  # expect: AWB104
    return out


async def in_a_comprehension(docs: list[str]) -> list:
    return [await summary(doc) for doc in docs]  # expect: AWB104

"""True negatives for AWB104: dependent chains and awaits whose order matters."""

import asyncio

import httpx
from openai import AsyncOpenAI

client = AsyncOpenAI(timeout=20)
http = httpx.AsyncClient()
lock = asyncio.Lock()


async def chain(doc: str) -> str:
    outline = await client.chat.completions.create(model="m", messages=[{"content": doc}])
    draft = await client.chat.completions.create(model="m", messages=[{"content": str(outline)}])
    return str(draft)


async def ordered_side_effects(ws: object, db: object, doc: str) -> None:
    await lock.acquire()
    await asyncio.sleep(0.1)
    await ws.send(doc)
    await db.execute("insert")
    await db.commit()


async def writes_in_order(url: str) -> None:
    await http.post(url + "/create")
    await http.post(url + "/activate")


async def one_then_other(doc: str) -> str:
    reply = await client.chat.completions.create(model="m", messages=[{"content": doc}])
    text = reply.choices[0].message.content
    follow = await client.chat.completions.create(model="m", messages=[{"content": text}])
    return str(follow)


async def paginate(url: str) -> list:
    items, cursor = [], None
    for _ in range(10):
        page = await http.get(url, params={"cursor": cursor})
        cursor = page.headers.get("next")
        items.append(page)
    return items


async def consume(stream: object) -> None:
    async for chunk in stream:
        await asyncio.sleep(0)


async def create_user(name: str) -> None:
    await http.post("http://x/users", json={"name": name})


async def send_welcome(name: str) -> None:
    await http.post("http://x/mail", json={"to": name})


async def onboarding(name: str) -> None:
    await create_user(name)
    await send_welcome(name)

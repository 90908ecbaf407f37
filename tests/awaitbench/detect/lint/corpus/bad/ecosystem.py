"""True positives across the LLM service ecosystem: SDKs, frameworks, drivers and CPU-heavy calls that
block the loop in `async def` (each spelled the way services in the wild spell it)."""

import boto3
import bcrypt
import google.generativeai as legacy_genai
import litellm
import pymongo
import pypdf
import redis
from crewai import Crew
from fastapi import Depends, FastAPI
from google import genai
from langchain.embeddings.openai import OpenAIEmbeddings
from langchain.llms import AzureOpenAI
from langchain.vectorstores import Chroma
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from llama_index.core import VectorStoreIndex
from openai import AsyncClient, Client
from passlib.context import CryptContext
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from supabase import create_client

app = FastAPI()
gemini = genai.Client(http_options={"timeout": 20_000})
gemini_model = legacy_genai.GenerativeModel("gemini-1.5-flash")
sync_alias = Client(timeout=20)
chat_model = ChatOpenAI(model="m", timeout=20)
chain = ChatPromptTemplate.from_template("{q}") | chat_model
supabase = create_client("https://x.supabase.co", "key")
cache = redis.Redis()
mongo = pymongo.MongoClient("mongodb://db")
passwords = CryptContext(schemes=["bcrypt"])
SessionLocal = sessionmaker(bind=create_engine("postgresql://db"))
bedrock = boto3.client("bedrock-runtime")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.post("/gemini")
async def gemini_sync(prompt: str) -> str:
    return gemini.models.generate_content(model="gemini-2.0-flash", contents=prompt).text  # expect: AWB101


@app.post("/gemini-async")
async def gemini_aio(prompt: str) -> str:
    reply = await gemini.aio.models.generate_content(model="gemini-2.0-flash", contents=prompt)
    return reply.text


@app.post("/legacy-gemini")
async def legacy_gemini(prompt: str) -> str:
    return gemini_model.generate_content(prompt).text  # expect: AWB101


@app.post("/alias")
async def openai_alias(prompt: str) -> None:
    sync_alias.chat.completions.create(model="m", messages=[])  # expect: AWB101


@app.post("/chain")
async def langchain_invoke(q: str) -> object:
    return chain.invoke({"q": q})  # expect: AWB101


@app.post("/chain-async")
async def langchain_ainvoke(q: str) -> object:
    prompt = ChatPromptTemplate.from_template("{q}").invoke({"q": q})  # a prompt is local
    return await chat_model.ainvoke(prompt)


@app.post("/index")
async def llama_query(q: str, docs: list[str]) -> str:
    index = VectorStoreIndex.from_documents(docs)  # expect: AWB101
    return str(index.as_query_engine().query(q))  # expect: AWB101


@app.post("/litellm")
async def litellm_sync(prompt: str) -> object:
    return litellm.completion(model="m", messages=[], timeout=10)  # expect: AWB101


@app.post("/bedrock")
async def bedrock_converse(prompt: str) -> object:
    return bedrock.converse(modelId="m", messages=[])  # expect: AWB101


@app.post("/crew")
async def crew_kickoff(crew: Crew) -> object:
    return crew.kickoff()  # expect: AWB101


@app.get("/rows")
async def supabase_rows(user: str) -> object:
    return supabase.table("rows").select("*").eq("user", user).execute()  # expect: AWB101


@app.get("/cached")
async def redis_get(key: str) -> object:
    return cache.get(key)  # expect: AWB102


@app.get("/doc")
async def mongo_find(key: str) -> object:
    return mongo.app.users.find_one({"key": key})  # expect: AWB109


@app.get("/orm")
async def orm_query(db=Depends(get_db)) -> object:
    return db.query(object).filter(True).first()  # expect: AWB109


@app.post("/login")
async def login(password: str, digest: str) -> bool:
    return passwords.verify(password, digest)  # expect: AWB102


@app.post("/hash")
async def hash_password(password: bytes) -> bytes:
    return bcrypt.hashpw(password, bcrypt.gensalt())  # expect: AWB102


@app.post("/pdf")
async def read_pdf(path: str) -> int:
    return len(pypdf.PdfReader(path).pages)  # expect: AWB102


@app.post("/per-request")
async def per_request(prompt: str) -> object:
    client = AsyncClient()  # expect: AWB103, AWB106
    return await client.chat.completions.create(model="m", messages=[])


@app.post("/legacy-langchain")
async def legacy_langchain(q: str) -> object:
    store = Chroma(embedding_function=OpenAIEmbeddings(request_timeout=20))
    return store.similarity_search(q, k=3)  # expect: AWB101


def legacy_models() -> tuple[object, object]:
    llm = AzureOpenAI(deployment_name="d")  # expect: AWB106
    return llm, OpenAIEmbeddings()  # expect: AWB106

"""The LLM service ecosystem as data: SDK clients, frameworks, drivers and blocking calls, with their async
twins, default deadlines and retries, and what the rules do with each (docs/lint.md's table is made from it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from awaitbench.detect.lint.findings import Severity

__all__ = [
    "ALIASES",
    "CALLS",
    "CLIENTS",
    "CONSTRUCTOR_NAMES",
    "LONG_DEADLINE_S",
    "PACKAGES",
    "SPEC_BY_KEYWORD",
    "CallSpec",
    "ClientSpec",
    "call_mode",
    "call_spec",
    "canonical",
    "category_of",
    "client_spec",
    "deadline_text",
    "markdown_table",
    "produced",
    "severity_of",
    "short_name",
]

Family = Literal["llm", "framework", "http", "network", "db", "cache", "cpu"]
Mode = Literal["sync", "async", "mixed"]
Kind = Literal["llm", "http", "db", "cache", "file", "sleep", "process", "input", "dns", "cpu"]
DeadlineAt = Literal["client", "call"]
Pooled = Literal["", "session", "connection"]

FOREVER = math.inf
# A default deadline above this is "long": a hung upstream holds the request (or a thread) that long.
LONG_DEADLINE_S = 60.0


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientSpec:
    """An object whose methods go to the network (or burn CPU), and how to recognise those calls.

    A call `obj.<path...>.<verb>(...)` is a network call when `path` starts with one of `resources`, or
    `verb` is one of `methods`, or `any_method` is set and `verb` is not `local`. `mode` says whether it
    blocks: "mixed" objects offer both (`invoke`/`ainvoke`): `async_methods`, a verb ending in
    `async_suffix` or a path through `async_attr` (`client.aio.models...`) are awaited, the rest block.
    `produces` maps a call or access (`"()"` calling it, `"[]"`/`"."` indexing or any attribute, else the
    dotted path and verb) to the type it returns; with `chain`, other method calls return the same
    object (query builders). `pooled` says how a database object holds a pooled connection: a "session"
    from its first query until it commits, rolls back or closes; a "connection" for as long as it is open.
    """

    name: str
    sdk: str
    family: Family
    mode: Mode
    note: str
    use_instead: str = ""
    resources: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()
    async_methods: frozenset[str] = frozenset()
    any_method: bool = False
    any_path: bool = False
    local: frozenset[str] = frozenset()
    async_suffix: str = ""
    async_attr: str = ""
    produces: Mapping[str, str] = field(default_factory=dict)
    chain: bool = False
    timeout_s: float | None = None
    deadline_keywords: tuple[str, ...] = ("timeout",)
    deadline_at: DeadlineAt = "client"
    retries: int = 0
    retries_text: str = ""
    per_request_cost: bool = False
    pooled: Pooled = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CallSpec:
    """A module-level function (or class) whose call blocks, reaches the network, or builds a client."""

    name: str
    sdk: str
    kind: Kind
    note: str
    use_instead: str = ""
    is_async: bool = False
    blocking: bool = True
    returns: str | None = None
    timeout_s: float | None = None
    deadline_keywords: tuple[str, ...] = ("timeout",)
    ruff: str | None = None
    aliases: tuple[str, ...] = ()


_OPENAI_RESOURCES = frozenset(
    {
        "audio",
        "batches",
        "beta",
        "chat",
        "completions",
        "containers",
        "conversations",
        "embeddings",
        "evals",
        "files",
        "fine_tuning",
        "images",
        "models",
        "moderations",
        "realtime",
        "responses",
        "uploads",
        "vector_stores",
    }
)
_ANTHROPIC_RESOURCES = frozenset({"messages", "completions", "beta", "models"})
_STAINLESS_RESOURCES = frozenset({"chat", "completions", "embeddings", "audio", "models", "batches", "files"})
_MISTRAL_RESOURCES = frozenset(
    {"chat", "embeddings", "fim", "agents", "ocr", "classifiers", "models", "files", "fine_tuning", "batch"}
)
_GENAI_RESOURCES = frozenset(
    {"models", "chats", "files", "caches", "batches", "tunings", "operations", "file_search_stores", "tokens"}
)
_COHERE_METHODS = frozenset(
    {"chat", "chat_stream", "embed", "rerank", "generate", "generate_stream", "classify", "summarize"}
)
_LC_SYNC = frozenset(
    {
        "invoke",
        "stream",
        "batch",
        "predict",
        "predict_messages",
        "run",
        "__call__",
        "generate",
        "get_relevant_documents",
        "embed_query",
        "embed_documents",
        "similarity_search",
        "similarity_search_with_score",
        "max_marginal_relevance_search",
        "add_documents",
        "add_texts",
    }
)
_LC_ASYNC = frozenset(
    {
        "ainvoke",
        "astream",
        "abatch",
        "apredict",
        "apredict_messages",
        "arun",
        "acall",
        "agenerate",
        "aget_relevant_documents",
        "aembed_query",
        "aembed_documents",
        "asimilarity_search",
        "asimilarity_search_with_score",
        "amax_marginal_relevance_search",
        "aadd_documents",
        "aadd_texts",
        "astream_events",
        "astream_log",
    }
)
_LC_SAME = (
    "with_structured_output",
    "bind_tools",
    "bind",
    "with_config",
    "with_retry",
    "with_fallbacks",
    "with_types",
    "pipe",
    "assign",
    "as_retriever",
    "configurable_fields",
    "configurable_alternatives",
)
_LI_SYNC = frozenset({"query", "retrieve", "chat", "stream_chat", "complete", "stream_complete", "predict"})
_LI_ASYNC = frozenset({"aquery", "aretrieve", "achat", "astream_chat", "acomplete", "astream_complete"})
_HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream", "ws_connect"}
)
_MONGO_COLLECTION = frozenset(
    {
        "find",
        "find_one",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "count_documents",
        "estimated_document_count",
        "aggregate",
        "distinct",
        "bulk_write",
        "create_index",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
    }
)
_BOTO_LOCAL = frozenset(
    {
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "generate_presigned_url",
        "generate_presigned_post",
        "close",
    }
)
_REDIS_LOCAL = frozenset({"pipeline", "pubsub", "lock", "close", "get_connection_kwargs", "register_script"})

_STAINLESS_NOTE = "{sdk} SDK client: AWB101 when a call runs on the loop, AWB103 when built per request, "
_ASYNC_NOTE = "awaited calls are fine; AWB103 when built per request, AWB104/105 for its calls, "
_LC_NOTE = (
    "LangChain: `invoke`/`stream`/`batch`/`predict`/`run`/a direct call block the loop in `async def` "
    "(AWB101; use `ainvoke`/`astream`/`abatch`); "
)
_LI_NOTE = "LlamaIndex: `query`/`chat`/`complete`/`retrieve` block the loop in `async def` (AWB101; use "


def _stainless(
    name: str, *, sync: bool, resources: frozenset[str], timeout: float, retries: int, twin: str = ""
) -> ClientSpec:
    sdk = name.partition(".")[0]
    mode: Mode = "sync" if sync else "async"
    why = _STAINLESS_NOTE if sync else f"{sdk} SDK async client: " + _ASYNC_NOTE
    deadline = f"AWB106 at the constructor without `timeout=` (default {timeout:g} s)"
    if timeout <= LONG_DEADLINE_S:
        deadline = f"its default deadline ({timeout:g} s) is kept"
    return ClientSpec(
        name=name,
        sdk=sdk,
        family="llm",
        mode=mode,
        note=why.format(sdk=sdk) + f"{deadline}; AWB107 around its own {retries} retries.",
        use_instead=twin,
        resources=resources,
        timeout_s=timeout,
        retries=retries,
        per_request_cost=True,
    )


def _langchain(
    name: str,
    note: str,
    *,
    timeout: float | None = None,
    keywords: tuple[str, ...] = ("timeout",),
    retries: int = 0,
    aliases: tuple[str, ...] = (),
) -> ClientSpec:
    return ClientSpec(
        name=name,
        sdk=name.partition(".")[0],
        family="framework",
        mode="mixed",
        note=_LC_NOTE + note,
        use_instead="ainvoke / astream / abatch",
        methods=_LC_SYNC | _LC_ASYNC,
        async_methods=_LC_ASYNC,
        produces={verb: name for verb in _LC_SAME},
        timeout_s=timeout,
        deadline_keywords=keywords,
        retries=retries,
        per_request_cost=False,  # LangChain shares its default HTTP clients between instances
        aliases=aliases,
    )


def _llamaindex(
    name: str, what: str, *, produces: Mapping[str, str] | None = None, **extra: object
) -> ClientSpec:
    return ClientSpec(
        name=name,
        sdk="llama_index",
        family="framework",
        mode="mixed",
        note=_LI_NOTE + f"`aquery`/`achat`/`acomplete`/`aretrieve`). {what}",
        use_instead="aquery / achat / acomplete / aretrieve",
        methods=_LI_SYNC | _LI_ASYNC,
        async_methods=_LI_ASYNC,
        produces=produces or {},
        **extra,  # type: ignore[arg-type]
    )


_CLIENT_LIST: tuple[ClientSpec, ...] = (
    _stainless(
        "openai.OpenAI",
        sync=True,
        resources=_OPENAI_RESOURCES,
        timeout=600,
        retries=2,
        twin="openai.AsyncOpenAI",
    ),
    _stainless("openai.AsyncOpenAI", sync=False, resources=_OPENAI_RESOURCES, timeout=600, retries=2),
    _stainless(
        "openai.AzureOpenAI",
        sync=True,
        resources=_OPENAI_RESOURCES,
        timeout=600,
        retries=2,
        twin="openai.AsyncAzureOpenAI",
    ),
    _stainless("openai.AsyncAzureOpenAI", sync=False, resources=_OPENAI_RESOURCES, timeout=600, retries=2),
    _stainless(
        "anthropic.Anthropic",
        sync=True,
        resources=_ANTHROPIC_RESOURCES,
        timeout=600,
        retries=2,
        twin="anthropic.AsyncAnthropic",
    ),
    _stainless(
        "anthropic.AsyncAnthropic", sync=False, resources=_ANTHROPIC_RESOURCES, timeout=600, retries=2
    ),
    _stainless(
        "anthropic.AnthropicBedrock",
        sync=True,
        resources=_ANTHROPIC_RESOURCES,
        timeout=600,
        retries=2,
        twin="anthropic.AsyncAnthropicBedrock",
    ),
    _stainless(
        "anthropic.AsyncAnthropicBedrock", sync=False, resources=_ANTHROPIC_RESOURCES, timeout=600, retries=2
    ),
    _stainless(
        "anthropic.AnthropicVertex",
        sync=True,
        resources=_ANTHROPIC_RESOURCES,
        timeout=600,
        retries=2,
        twin="anthropic.AsyncAnthropicVertex",
    ),
    _stainless(
        "anthropic.AsyncAnthropicVertex", sync=False, resources=_ANTHROPIC_RESOURCES, timeout=600, retries=2
    ),
    _stainless(
        "groq.Groq", sync=True, resources=_STAINLESS_RESOURCES, timeout=60, retries=2, twin="groq.AsyncGroq"
    ),
    _stainless("groq.AsyncGroq", sync=False, resources=_STAINLESS_RESOURCES, timeout=60, retries=2),
    _stainless(
        "together.Together",
        sync=True,
        resources=_STAINLESS_RESOURCES | {"images", "rerank", "fine_tuning"},
        timeout=600,
        retries=5,
        twin="together.AsyncTogether",
    ),
    _stainless(
        "together.AsyncTogether",
        sync=False,
        resources=_STAINLESS_RESOURCES | {"images", "rerank", "fine_tuning"},
        timeout=600,
        retries=5,
    ),
    ClientSpec(
        name="mistralai.Mistral",
        sdk="mistralai",
        family="llm",
        mode="mixed",
        note="Mistral SDK: `chat.complete` blocks, `chat.complete_async` is awaited (AWB101 for the blocking "
        "one in `async def`); its default deadline is httpx's (5 s), kept.",
        use_instead="<resource>.<verb>_async",
        resources=_MISTRAL_RESOURCES,
        async_suffix="_async",
        per_request_cost=True,
        aliases=("mistralai.client.Mistral", "mistralai.sdk.Mistral"),
    ),
    ClientSpec(
        name="mistralai.client.MistralClient",
        sdk="mistralai",
        family="llm",
        mode="sync",
        note="Mistral SDK (0.x) sync client: AWB101 in `async def`.",
        use_instead="mistralai.async_client.MistralAsyncClient",
        methods=frozenset({"chat", "chat_stream", "embeddings", "completion", "list_models"}),
        per_request_cost=True,
    ),
    ClientSpec(
        name="mistralai.async_client.MistralAsyncClient",
        sdk="mistralai",
        family="llm",
        mode="async",
        note="Mistral SDK (0.x) async client.",
        methods=frozenset({"chat", "chat_stream", "embeddings", "completion", "list_models"}),
        per_request_cost=True,
    ),
    ClientSpec(
        name="cohere.Client",
        sdk="cohere",
        family="llm",
        mode="sync",
        note="Cohere sync client: AWB101 in `async def`; AWB106 at the constructor without `timeout=` "
        "(default 300 s).",
        use_instead="cohere.AsyncClient",
        methods=_COHERE_METHODS,
        timeout_s=300,
        deadline_keywords=("timeout", "httpx_client"),
        retries=2,
        per_request_cost=True,
        aliases=("cohere.ClientV2",),
    ),
    ClientSpec(
        name="cohere.AsyncClient",
        sdk="cohere",
        family="llm",
        mode="async",
        note="Cohere async client: AWB106 at the constructor without `timeout=` (default 300 s).",
        methods=_COHERE_METHODS,
        timeout_s=300,
        deadline_keywords=("timeout", "httpx_client"),
        retries=2,
        per_request_cost=True,
        aliases=("cohere.AsyncClientV2",),
    ),
    ClientSpec(
        name="google.genai.Client",
        sdk="google-genai",
        family="llm",
        mode="mixed",
        note="Gemini (google-genai): `client.models.generate_content` blocks, `client.aio.models...` is "
        "awaited (AWB101); no deadline unless `http_options=HttpOptions(timeout=ms)` (AWB106 at the "
        "constructor); no retries unless configured.",
        use_instead="client.aio.<resource>.<verb>",
        resources=_GENAI_RESOURCES,
        async_attr="aio",
        produces={
            "chats.create": "google.genai.chats.Chat",
            "aio.chats.create": "google.genai.chats.AsyncChat",
        },
        timeout_s=FOREVER,
        deadline_keywords=("http_options",),
        per_request_cost=True,
        aliases=("google.genai.client.Client",),
    ),
    ClientSpec(
        name="google.genai.chats.Chat",
        sdk="google-genai",
        family="llm",
        mode="sync",
        note="a Gemini chat session: `send_message` blocks (AWB101 in `async def`).",
        use_instead="client.aio.chats.create(...)",
        methods=frozenset({"send_message", "send_message_stream"}),
    ),
    ClientSpec(
        name="google.genai.chats.AsyncChat",
        sdk="google-genai",
        family="llm",
        mode="async",
        note="a Gemini async chat session.",
        methods=frozenset({"send_message", "send_message_stream"}),
    ),
    ClientSpec(
        name="google.generativeai.GenerativeModel",
        sdk="google-generativeai",
        family="llm",
        mode="mixed",
        note="Gemini (google-generativeai): `generate_content` blocks, `generate_content_async` is awaited "
        "(AWB101); each call waits up to 600 s and retries 503s for up to 600 s unless it passes "
        "`request_options={'timeout': s}` (AWB106 at the call).",
        use_instead="generate_content_async",
        methods=frozenset(
            {"generate_content", "count_tokens", "generate_content_async", "count_tokens_async"}
        ),
        async_methods=frozenset({"generate_content_async", "count_tokens_async"}),
        produces={"start_chat": "google.generativeai.ChatSession"},
        timeout_s=600,
        deadline_keywords=("request_options",),
        deadline_at="call",
        retries=1,
        retries_text="503s for 600 s",
        aliases=("google.generativeai.generative_models.GenerativeModel",),
    ),
    ClientSpec(
        name="google.generativeai.ChatSession",
        sdk="google-generativeai",
        family="llm",
        mode="mixed",
        note="a Gemini chat session: `send_message` blocks, `send_message_async` is awaited (AWB101).",
        use_instead="send_message_async",
        methods=frozenset({"send_message", "send_message_async"}),
        async_methods=frozenset({"send_message_async"}),
        timeout_s=600,
        deadline_keywords=("request_options",),
        deadline_at="call",
    ),
    ClientSpec(
        name="litellm.Router",
        sdk="litellm",
        family="llm",
        mode="mixed",
        note="LiteLLM router: `completion`/`embedding` block, `acompletion`/`aembedding` are awaited "
        "(AWB101).",
        use_instead="acompletion / aembedding",
        methods=frozenset({"completion", "embedding", "text_completion", "acompletion", "aembedding"}),
        async_methods=frozenset({"acompletion", "aembedding", "atext_completion"}),
        per_request_cost=True,
    ),
    _langchain(
        "langchain_openai.ChatOpenAI",
        "without `timeout=` it hands the SDK `timeout=None`: no deadline at all (AWB106 at the constructor).",
        timeout=FOREVER,
        keywords=("timeout", "request_timeout"),
        retries=2,
        aliases=(
            "langchain.chat_models.ChatOpenAI",
            "langchain_community.chat_models.ChatOpenAI",
            "langchain.chat_models.openai.ChatOpenAI",
            "langchain_openai.chat_models.ChatOpenAI",
        ),
    ),
    _langchain(
        "langchain_openai.AzureChatOpenAI",
        "without `timeout=` it hands the SDK `timeout=None`: no deadline at all (AWB106 at the constructor).",
        timeout=FOREVER,
        keywords=("timeout", "request_timeout"),
        retries=2,
        aliases=("langchain.chat_models.AzureChatOpenAI", "langchain_community.chat_models.AzureChatOpenAI"),
    ),
    _langchain(
        "langchain_openai.OpenAI",
        "a completion model; without `timeout=` no deadline at all (AWB106 at the constructor).",
        timeout=FOREVER,
        keywords=("timeout", "request_timeout"),
        retries=2,
        aliases=(
            "langchain.llms.OpenAI",
            "langchain_community.llms.OpenAI",
            "langchain_openai.AzureOpenAI",
            "langchain.llms.AzureOpenAI",
            "langchain_community.llms.AzureOpenAI",
        ),
    ),
    _langchain(
        "langchain_openai.OpenAIEmbeddings",
        "without `timeout=` no deadline at all (AWB106 at the constructor).",
        timeout=FOREVER,
        keywords=("timeout", "request_timeout"),
        retries=2,
        aliases=(
            "langchain.embeddings.OpenAIEmbeddings",
            "langchain.embeddings.openai.OpenAIEmbeddings",
            "langchain_community.embeddings.OpenAIEmbeddings",
            "langchain_openai.AzureOpenAIEmbeddings",
        ),
    ),
    _langchain(
        "langchain_anthropic.ChatAnthropic",
        "without `timeout=` it hands the SDK `timeout=None`: no deadline at all (AWB106 at the constructor).",
        timeout=FOREVER,
        keywords=("timeout", "default_request_timeout"),
        retries=2,
        aliases=("langchain.chat_models.ChatAnthropic", "langchain_community.chat_models.ChatAnthropic"),
    ),
    _langchain(
        "langchain_google_genai.ChatGoogleGenerativeAI",
        "without `timeout=` no deadline (AWB106 at the constructor); retries 6 times by default.",
        timeout=FOREVER,
        keywords=("timeout", "request_timeout"),
        retries=6,
        aliases=("langchain_google_genai.GoogleGenerativeAIEmbeddings",),
    ),
    _langchain(
        "langchain.utility",
        "API wrappers (Wikipedia, search, ...): `run` blocks, `arun` awaits.",
    ),
    _langchain(
        "langchain.chat_model",
        "other chat models: their deadlines are left to their SDKs (not reported).",
        aliases=(
            "langchain_groq.ChatGroq",
            "langchain_mistralai.ChatMistralAI",
            "langchain_ollama.ChatOllama",
            "langchain_ollama.OllamaLLM",
            "langchain_community.chat_models.ChatOllama",
            "langchain_community.llms.Ollama",
            "langchain_aws.ChatBedrock",
            "langchain_aws.ChatBedrockConverse",
            "langchain_cohere.ChatCohere",
            "langchain_google_vertexai.ChatVertexAI",
            "langchain_community.chat_models.ChatLiteLLM",
            "langchain_huggingface.HuggingFaceEndpoint",
        ),
    ),
    _langchain(
        "langchain.runnable",
        "chains, agents, retrievers, graphs and `prompt | model` pipelines built from a model.",
        aliases=(
            "langchain.chains.LLMChain",
            "langchain.chains.RetrievalQA",
            "langchain.chains.ConversationChain",
            "langchain.chains.ConversationalRetrievalChain",
            "langchain.agents.AgentExecutor",
            "langchain_classic.chains.LLMChain",
            "langchain_classic.chains.RetrievalQA",
        ),
    ),
    ClientSpec(
        name="langchain.local",
        sdk="langchain",
        family="framework",
        mode="mixed",
        note="prompt templates and output parsers: their `invoke` is local (never reported); piped with a "
        "model they make a `langchain.runnable`.",
        produces={verb: "langchain.local" for verb in _LC_SAME},
        per_request_cost=False,
        aliases=(
            "langchain_core.prompts.ChatPromptTemplate",
            "langchain_core.prompts.PromptTemplate",
            "langchain.prompts.ChatPromptTemplate",
            "langchain.prompts.PromptTemplate",
            "langchain_core.output_parsers.StrOutputParser",
            "langchain_core.output_parsers.JsonOutputParser",
            "langchain_core.output_parsers.PydanticOutputParser",
            "langchain.output_parsers.PydanticOutputParser",
        ),
    ),
    ClientSpec(
        name="langgraph.graph.StateGraph",
        sdk="langgraph",
        family="framework",
        mode="mixed",
        note="a graph builder: `compile()` gives a `langchain.runnable` (`invoke` blocks, `ainvoke` awaits).",
        produces={"compile": "langchain.runnable"},
        aliases=("langgraph.graph.state.StateGraph",),
    ),
    _llamaindex(
        "llama_index.core.VectorStoreIndex",
        "An index: its `as_query_engine()`/`as_chat_engine()`/`as_retriever()` are the engines.",
        produces={
            "as_query_engine": "llama_index.engine",
            "as_chat_engine": "llama_index.engine",
            "as_retriever": "llama_index.engine",
        },
        aliases=(
            "llama_index.VectorStoreIndex",
            "llama_index.core.SummaryIndex",
            "llama_index.core.indices.vector_store.VectorStoreIndex",
            "llama_index.core.KnowledgeGraphIndex",
            "llama_index.core.PropertyGraphIndex",
        ),
    ),
    _llamaindex(
        "llama_index.engine",
        "Query engines, chat engines and retrievers.",
        aliases=(
            "llama_index.core.query_engine.RetrieverQueryEngine",
            "llama_index.core.chat_engine.SimpleChatEngine",
            "llama_index.core.chat_engine.CondensePlusContextChatEngine",
        ),
    ),
    _llamaindex(
        "llama_index.llms.openai.OpenAI",
        "Its default deadline (60 s) and 3 retries are kept.",
        timeout_s=60.0,
        retries=3,
        per_request_cost=True,
        aliases=(
            "llama_index.llms.OpenAI",
            "llama_index.llms.azure_openai.AzureOpenAI",
            "llama_index.llms.anthropic.Anthropic",
            "llama_index.llms.gemini.Gemini",
            "llama_index.llms.google_genai.GoogleGenAI",
            "llama_index.llms.groq.Groq",
            "llama_index.llms.ollama.Ollama",
            "llama_index.llms.litellm.LiteLLM",
        ),
    ),
    ClientSpec(
        name="boto3.client",
        sdk="boto3",
        family="http",
        mode="sync",
        note="every AWS client (`bedrock-runtime` `invoke_model`/`converse`, `s3`, ...) is sync: AWB101 in "
        "`async def` (offload it, or use aioboto3); building one costs tens of ms (AWB103 per request); "
        "botocore's 60 s read timeout is kept.",
        use_instead="aioboto3, or asyncio.to_thread",
        any_method=True,
        local=_BOTO_LOCAL,
        timeout_s=60.0,
        deadline_keywords=("config",),
        retries=4,
        per_request_cost=True,
    ),
    ClientSpec(
        name="boto3.resource",
        sdk="boto3",
        family="http",
        mode="sync",
        note="AWS resources (`s3.Bucket(...).put_object(...)`, `Object(...).get()`, ...): every action is "
        "blocking HTTP: AWB101 in `async def`.",
        use_instead="aioboto3, or asyncio.to_thread",
        methods=frozenset(
            {
                "put_object",
                "upload_file",
                "upload_fileobj",
                "download_file",
                "download_fileobj",
                "delete",
                "delete_objects",
                "get",
                "put",
                "copy",
                "copy_from",
                "load",
                "reload",
                "get_item",
                "put_item",
                "update_item",
                "delete_item",
                "query",
                "scan",
                "batch_write_item",
            }
        ),
        chain=True,
        per_request_cost=True,
        aliases=("boto3.session.Session.resource",),
    ),
    ClientSpec(
        name="boto3.Session",
        sdk="boto3",
        family="http",
        mode="sync",
        note="`boto3.Session().client(...)`/`.resource(...)` make a `boto3.client`/`boto3.resource`.",
        produces={"client": "boto3.client", "resource": "boto3.resource"},
        aliases=("boto3.session.Session",),
    ),
    ClientSpec(
        name="requests.Session",
        sdk="requests",
        family="http",
        mode="sync",
        note="sync HTTP (AWB101 in `async def`, ruff ASYNC210 for the module functions); no deadline unless "
        "each call passes `timeout=` (AWB106 at the call, ruff S113).",
        use_instead="httpx.AsyncClient",
        methods=_HTTP_VERBS,
        timeout_s=FOREVER,
        deadline_at="call",
        aliases=("requests.session", "requests.sessions.Session"),
    ),
    ClientSpec(
        name="httpx.Client",
        sdk="httpx",
        family="http",
        mode="sync",
        note="sync HTTP (AWB101 in `async def`, ruff ASYNC212); its 5 s default deadline is kept, "
        "`timeout=None` is AWB106.",
        use_instead="httpx.AsyncClient",
        methods=_HTTP_VERBS,
        timeout_s=5.0,
        per_request_cost=True,
    ),
    ClientSpec(
        name="httpx.AsyncClient",
        sdk="httpx",
        family="http",
        mode="async",
        note="async HTTP: AWB103 per request, AWB104/105 for GETs; its 5 s default is kept, `timeout=None` "
        "is AWB106.",
        methods=_HTTP_VERBS,
        timeout_s=5.0,
        per_request_cost=True,
    ),
    ClientSpec(
        name="aiohttp.ClientSession",
        sdk="aiohttp",
        family="http",
        mode="async",
        note="async HTTP: AWB103 per request; AWB106 at the constructor without `timeout=` (300 s total).",
        methods=_HTTP_VERBS,
        timeout_s=300.0,
        per_request_cost=True,
    ),
    ClientSpec(
        name="urllib3.PoolManager",
        sdk="urllib3",
        family="http",
        mode="sync",
        note="sync HTTP: AWB101 in `async def`; no deadline unless `timeout=` (AWB106 at the constructor).",
        use_instead="httpx.AsyncClient",
        methods=frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
        timeout_s=FOREVER,
        per_request_cost=True,
    ),
    ClientSpec(
        name="supabase.Client",
        sdk="supabase",
        family="http",
        mode="sync",
        note="every `.execute()` is a blocking HTTP call to PostgREST: AWB101 in `async def`.",
        use_instead="supabase.acreate_client (AsyncClient)",
        methods=frozenset({"execute"}),
        chain=True,
        per_request_cost=True,
        aliases=("supabase.client.Client", "supabase._sync.client.SyncClient"),
    ),
    ClientSpec(
        name="supabase.AsyncClient",
        sdk="supabase",
        family="http",
        mode="async",
        note="async PostgREST builder: `await ....execute()`.",
        methods=frozenset({"execute"}),
        chain=True,
        per_request_cost=True,
        aliases=("supabase._async.client.AsyncClient",),
    ),
    ClientSpec(
        name="redis.Redis",
        sdk="redis",
        family="cache",
        mode="sync",
        note="every command is a blocking round trip: AWB102 (medium) in `async def`.",
        use_instead="redis.asyncio.Redis",
        any_method=True,
        local=_REDIS_LOCAL,
        produces={"pipeline": "redis.client.Pipeline"},
        per_request_cost=True,
        aliases=("redis.StrictRedis", "redis.client.Redis"),
    ),
    ClientSpec(
        name="redis.client.Pipeline",
        sdk="redis",
        family="cache",
        mode="sync",
        note="a sync pipeline: `execute()` blocks.",
        use_instead="redis.asyncio.Redis.pipeline",
        methods=frozenset({"execute"}),
        chain=True,
    ),
    ClientSpec(
        name="redis.asyncio.Redis",
        sdk="redis",
        family="cache",
        mode="async",
        note="async redis: awaited commands are fine; AWB103 when built per request.",
        any_method=True,
        local=_REDIS_LOCAL,
        per_request_cost=True,
        aliases=("redis.asyncio.client.Redis", "aioredis.Redis", "redis.asyncio.StrictRedis"),
    ),
    ClientSpec(
        name="sqlalchemy.orm.Session",
        sdk="sqlalchemy",
        family="db",
        mode="sync",
        note="a sync ORM session (e.g. from `Depends(get_db)`): `execute`/`query(...).all()`/`commit` block "
        "the loop in `async def` (AWB109): use a `def` route or `AsyncSession`.",
        use_instead="sqlalchemy.ext.asyncio.AsyncSession",
        methods=frozenset(
            {
                "execute",
                "scalar",
                "scalars",
                "get",
                "commit",
                "flush",
                "refresh",
                "merge",
                "exec",
                "connection",
            }
        ),
        produces={"query": "sqlalchemy.orm.Query"},
        aliases=("sqlalchemy.orm.session.Session", "sqlmodel.Session", "sqlmodel.orm.session.Session"),
    ),
    ClientSpec(
        name="sqlalchemy.orm.Query",
        sdk="sqlalchemy",
        family="db",
        mode="sync",
        note="a legacy ORM query: `all()`/`first()`/`one()`/`count()` block.",
        use_instead="sqlalchemy.ext.asyncio.AsyncSession.execute(select(...))",
        methods=frozenset(
            {"all", "first", "one", "one_or_none", "scalar", "count", "delete", "update", "get"}
        ),
        chain=True,
    ),
    ClientSpec(
        name="sqlalchemy.orm.sessionmaker",
        sdk="sqlalchemy",
        family="db",
        mode="sync",
        note="calling it makes a sync `Session`.",
        produces={"()": "sqlalchemy.orm.Session", "begin": "sqlalchemy.orm.Session"},
    ),
    ClientSpec(
        name="sqlalchemy.engine.Engine",
        sdk="sqlalchemy",
        family="db",
        mode="sync",
        note="a sync engine: `connect()`/`begin()` and the connection's `execute` block (AWB109).",
        use_instead="sqlalchemy.ext.asyncio.create_async_engine",
        methods=frozenset({"connect", "begin"}),
        produces={"connect": "sqlalchemy.engine.Connection", "begin": "sqlalchemy.engine.Connection"},
    ),
    ClientSpec(
        name="sqlalchemy.engine.Connection",
        sdk="sqlalchemy",
        family="db",
        mode="sync",
        note="a sync connection: `execute`/`commit` block.",
        use_instead="sqlalchemy.ext.asyncio.AsyncConnection",
        methods=frozenset({"execute", "exec_driver_sql", "commit", "rollback", "scalar", "scalars"}),
    ),
    ClientSpec(
        name="psycopg2.extensions.connection",
        sdk="psycopg2",
        family="db",
        mode="sync",
        note="a sync connection: `commit`/`rollback` and its cursors' `execute` block (AWB109).",
        use_instead="psycopg.AsyncConnection, asyncpg",
        methods=frozenset({"commit", "rollback"}),
        produces={"cursor": "psycopg2.extensions.cursor"},
    ),
    ClientSpec(
        name="psycopg2.extensions.cursor",
        sdk="psycopg2",
        family="db",
        mode="sync",
        note="a sync cursor: `execute` blocks.",
        use_instead="an async driver's cursor",
        methods=frozenset({"execute", "executemany", "callproc", "copy_expert", "copy_from", "copy_to"}),
        aliases=("psycopg.Cursor",),
    ),
    ClientSpec(
        name="psycopg.Connection",
        sdk="psycopg",
        family="db",
        mode="sync",
        note="psycopg 3's sync connection: `execute`/`commit` block the loop in `async def` (AWB109).",
        use_instead="psycopg.AsyncConnection",
        methods=frozenset({"execute", "commit", "rollback"}),
        produces={"cursor": "psycopg2.extensions.cursor"},
        aliases=("psycopg.connection.Connection",),
    ),
    ClientSpec(
        name="psycopg_pool.ConnectionPool",
        sdk="psycopg_pool",
        family="db",
        mode="sync",
        note="psycopg's sync pool: `getconn` and its connections' queries block (AWB109).",
        use_instead="psycopg_pool.AsyncConnectionPool",
        methods=frozenset({"getconn"}),
        produces={"connection": "psycopg.Connection", "getconn": "psycopg.Connection"},
        aliases=("psycopg_pool.pool.ConnectionPool",),
    ),
    ClientSpec(
        name="psycopg.AsyncConnection",
        sdk="psycopg",
        family="db",
        mode="async",
        note="psycopg 3's async connection: holds its connection while open (AWB110 across an LLM call).",
        methods=frozenset({"execute", "commit", "rollback", "close"}),
        pooled="connection",
        aliases=("psycopg.connection_async.AsyncConnection",),
    ),
    ClientSpec(
        name="psycopg_pool.AsyncConnectionPool",
        sdk="psycopg_pool",
        family="db",
        mode="async",
        note="psycopg's async pool: `connection()` lends a connection until the block ends (AWB110).",
        methods=frozenset({"getconn"}),
        produces={"connection": "psycopg.AsyncConnection", "getconn": "psycopg.AsyncConnection"},
        aliases=("psycopg_pool.pool_async.AsyncConnectionPool",),
    ),
    ClientSpec(
        name="asyncpg.Pool",
        sdk="asyncpg",
        family="db",
        mode="async",
        note="asyncpg's pool: its own queries hold a connection briefly; `acquire()` lends one until the "
        "block ends (AWB110).",
        methods=frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval"}),
        produces={"acquire": "asyncpg.Connection"},
        aliases=("asyncpg.pool.Pool",),
    ),
    ClientSpec(
        name="asyncpg.Connection",
        sdk="asyncpg",
        family="db",
        mode="async",
        note="an asyncpg connection: holds its connection while open (AWB110 across an LLM call).",
        methods=frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare", "close"}),
        pooled="connection",
        aliases=("asyncpg.connection.Connection", "asyncpg.pool.PoolConnectionProxy"),
    ),
    ClientSpec(
        name="sqlalchemy.ext.asyncio.AsyncSession",
        sdk="sqlalchemy",
        family="db",
        mode="async",
        note="an async ORM session (e.g. from `Depends(get_db)`): holds a pooled connection from its first "
        "query until it commits or closes (AWB110 across an LLM call).",
        methods=frozenset(
            {
                "execute",
                "scalar",
                "scalars",
                "get",
                "get_one",
                "stream",
                "stream_scalars",
                "commit",
                "rollback",
                "close",
                "flush",
                "refresh",
                "merge",
                "delete",
                "exec",
                "connection",
                "run_sync",
            }
        ),
        pooled="session",
        aliases=("sqlalchemy.ext.asyncio.session.AsyncSession", "sqlmodel.ext.asyncio.session.AsyncSession"),
    ),
    ClientSpec(
        name="sqlalchemy.ext.asyncio.async_sessionmaker",
        sdk="sqlalchemy",
        family="db",
        mode="async",
        note="calling it makes an `AsyncSession`.",
        produces={
            "()": "sqlalchemy.ext.asyncio.AsyncSession",
            "begin": "sqlalchemy.ext.asyncio.AsyncSession",
        },
        aliases=("sqlalchemy.ext.asyncio.session.async_sessionmaker",),
    ),
    ClientSpec(
        name="sqlalchemy.ext.asyncio.AsyncEngine",
        sdk="sqlalchemy",
        family="db",
        mode="async",
        note="an async engine: `connect()`/`begin()` lend a connection until the block ends (AWB110).",
        produces={
            "connect": "sqlalchemy.ext.asyncio.AsyncConnection",
            "begin": "sqlalchemy.ext.asyncio.AsyncConnection",
        },
        aliases=("sqlalchemy.ext.asyncio.engine.AsyncEngine",),
    ),
    ClientSpec(
        name="sqlalchemy.ext.asyncio.AsyncConnection",
        sdk="sqlalchemy",
        family="db",
        mode="async",
        note="an async connection: holds its connection while open (AWB110 across an LLM call).",
        methods=frozenset(
            {"execute", "exec_driver_sql", "scalar", "scalars", "stream", "commit", "rollback", "close"}
        ),
        pooled="connection",
        aliases=("sqlalchemy.ext.asyncio.engine.AsyncConnection",),
    ),
    ClientSpec(
        name="pymongo.MongoClient",
        sdk="pymongo",
        family="db",
        mode="sync",
        note="sync MongoDB: collection calls (`find_one`, `insert_one`, ...) block (AWB109).",
        use_instead="pymongo.AsyncMongoClient, motor",
        produces={".": "pymongo.database.Database", "[]": "pymongo.database.Database"},
        per_request_cost=True,
        aliases=("pymongo.mongo_client.MongoClient",),
    ),
    ClientSpec(
        name="pymongo.database.Database",
        sdk="pymongo",
        family="db",
        mode="sync",
        note="a sync database: its collections block.",
        produces={
            ".": "pymongo.collection.Collection",
            "[]": "pymongo.collection.Collection",
            "get_collection": "pymongo.collection.Collection",
        },
    ),
    ClientSpec(
        name="pymongo.collection.Collection",
        sdk="pymongo",
        family="db",
        mode="sync",
        note="a sync collection: every query blocks.",
        use_instead="motor / pymongo.AsyncMongoClient",
        methods=_MONGO_COLLECTION,
    ),
    ClientSpec(
        name="motor.motor_asyncio.AsyncIOMotorClient",
        sdk="motor",
        family="db",
        mode="async",
        note="async MongoDB: AWB103 when built per request.",
        per_request_cost=True,
        aliases=("pymongo.AsyncMongoClient",),
    ),
    ClientSpec(
        name="crewai.Crew",
        sdk="crewai",
        family="framework",
        mode="mixed",
        note="CrewAI: `kickoff()` runs every agent's LLM calls synchronously: AWB101 in `async def` (use "
        "`kickoff_async`).",
        use_instead="kickoff_async",
        methods=frozenset({"kickoff", "kickoff_for_each", "kickoff_async", "kickoff_for_each_async"}),
        async_methods=frozenset({"kickoff_async", "kickoff_for_each_async"}),
    ),
    _stainless(
        "retell.Retell",
        sync=True,
        resources=frozenset(
            {"call", "agent", "llm", "phone_number", "voice", "conversation_flow", "batch_call"}
        ),
        timeout=60,
        retries=2,
        twin="retell.AsyncRetell",
    ),
    ClientSpec(
        name="sendgrid.SendGridAPIClient",
        sdk="sendgrid",
        family="http",
        mode="sync",
        note="sends mail with a blocking HTTP call: AWB101 in `async def`.",
        use_instead="asyncio.to_thread",
        methods=frozenset({"send"}),
    ),
    ClientSpec(
        name="speech_recognition.Recognizer",
        sdk="SpeechRecognition",
        family="http",
        mode="sync",
        note="`recognize_google`/`recognize_whisper_api`/... are blocking HTTP calls: AWB101 in `async def`.",
        use_instead="asyncio.to_thread",
        methods=frozenset(
            {
                "recognize_google",
                "recognize_google_cloud",
                "recognize_whisper_api",
                "recognize_openai",
                "recognize_azure",
            }
        ),
    ),
    ClientSpec(
        name="langchain.document_loader",
        sdk="langchain_community",
        family="cpu",
        mode="mixed",
        note="document loaders (PDF, Word, HTML, ...): `load()` reads and parses the whole file on the "
        "loop: AWB102 (medium) in `async def` (use `aload`, or offload it).",
        use_instead="aload / asyncio.to_thread",
        methods=frozenset({"load", "load_and_split", "lazy_load", "aload", "alazy_load"}),
        async_methods=frozenset({"aload", "alazy_load"}),
    ),
    ClientSpec(
        name="google.cloud.storage.Client",
        sdk="google-cloud-storage",
        family="http",
        mode="sync",
        note="Cloud Storage: bucket and blob calls (`get_bucket`, `upload_from_string`, `download_as_text`, "
        "`exists`, ...) are blocking HTTP: AWB101 in `async def`; a client per request is AWB103.",
        use_instead="asyncio.to_thread (or gcloud-aio-storage)",
        methods=frozenset({"get_bucket", "lookup_bucket", "list_blobs", "list_buckets", "create_bucket"}),
        produces={
            "bucket": "google.cloud.storage.Bucket",
            "get_bucket": "google.cloud.storage.Bucket",
            "lookup_bucket": "google.cloud.storage.Bucket",
        },
        per_request_cost=True,
        aliases=("google.cloud.storage.client.Client",),
    ),
    ClientSpec(
        name="google.cloud.storage.Bucket",
        sdk="google-cloud-storage",
        family="http",
        mode="sync",
        note="a bucket: `get_blob`, `list_blobs`, `exists`, ... block.",
        use_instead="asyncio.to_thread",
        methods=frozenset(
            {
                "get_blob",
                "list_blobs",
                "exists",
                "reload",
                "delete",
                "patch",
                "create",
                "copy_blob",
                "delete_blob",
            }
        ),
        produces={"blob": "google.cloud.storage.Blob", "get_blob": "google.cloud.storage.Blob"},
    ),
    ClientSpec(
        name="google.cloud.storage.Blob",
        sdk="google-cloud-storage",
        family="http",
        mode="sync",
        note="a blob: uploads, downloads, `exists`, `delete` block.",
        use_instead="asyncio.to_thread",
        methods=frozenset(
            {
                "upload_from_string",
                "upload_from_filename",
                "upload_from_file",
                "download_as_text",
                "download_as_bytes",
                "download_as_string",
                "download_to_filename",
                "download_to_file",
                "exists",
                "delete",
                "reload",
                "patch",
                "make_public",
                "rewrite",
                "compose",
            }
        ),
    ),
    ClientSpec(
        name="azure.client",
        sdk="azure-*",
        family="http",
        mode="sync",
        note="Azure SDK sync clients (any `azure.*...Client` outside `.aio`): every operation is blocking "
        "HTTP: AWB101 in `async def` (use the `.aio` client).",
        use_instead="the same client from `azure.<...>.aio`",
        any_method=True,
        any_path=True,
        local=frozenset(
            {
                "close",
                "get_blob_client",
                "get_container_client",
                "get_database_client",
                "get_queue_client",
                "get_table_client",
                "get_search_client",
                "get_file_client",
                "get_directory_client",
                "get_share_client",
            }
        ),
        produces={
            verb: "azure.client"
            for verb in (
                "get_blob_client",
                "get_container_client",
                "get_database_client",
                "get_queue_client",
                "get_table_client",
                "get_search_client",
                "get_file_client",
                "get_directory_client",
                "get_share_client",
            )
        },
        per_request_cost=True,
    ),
    ClientSpec(
        name="huggingface_hub.HfApi",
        sdk="huggingface_hub",
        family="http",
        mode="sync",
        note="every Hub call (`repo_info`, `upload_file`, `create_repo`, ...) is blocking HTTP: AWB101 in "
        "`async def`.",
        use_instead="asyncio.to_thread",
        any_method=True,
        aliases=("huggingface_hub.hf_api.HfApi",),
    ),
    ClientSpec(
        name="replicate.Client",
        sdk="replicate",
        family="llm",
        mode="mixed",
        note="Replicate: `run` blocks until the prediction finishes (AWB101 in `async def`); `async_run` "
        "awaits.",
        use_instead="async_run",
        methods=frozenset({"run", "stream", "async_run", "async_stream"}),
        async_methods=frozenset({"async_run", "async_stream"}),
    ),
    ClientSpec(
        name="stripe.StripeClient",
        sdk="stripe",
        family="http",
        mode="mixed",
        note="Stripe: `client.payment_intents.create(...)` blocks (AWB101 in `async def`); the `*_async` "
        "methods await.",
        use_instead="<resource>.<verb>_async",
        any_method=True,
        any_path=True,
        async_suffix="_async",
        per_request_cost=True,
    ),
    ClientSpec(
        name="paramiko.SSHClient",
        sdk="paramiko",
        family="network",
        mode="sync",
        note="SSH: `connect`/`exec_command`/`open_sftp` block on the network: AWB102 (high) in `async def`.",
        use_instead="asyncssh, or asyncio.to_thread",
        methods=frozenset({"connect", "exec_command", "open_sftp", "invoke_shell"}),
        aliases=("paramiko.client.SSHClient", "scp.SCPClient"),
    ),
    ClientSpec(
        name="passlib.context.CryptContext",
        sdk="passlib",
        family="cpu",
        mode="sync",
        note="bcrypt/argon2 hashing is ~100-300 ms of CPU per call: AWB102 (medium) in `async def`; run "
        "it with `asyncio.to_thread` (bcrypt releases the GIL).",
        use_instead="asyncio.to_thread",
        methods=frozenset({"hash", "verify", "verify_and_update", "encrypt"}),
        aliases=("argon2.PasswordHasher",),
    ),
)

CLIENTS: dict[str, ClientSpec] = {spec.name: spec for spec in _CLIENT_LIST}


def _call(name: str, sdk: str, kind: Kind, use: str, note: str, **extra: object) -> CallSpec:
    return CallSpec(name=name, sdk=sdk, kind=kind, use_instead=use, note=note, **extra)  # type: ignore[arg-type]


_SYNC_HTTP_NOTE = "sync HTTP: AWB101 in `async def` (ruff {ruff} reports the direct call)"


def _http_calls() -> list[CallSpec]:
    verbs = ("get", "post", "put", "patch", "delete", "head", "options", "request")
    found = [
        _call(
            f"requests.{verb}",
            "requests",
            "http",
            "httpx.AsyncClient",
            _SYNC_HTTP_NOTE.format(ruff="ASYNC210") + "; without `timeout=` it waits forever (AWB106, S113).",
            timeout_s=FOREVER,
            ruff="ASYNC210",
        )
        for verb in verbs
    ]
    found += [
        _call(
            f"httpx.{verb}",
            "httpx",
            "http",
            "httpx.AsyncClient",
            _SYNC_HTTP_NOTE.format(ruff="ASYNC212") + ".",
            timeout_s=5.0,
            ruff="ASYNC212",
        )
        for verb in (*verbs, "stream")
    ]
    found += [
        _call(
            "urllib.request.urlopen",
            "urllib",
            "http",
            "httpx.AsyncClient",
            _SYNC_HTTP_NOTE.format(ruff="ASYNC210") + "; no deadline unless `timeout=` (AWB106).",
            timeout_s=FOREVER,
            ruff="ASYNC210",
        ),
        _call(
            "urllib3.request", "urllib3", "http", "httpx.AsyncClient", "sync HTTP: AWB101.", ruff="ASYNC210"
        ),
        _call(
            "http.client.HTTPConnection",
            "http.client",
            "http",
            "httpx.AsyncClient",
            "sync HTTP: AWB101.",
            ruff="ASYNC210",
            aliases=("http.client.HTTPSConnection",),
        ),
    ]
    return found


_LITELLM = (
    ("completion", "acompletion"),
    ("embedding", "aembedding"),
    ("text_completion", "atext_completion"),
    ("image_generation", "aimage_generation"),
    ("transcription", "atranscription"),
    ("speech", "aspeech"),
    ("responses", "aresponses"),
    ("rerank", "arerank"),
)


def _litellm_calls() -> list[CallSpec]:
    deadline = "waits up to litellm.request_timeout (6000 s) unless it passes `timeout=` (AWB106 at the call)"
    found = []
    for sync, aio in _LITELLM:
        found.append(
            _call(
                f"litellm.{sync}",
                "litellm",
                "llm",
                f"litellm.{aio}",
                f"blocks: AWB101 in `async def`; {deadline}.",
                timeout_s=6000.0,
                deadline_keywords=("timeout", "request_timeout"),
            )
        )
        found.append(
            _call(
                f"litellm.{aio}",
                "litellm",
                "llm",
                "",
                f"awaited; {deadline}.",
                is_async=True,
                timeout_s=6000.0,
                deadline_keywords=("timeout", "request_timeout"),
            )
        )
    return found


def _stdlib_calls() -> list[CallSpec]:
    file_note = "file I/O on the loop, usually short: AWB102 (low)."
    return [
        _call("time.sleep", "stdlib", "sleep", "asyncio.sleep", "AWB102 (ruff ASYNC251).", ruff="ASYNC251"),
        _call(
            "builtins.open", "stdlib", "file", "aiofiles, or asyncio.to_thread", file_note, ruff="ASYNC230"
        ),
        _call("io.open", "stdlib", "file", "aiofiles, or asyncio.to_thread", file_note, ruff="ASYNC230"),
        _call(
            "builtins.input",
            "stdlib",
            "input",
            "(not in a server)",
            "AWB102 (ruff ASYNC250).",
            ruff="ASYNC250",
        ),
        *[
            _call(
                f"os.{name}",
                "stdlib",
                "process",
                "asyncio.create_subprocess_shell",
                "AWB102 (ruff ASYNC221).",
                ruff="ASYNC221",
            )
            for name in ("system", "popen")
        ],
        *[
            _call(
                f"os.{name}",
                "stdlib",
                "process",
                "asyncio subprocesses",
                "AWB102 (ruff ASYNC222).",
                ruff="ASYNC222",
            )
            for name in ("wait", "waitpid")
        ],
        _call("os.read", "stdlib", "file", "asyncio.to_thread", file_note),
        _call("os.sendfile", "stdlib", "file", "asyncio.to_thread", file_note),
        *[
            _call(
                f"subprocess.{name}",
                "stdlib",
                "process",
                "asyncio.create_subprocess_exec",
                "waits for a child process: AWB102 (ruff ASYNC221).",
                ruff="ASYNC221",
            )
            for name in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")
        ],
        *[
            _call(f"shutil.{name}", "stdlib", "file", "asyncio.to_thread", file_note)
            for name in ("copy", "copy2", "copyfile", "copytree", "rmtree", "move")
        ],
        *[
            _call(f"socket.{name}", "stdlib", "dns", "loop.getaddrinfo", "a blocking DNS lookup: AWB102.")
            for name in ("create_connection", "getaddrinfo", "gethostbyname")
        ],
        _call("pickle.load", "stdlib", "file", "asyncio.to_thread", file_note),
        _call("json.load", "stdlib", "file", "asyncio.to_thread", file_note),
        _call(
            "sqlite3.connect",
            "stdlib",
            "file",
            "aiosqlite",
            "a local database file: AWB102 (low).",
            aliases=("sqlite3.dbapi2.connect",),
        ),
        _call(
            "hashlib.pbkdf2_hmac", "stdlib", "cpu", "asyncio.to_thread", "key stretching: AWB102 (medium)."
        ),
        _call("hashlib.scrypt", "stdlib", "cpu", "asyncio.to_thread", "key stretching: AWB102 (medium)."),
    ]


_PDF_NOTE = "parses a whole document in Python on the loop: AWB102 (medium); offload it."


def _library_calls() -> list[CallSpec]:
    return [
        *_http_calls(),
        *_litellm_calls(),
        *_stdlib_calls(),
        _call(
            "openai.<Resource>.<verb>",
            "openai (< 1.0)",
            "llm",
            "openai.AsyncOpenAI",
            "the pre-1.0 module API (`openai.ChatCompletion.create`, `openai.File.list`, ...): blocks "
            "(AWB101 in `async def`); waits up to 600 s unless it passes `request_timeout=` (AWB106).",
            timeout_s=600.0,
            deadline_keywords=("request_timeout", "timeout"),
        ),
        _call(
            "openai.<Resource>.a<verb>",
            "openai (< 1.0)",
            "llm",
            "",
            "the pre-1.0 async API (`acreate`, ...): waits up to 600 s unless it passes `request_timeout=` "
            "(AWB106).",
            is_async=True,
            timeout_s=600.0,
            deadline_keywords=("request_timeout", "timeout"),
        ),
        _call(
            "replicate.run",
            "replicate",
            "llm",
            "replicate.async_run",
            "blocks until the prediction is done: AWB101.",
        ),
        _call("replicate.async_run", "replicate", "llm", "", "awaited.", is_async=True),
        *[
            _call(
                f"huggingface_hub.{name}",
                "huggingface_hub",
                "http",
                "asyncio.to_thread",
                "blocking HTTP: AWB101.",
            )
            for name in (
                "hf_hub_download",
                "snapshot_download",
                "upload_file",
                "upload_folder",
                "create_repo",
            )
        ],
        _call(
            "agents.Runner.run_sync",
            "openai-agents",
            "llm",
            "agents.Runner.run",
            "runs the whole agent loop synchronously: AWB101 in `async def`.",
        ),
        *[
            _call(
                name,
                name.partition(".")[0],
                "process",
                "asyncio.to_thread",
                "runs an external program: AWB102.",
            )
            for name in (
                "pytesseract.image_to_string",
                "pytesseract.image_to_data",
                "pytesseract.image_to_boxes",
                "pydub.AudioSegment.from_file",
                "pydub.AudioSegment.from_mp3",
                "pydub.AudioSegment.from_wav",
            )
        ],
        *[
            _call(
                name,
                "stdlib",
                "file",
                "aiofiles.tempfile, or asyncio.to_thread",
                "file I/O on the loop, usually short: AWB102 (low).",
            )
            for name in ("tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.mkstemp")
        ],
        *[
            _call(name, name.partition(".")[0], "cpu", "asyncio.to_thread", _PDF_NOTE)
            for name in (
                "pypdf.PdfReader",
                "PyPDF2.PdfReader",
                "PyPDF2.PdfFileReader",
                "pdfplumber.open",
                "fitz.open",
                "pymupdf.open",
                "pdfminer.high_level.extract_text",
                "pdfminer.high_level.extract_pages",
                "docx.Document",
            )
        ],
        *[
            _call(name, "bcrypt", "cpu", "asyncio.to_thread", "~250 ms of CPU per hash: AWB102 (medium).")
            for name in ("bcrypt.hashpw", "bcrypt.checkpw", "bcrypt.kdf")
        ],
        _call(
            "google.generativeai.upload_file",
            "google-generativeai",
            "llm",
            "asyncio.to_thread",
            "a blocking upload: AWB101.",
            aliases=(
                "google.generativeai.get_file",
                "google.generativeai.delete_file",
                "google.generativeai.list_models",
            ),
        ),
        _call(
            "google.generativeai.embed_content",
            "google-generativeai",
            "llm",
            "google.generativeai.embed_content_async",
            "blocks: AWB101.",
        ),
        _call(
            "llama_index.core.VectorStoreIndex.from_documents",
            "llama_index",
            "llm",
            "asyncio.to_thread (or build it at startup)",
            "embeds every document with blocking calls: AWB101.",
            returns="llama_index.core.VectorStoreIndex",
            aliases=("llama_index.VectorStoreIndex.from_documents",),
        ),
        _call(
            "llama_index.core.load_index_from_storage",
            "llama_index",
            "file",
            "load it at startup",
            "reads the index from disk: AWB102 (low).",
            returns="llama_index.core.VectorStoreIndex",
            aliases=("llama_index.load_index_from_storage",),
        ),
        *[
            _call(
                name,
                name.partition(".")[0],
                "llm",
                "",
                "builds a runnable from a model (see langchain.runnable).",
                blocking=False,
                returns="langchain.runnable",
            )
            for name in (
                "langchain.chains.create_retrieval_chain",
                "langchain.chains.combine_documents.create_stuff_documents_chain",
                "langchain.chains.create_history_aware_retriever",
                "langchain.agents.create_react_agent",
                "langchain.agents.create_tool_calling_agent",
                "langchain.agents.create_openai_functions_agent",
                "langchain.agents.create_agent",
                "langgraph.prebuilt.create_react_agent",
            )
        ],
        _call(
            "langchain.chat_models.init_chat_model",
            "langchain",
            "llm",
            "",
            "builds a chat model (see langchain.chat_model).",
            blocking=False,
            returns="langchain.chat_model",
        ),
        _call(
            "supabase.create_client",
            "supabase",
            "http",
            "supabase.acreate_client",
            "builds a sync supabase client.",
            blocking=False,
            returns="supabase.Client",
            aliases=("supabase.client.create_client",),
        ),
        _call(
            "supabase.acreate_client",
            "supabase",
            "http",
            "",
            "builds an async supabase client.",
            blocking=False,
            is_async=True,
            returns="supabase.AsyncClient",
            aliases=("supabase.create_async_client", "supabase._async.client.create_client"),
        ),
        *[
            _call(
                name,
                "redis",
                "cache",
                "redis.asyncio.from_url",
                "builds a sync client.",
                blocking=False,
                returns="redis.Redis",
            )
            for name in ("redis.from_url", "redis.Redis.from_url", "redis.StrictRedis.from_url")
        ],
        _call(
            "redis.asyncio.from_url",
            "redis",
            "cache",
            "",
            "builds an async client.",
            blocking=False,
            returns="redis.asyncio.Redis",
            aliases=("redis.asyncio.Redis.from_url",),
        ),
        _call(
            "sqlalchemy.create_engine",
            "sqlalchemy",
            "db",
            "sqlalchemy.ext.asyncio.create_async_engine",
            "builds a sync engine.",
            blocking=False,
            returns="sqlalchemy.engine.Engine",
            aliases=("sqlmodel.create_engine",),
        ),
        _call(
            "psycopg2.connect",
            "psycopg2",
            "db",
            "psycopg.AsyncConnection.connect, asyncpg",
            "opens a database connection (a network round trip): AWB109.",
            returns="psycopg2.extensions.connection",
        ),
        _call(
            "psycopg.connect",
            "psycopg",
            "db",
            "psycopg.AsyncConnection.connect",
            "opens a database connection (a network round trip): AWB109.",
            returns="psycopg.Connection",
            aliases=("psycopg.Connection.connect",),
        ),
        _call(
            "psycopg.AsyncConnection.connect",
            "psycopg",
            "db",
            "",
            "opens an async connection, held while open (AWB110 across an LLM call).",
            is_async=True,
            returns="psycopg.AsyncConnection",
        ),
        _call(
            "sqlalchemy.ext.asyncio.create_async_engine",
            "sqlalchemy",
            "db",
            "",
            "builds an async engine.",
            blocking=False,
            returns="sqlalchemy.ext.asyncio.AsyncEngine",
        ),
        *[
            _call(
                name,
                "asyncpg",
                "db",
                "",
                "opens an asyncpg connection (or pool), held while open (AWB110 across an LLM call).",
                is_async=True,
                returns=returns,
            )
            for name, returns in (
                ("asyncpg.connect", "asyncpg.Connection"),
                ("asyncpg.create_pool", "asyncpg.Pool"),
            )
        ],
    ]


CALLS: dict[str, CallSpec] = {spec.name: spec for spec in _library_calls()}
# Factories whose product is set by a keyword: `sessionmaker(engine, class_=AsyncSession)` makes async
# sessions, so it is an `async_sessionmaker`.
SPEC_BY_KEYWORD: dict[tuple[str, str, str], str] = {
    (
        "sqlalchemy.orm.sessionmaker",
        "class_",
        "sqlalchemy.ext.asyncio.AsyncSession",
    ): "sqlalchemy.ext.asyncio.async_sessionmaker",
}


def _aliases(specs: Iterable[ClientSpec | CallSpec]) -> dict[str, str]:
    return {alias: spec.name for spec in specs for alias in spec.aliases}


ALIASES: dict[str, str] = {
    "openai.Client": "openai.OpenAI",
    "openai.AsyncClient": "openai.AsyncOpenAI",
    "openai._client.OpenAI": "openai.OpenAI",
    "openai._client.AsyncOpenAI": "openai.AsyncOpenAI",
    "openai.lib.azure.AzureOpenAI": "openai.AzureOpenAI",
    "openai.lib.azure.AsyncAzureOpenAI": "openai.AsyncAzureOpenAI",
    "anthropic.Client": "anthropic.Anthropic",
    "anthropic.AsyncClient": "anthropic.AsyncAnthropic",
    "groq.Client": "groq.Groq",
    "groq.AsyncClient": "groq.AsyncGroq",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "httpx._client.Client": "httpx.Client",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    **_aliases(_CLIENT_LIST),
    **_aliases(CALLS.values()),
}
# Vector stores and retrievers of LangChain's integration packages, by module prefix.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("langchain_community.vectorstores.", "langchain.runnable"),
    ("langchain.vectorstores.", "langchain.runnable"),
    ("langchain_chroma.", "langchain.runnable"),
    ("langchain_pinecone.", "langchain.runnable"),
    ("langchain_postgres.", "langchain.runnable"),
    ("langchain_qdrant.", "langchain.runnable"),
    ("langchain_community.retrievers.", "langchain.runnable"),
    ("langchain_community.utilities.", "langchain.utility"),
    ("langchain_community.document_loaders.", "langchain.document_loader"),
    ("langchain.document_loaders.", "langchain.document_loader"),
    ("langchain.utilities.", "langchain.utility"),
)


def _top_levels() -> frozenset[str]:
    names = [*CLIENTS, *CALLS, *ALIASES, *(prefix for prefix, _ in _PREFIXES)]
    frameworks = ("fastapi", "starlette", "pydantic", "uvicorn", "anyio", "trio", "tenacity", "backoff")
    generic = {"agents", "builtins"}  # `agents` is as often a project's own package as OpenAI's SDK
    return frozenset(({name.partition(".")[0] for name in names} | set(frameworks)) - generic)


# Top-level packages that are never the project's own modules.
PACKAGES = _top_levels()


def _constructor_names() -> frozenset[str]:
    names = [*CLIENTS, *ALIASES, *(c.name for c in CALLS.values() if c.returns)]
    made = [key.rpartition(".")[2] for spec in CLIENTS.values() for key in spec.produces]
    return frozenset({name.rpartition(".")[2] for name in names} | set(made))


# The last name of every call that can build a client: a cheap filter before resolving a call.
CONSTRUCTOR_NAMES = _constructor_names()


_OPENAI_LEGACY = frozenset(
    {
        "ChatCompletion",
        "Completion",
        "Embedding",
        "Image",
        "Moderation",
        "Audio",
        "File",
        "FineTune",
        "FineTuningJob",
        "Model",
        "Edit",
        "Engine",
    }
)


def call_spec(name: str) -> CallSpec | None:
    """What calling the function (or class) `name` does, if the table knows it (the pre-1.0 openai API
    by its shape: `openai.<Resource>.<verb>`)."""
    found = CALLS.get(name)
    if found is not None:
        return found
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "openai" and parts[1] in _OPENAI_LEGACY:
        is_async = parts[2].startswith("a") and parts[2] != "add"
        return CALLS["openai.<Resource>.a<verb>" if is_async else "openai.<Resource>.<verb>"]
    return None


def canonical(name: str) -> str:
    """The table's spelling of a qualified name (`openai.AsyncClient` -> `openai.AsyncOpenAI`)."""
    return ALIASES.get(name, name)


def client_spec(name: str) -> ClientSpec | None:
    """The client type constructed by calling `name`, if the table knows it (aliases and prefixes too)."""
    spec = CLIENTS.get(canonical(name))
    if spec is not None:
        return spec
    for prefix, target in _PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :][:1].isupper():
            return CLIENTS[target]
    last = name.rpartition(".")[2]
    if name.startswith("langchain") and last.endswith("APIWrapper"):
        return CLIENTS["langchain.utility"]  # `from langchain import WikipediaAPIWrapper`
    if name.startswith("azure.") and ".aio." not in name and last.endswith("Client") and last[:1].isupper():
        return CLIENTS["azure.client"]  # azure-* SDKs: sync clients outside `.aio`
    return None


def short_name(spec: ClientSpec) -> str:
    """How messages name a client type: `AsyncOpenAI`, `boto3.client`, `azure.client`."""
    last = spec.name.rpartition(".")[2]
    return last if last[:1].isupper() else spec.name


def produced(spec: ClientSpec, path: tuple[str, ...], verb: str) -> str | None:
    """The type calling `verb` at `path` on `spec` returns (`"()"` for calling the object itself)."""
    key = ".".join((*path, verb)) if verb != "()" else "()"
    return spec.produces.get(key)


def call_mode(spec: ClientSpec, path: tuple[str, ...], verb: str) -> Literal["sync", "async"] | None:
    """Whether `obj.<path>.<verb>(...)` on an object of `spec` is a blocking or an awaited network call,
    or None when it is not a network call (a local method, a builder step, a configured copy)."""
    if spec.resources and produced(spec, path, verb) is not None:
        return None  # `client.chats.create(...)` makes a chat session locally
    if spec.resources:
        rest = path[1:] if spec.async_attr and path[:1] == (spec.async_attr,) else path
        network = bool(rest) and rest[0] in spec.resources and verb not in ("with_options", "copy")
    elif spec.any_method:
        network = (spec.any_path or not path) and verb not in spec.local and not verb.startswith("_")
    else:
        network = not path and verb in spec.methods
    if not network:
        return None
    if spec.mode != "mixed":
        return spec.mode
    is_async = (
        verb in spec.async_methods
        or (bool(spec.async_suffix) and verb.endswith(spec.async_suffix))
        or (bool(spec.async_attr) and path[:1] == (spec.async_attr,))
    )
    return "async" if is_async else "sync"


_CATEGORY = {"llm": "sync_client", "framework": "sync_client", "http": "sync_client", "db": "sync_db_driver"}
_FAMILY_SEVERITY: dict[str, Severity] = {
    "llm": "high",
    "framework": "high",
    "http": "high",
    "network": "high",
    "file": "low",
}
_KIND_SEVERITY: dict[str, Severity] = {
    "llm": "high",
    "http": "high",
    "sleep": "high",
    "process": "high",
    "input": "high",
    "file": "low",
}


def category_of(kind: str) -> str:
    """The rule a blocking call of this family or kind belongs to: `sync_client` (AWB101) for LLM and
    HTTP calls, `sync_db_driver` (AWB109) for database drivers, `blocking_work` (AWB102) for the rest."""
    return _CATEGORY.get(kind, "blocking_work")


def severity_of(kind: str) -> Severity:
    """Expected cost on the loop: high for network/LLM calls, sleeps and child processes; medium for
    database, cache, DNS and CPU-heavy work; low for local files."""
    return _KIND_SEVERITY.get(kind, _FAMILY_SEVERITY.get(kind, "medium"))


def deadline_text(timeout_s: float | None) -> str:
    """`600 s`, `none (waits forever)`, or `short` for the table and messages."""
    if timeout_s is None:
        return "-"
    if math.isinf(timeout_s):
        return "none (waits forever)"
    return f"{timeout_s:g} s"


def _name_cell(name: str, aliases: tuple[str, ...]) -> str:
    if not aliases:
        return f"`{name}`"
    return f"`{name}` (also {', '.join(f'`{alias}`' for alias in aliases)})"


def _call_groups() -> list[list[CallSpec]]:
    """Calls that differ only by name (`requests.get`, `requests.post`, ...) share one row."""
    groups: list[list[CallSpec]] = []
    for call in CALLS.values():
        last = groups[-1][0] if groups else None
        same = last is not None and (
            last.name.rpartition(".")[0] == call.name.rpartition(".")[0]
            and (last.kind, last.note, last.use_instead, last.timeout_s, last.is_async, last.blocking)
            == (call.kind, call.note, call.use_instead, call.timeout_s, call.is_async, call.blocking)
        )
        if same:
            groups[-1].append(call)
        else:
            groups.append([call])
    return groups


def markdown_table() -> str:
    """docs/lint.md's ecosystem table, one row per client type and per group of calls (a test keeps the
    docs in step with this data)."""
    rows = [
        "| name | kind | blocks the loop | instead | default deadline | retries | what the rules do |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in _CLIENT_LIST:
        mode = {"sync": "yes", "async": "no", "mixed": "sync and async methods"}[spec.mode]
        rows.append(
            f"| {_name_cell(spec.name, spec.aliases)} | {spec.family} | {mode} | {spec.use_instead or '-'} | "
            f"{deadline_text(spec.timeout_s)} | {spec.retries_text or spec.retries} | {spec.note} |"
        )
    for group in _call_groups():
        first = group[0]
        prefix = first.name.rpartition(".")[0]
        name = (
            f"`{first.name}`"
            if len(group) == 1
            else f"`{prefix}.{{{','.join(c.name.rpartition('.')[2] for c in group)}}}`"
        )
        aliases = [alias for call in group for alias in call.aliases]
        if aliases:
            name += f" (also {', '.join(f'`{alias}`' for alias in aliases)})"
        blocks = "no" if first.is_async else ("yes" if first.blocking else "no (builds a client)")
        rows.append(
            f"| {name} | {first.kind} | {blocks} | {first.use_instead or '-'} | "
            f"{deadline_text(first.timeout_s)} | - | {first.note} |"
        )
    return "\n".join(rows)

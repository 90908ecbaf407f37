"""Bedrock Runtime bodies in, typed jobs out: Converse's, and InvokeModel's Anthropic-on-Bedrock body.

Mistakes are 400 ValidationExceptions in Bedrock's words, within the server's limits (`LimitsConfig`); the
model is the URL's (`fake_llm.bedrock`), and whether the reply streams is the operation's, not the body's.
"""

from __future__ import annotations

from dataclasses import dataclass

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.anthropic_wire import MessagesRenderer
from fake_llm.bedrock_wire import ConverseRenderer, InvokeStreamRenderer
from fake_llm.config import LimitsConfig
from fake_llm.parsing import BadRequest
from fake_llm.textgen import count_tokens

__all__ = ["ConverseRequest", "InvokeRequest"]

_ROLES = ("user", "assistant")
_FIRST_TURN = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user "
    "message."
)


def _violation(value: object, where: str, constraint: str) -> BadRequest:
    shown = "null" if value is None else repr(value)[:60]
    return BadRequest(
        f"1 validation error detected: Value {shown} at '{where}' failed to satisfy constraint: {constraint}",
        param=where,
    )


def _blocks_text(blocks: object, where: str) -> str:
    """The text of a list of content blocks (`{"text"}`, `{"image"}`, `{"toolUse"}`, ...)."""
    if not isinstance(blocks, list):
        raise _violation(blocks, where, "Member must not be null and must be a list")
    texts = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or not block:
            raise _violation(block, f"{where}.{i + 1}.member", "Member must be a content block object")
        text = block.get("text")
        if text is not None and not isinstance(text, str):
            raise _violation(text, f"{where}.{i + 1}.member.text", "Member must be a string")
        texts.append(text or "")  # images, documents, tool use...: accepted, not counted
    return " ".join(texts)


def _messages_tokens(messages: object) -> int:
    if messages is None:
        raise _violation(None, "messages", "Member must not be null")
    if not isinstance(messages, list):
        raise _violation(messages, "messages", "Member must be a list")
    if not messages or not isinstance(messages[0], dict) or messages[0].get("role") != "user":
        raise BadRequest(_FIRST_TURN, param="messages")
    tokens = 0
    for i, message in enumerate(messages):
        where = f"messages.{i + 1}.member"
        if not isinstance(message, dict):
            raise _violation(message, where, "Member must be a message object")
        if message.get("role") not in _ROLES:
            raise _violation(
                message.get("role"), f"{where}.role", "Member must satisfy enum value set: [user, assistant]"
            )
        tokens += 3 + count_tokens(_blocks_text(message.get("content"), f"{where}.content"))
    return tokens


def _unit_interval(config: dict[str, object], name: str) -> None:
    value = config.get(name)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1
    ):
        raise _violation(value, f"inferenceConfig.{name}", "Member must be between 0 and 1")


def _max_tokens(doc: dict[str, object], limits: LimitsConfig) -> int | None:
    config = doc.get("inferenceConfig")
    if config is None:
        return None
    if not isinstance(config, dict):
        raise _violation(config, "inferenceConfig", "Member must be an object")
    _unit_interval(config, "temperature")
    _unit_interval(config, "topP")
    stops = config.get("stopSequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
        raise _violation(stops, "inferenceConfig.stopSequences", "Member must be a list of strings")
    value = config.get("maxTokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _violation(
            value, "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1"
        )
    if value > limits.max_output_tokens:
        raise _violation(
            value,
            "inferenceConfig.maxTokens",
            f"Member must have value less than or equal to {limits.max_output_tokens} "
            "(fake_llm --max-output-tokens)",
        )
    return value


@dataclass(frozen=True, kw_only=True)
class ConverseRequest:
    """A validated `Converse` or `ConverseStream` (the fields the latency model and the reply need)."""

    model: str
    content_key: bytes
    stream: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig, *, stream: bool) -> ConverseRequest:
        """The request in the decoded body `doc`; raises BadRequest naming the field, in Bedrock's words."""
        messages = doc.get("messages")
        tokens = _messages_tokens(messages)
        system = doc.get("system")
        if system is not None:
            tokens += count_tokens(_blocks_text(system, "system"))
        return cls(
            model="",
            content_key=repr([system, messages]).encode(),
            stream=stream,
            max_tokens=_max_tokens(doc, limits),
            input_tokens=tokens,
        )

    def renderer(self, request_id: str) -> ConverseRenderer:
        return ConverseRenderer(request_id=request_id, prompt_tokens=self.input_tokens)


@dataclass(frozen=True, kw_only=True)
class InvokeRequest:
    """A validated `InvokeModel` or `InvokeModelWithResponseStream` with Anthropic's Messages body."""

    model: str
    content_key: bytes
    stream: bool
    max_tokens: int
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig, *, stream: bool) -> InvokeRequest:
        """Anthropic's body as Bedrock takes it: `anthropic_version` in the body, no `model`, no `stream`."""
        if not isinstance(doc.get("anthropic_version"), str):
            raise BadRequest(
                "Malformed input request: #: required key [anthropic_version] not found, please reformat "
                "your input and try again.",
                param="anthropic_version",
            )
        try:
            messages = MessagesRequest.parse({**doc, "model": "bedrock", "stream": stream}, limits)
        except BadRequest as exc:
            raise BadRequest(
                f"Malformed input request: {exc.message}", param=exc.param, code=exc.code
            ) from None
        return cls(
            model="",
            content_key=messages.content_key,
            stream=stream,
            max_tokens=messages.max_tokens,
            input_tokens=messages.input_tokens,
        )

    def renderer(self, request_id: str) -> MessagesRenderer | InvokeStreamRenderer:
        renderer = MessagesRenderer(request_id=request_id, model=self.model, prompt_tokens=self.input_tokens)
        return InvokeStreamRenderer(renderer) if self.stream else renderer

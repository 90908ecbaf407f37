"""Anthropic Messages API bodies in, a typed job out; mistakes become 400s in Anthropic's own words.

The server's limits apply as on OpenAI's routes (`LimitsConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from fake_llm.config import LimitsConfig
from fake_llm.parsing import MAX_MODEL_CHARS, BadRequest
from fake_llm.textgen import count_tokens

__all__ = ["MessagesRequest"]

_ROLES = ("user", "assistant")


def _required(doc: dict[str, object], name: str) -> object:
    value = doc.get(name)
    if value is None:
        raise BadRequest(f"{name}: Field required", param=name)
    return value


def _block_text(block: object, where: str) -> str:
    """The text a content block contributes to the prompt (only text blocks have any)."""
    if not isinstance(block, dict):
        raise BadRequest(f"{where}: Input should be a valid dictionary or object", param=where)
    kind = block.get("type")
    if not isinstance(kind, str):
        raise BadRequest(f"{where}.type: Field required", param=where)
    if kind != "text":
        return ""  # image, document, tool_use, tool_result, thinking...: accepted, not counted
    text = block.get("text")
    if not isinstance(text, str):
        raise BadRequest(f"{where}.text: Input should be a valid string", param=where)
    return text


def _content_text(content: object, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_block_text(block, f"{where}.{i}") for i, block in enumerate(content))
    raise BadRequest(f"{where}: Input should be a valid string or a list of content blocks", param=where)


def _messages_tokens(messages: object) -> int:
    if not isinstance(messages, list):
        raise BadRequest("messages: Input should be a valid list", param="messages")
    if not messages:
        raise BadRequest("messages: at least one message is required", param="messages")
    tokens = 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequest(f"messages.{i}: Input should be a valid dictionary", param="messages")
        role = message.get("role")
        if role == "system":
            raise BadRequest(
                'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                'parameter, not "system" as an input message role.',
                param="messages",
            )
        if role not in _ROLES:
            raise BadRequest(f"messages.{i}.role: Input should be 'user' or 'assistant'", param="messages")
        content = message.get("content")
        if content is None:
            raise BadRequest(f"messages.{i}.content: Field required", param="messages")
        tokens += 3 + count_tokens(_content_text(content, f"messages.{i}.content"))
    return tokens


def _system_text(system: object) -> str:
    if system is None:
        return ""
    return _content_text(system, "system")


@dataclass(frozen=True, kw_only=True)
class MessagesRequest:
    """A validated `POST /v1/messages` (the fields the latency model and the reply need)."""

    model: str
    content_key: bytes
    stream: bool
    max_tokens: int
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig) -> MessagesRequest:
        """The request in the decoded body `doc`; raises BadRequest naming the field, in Anthropic's words."""
        model = _required(doc, "model")
        if not isinstance(model, str) or not model:
            raise BadRequest("model: Input should be a valid non-empty string", param="model")
        if len(model) > MAX_MODEL_CHARS:
            raise BadRequest(f"model: String should have at most {MAX_MODEL_CHARS} characters", param="model")
        max_tokens = _required(doc, "max_tokens")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
            raise BadRequest("max_tokens: Input should be a valid integer", param="max_tokens")
        if max_tokens < 1:
            raise BadRequest("max_tokens: Input should be greater than or equal to 1", param="max_tokens")
        if max_tokens > limits.max_output_tokens:
            raise BadRequest(
                f"max_tokens: Input should be less than or equal to {limits.max_output_tokens} "
                "(fake_llm --max-output-tokens)",
                param="max_tokens",
                code="invalid_value",
            )
        messages = _required(doc, "messages")
        input_tokens = 3 + _messages_tokens(messages) + count_tokens(_system_text(doc.get("system")))
        stream = doc.get("stream", False)
        if stream is not None and not isinstance(stream, bool):
            raise BadRequest("stream: Input should be a valid boolean", param="stream")
        stops = doc.get("stop_sequences")
        if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
            raise BadRequest(
                "stop_sequences: Input should be a valid list of strings", param="stop_sequences"
            )
        temperature = doc.get("temperature")
        if temperature is not None and (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not 0 <= temperature <= 1
        ):
            raise BadRequest("temperature: Input should be a number between 0 and 1", param="temperature")
        return cls(
            model=model,
            # repr of the decoded JSON: stable for the same document, cheaper than re-serialising it.
            content_key=repr([doc.get("system"), messages]).encode(),
            stream=bool(stream),
            max_tokens=max_tokens,
            input_tokens=input_tokens,
        )

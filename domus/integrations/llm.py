"""An OpenAI-compatible chat completions client (``POST {base}/chat/completions``), with
streaming (server-sent events) and function calling (``tools``; the calls' arguments are
gathered from the streamed fragments). Used by the assistant when ``ASSISTANT_LLM_URL`` is set;
works with OpenAI and with the many servers that speak its protocol (vLLM, Ollama,
LM Studio, llama.cpp's server, gateways)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from domus.core.exceptions import ServiceUnavailable


@dataclass
class ChatModel:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 60.0

    @property
    def name(self) -> str:
        return f"openai-compatible:{self.model}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _url(self) -> str:
        return f"{self.base_url.rstrip('/')}/chat/completions"

    def complete(self, messages: list[dict[str, Any]], *, temperature: float = 0.1) -> str:
        body = {"model": self.model, "messages": messages, "temperature": temperature, "stream": False}
        try:
            response = httpx.post(self._url(), json=body, headers=self._headers(), timeout=self.timeout)
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"] or ""
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ServiceUnavailable(f"The language model failed: {type(exc).__name__}.") from exc

    def stream(self, messages: list[dict[str, Any]], *, temperature: float = 0.1) -> Iterator[str]:
        """The answer's text as the server streams it (``data: {...}`` lines, ``[DONE]`` last)."""
        for kind, value in self.stream_events(messages, temperature=temperature):
            if kind == "text":
                yield value

    def stream_events(
        self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None, temperature: float = 0.1
    ) -> Iterator[tuple[str, Any]]:
        """A streamed turn: ``("text", piece)`` as the text arrives, then, when the model
        called functions, one ``("tool_calls", [{"id", "name", "arguments"}])`` with each
        call's argument fragments joined (servers stream them in pieces, by ``index``)."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": temperature, "stream": True}
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "auto"
        calls: dict[int, dict[str, str]] = {}
        try:
            with httpx.stream(
                "POST", self._url(), json=body, headers=self._headers(), timeout=self.timeout
            ) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or []
                    delta = (choices[0].get("delta") or {}) if choices else {}
                    if delta.get("content"):
                        yield "text", delta["content"]
                    for fragment in delta.get("tool_calls") or []:
                        call = calls.setdefault(
                            int(fragment.get("index", len(calls))), {"id": "", "name": "", "arguments": ""}
                        )
                        call["id"] = fragment.get("id") or call["id"]
                        function = fragment.get("function") or {}
                        call["name"] += function.get("name") or ""
                        call["arguments"] += function.get("arguments") or ""
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ServiceUnavailable(f"The language model failed: {type(exc).__name__}.") from exc
        if calls:
            yield (
                "tool_calls",
                [
                    {"id": call["id"] or f"call_{index}", "name": call["name"], "arguments": call["arguments"]}
                    for index, call in sorted(calls.items())
                ],
            )


def chat_model() -> ChatModel | None:
    """The configured model, or None (the assistant then answers extractively, offline)."""
    if not settings.ASSISTANT_LLM_URL:
        return None
    return ChatModel(
        base_url=settings.ASSISTANT_LLM_URL,
        model=settings.ASSISTANT_LLM_MODEL or "gpt-4o-mini",
        api_key=settings.ASSISTANT_LLM_API_KEY,
        timeout=settings.ASSISTANT_LLM_TIMEOUT,
    )

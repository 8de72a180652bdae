"""Finding a model server: the usual local servers probed at once, and the models a server
lists at `/models` (httpx imported only when a server is asked)."""

from __future__ import annotations

LOCAL_SERVERS = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
    ("llama.cpp", "http://127.0.0.1:8080/v1"),
)
PROBE_TIMEOUT_SECONDS = 0.3
MODEL_LIST_TIMEOUT_SECONDS = 3.0


async def _listed_models(
    url: str, client: object, timeout: float, api_key: str | None = None
) -> list[str] | None:
    """The model ids a server lists at `/models`, or None if it lists none; raises
    httpx.TransportError when nothing answers there at all."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = await client.get(f"{url}/models", timeout=timeout, headers=headers)
    try:
        response.raise_for_status()
        data = response.json().get("data", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]


async def _probe(
    url: str, client: object, timeout: float = PROBE_TIMEOUT_SECONDS
) -> list[str] | None:
    """The model ids a server lists at `/models`, or None if it does not answer."""
    import httpx

    try:
        return await _listed_models(url, client, timeout)
    except httpx.HTTPError:
        return None


async def probe_local_servers() -> tuple[str, str, list[str]] | None:
    """The first usual local server that answers, with its models; all probed at once."""
    import asyncio

    import httpx

    async with httpx.AsyncClient() as client:
        results = await asyncio.gather(*(_probe(url, client) for _, url in LOCAL_SERVERS))
    for (name, url), models in zip(LOCAL_SERVERS, results, strict=True):
        if models is not None:
            return name, url, models
    return None


async def served_models(url: str, api_key: str | None) -> list[str] | None:
    """What `url` lists at /models; raises httpx.TransportError if it cannot be reached."""
    import httpx

    async with httpx.AsyncClient() as client:
        return await _listed_models(url, client, MODEL_LIST_TIMEOUT_SECONDS, api_key)

"""The cache keeps the promise about large context files: their text is never stored."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from sixhats_ai.config import data_dir
from sixhats_ai.store.cache import StoreCache
from sixhats_ai.store.database import RunStore
from sixhats_ai.store.kept import INLINE_DOCUMENT_CHARS

RELEASED_STORE = Path(__file__).parent / "data" / "store-schema-2.sqlite3"


def _large_context(path: Path) -> str:
    """About 300 KB of lines no other text holds; the middle one is the one looked for."""
    lines = [f"survey answer {n:06d}: the four-day week suits my team" for n in range(6000)]
    text = "\n".join(lines)
    assert len(text) > 300_000 > INLINE_DOCUMENT_CHARS
    path.write_text(text)
    return lines[3000]


def _stored_bytes() -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir().iterdir()) if p.is_file())


def test_a_large_context_never_appears_in_the_store_and_is_still_cached(cli, fake_llm, tmp_path):
    context = tmp_path / "survey.md"
    middle = _large_context(context)
    args = ("analyze", "Four-day week?", "--program", "quick-feedback", "--context", str(context))
    first = cli(*args, "--context-window", "200000")
    assert first.code == 0, first.err
    assert middle in fake_llm.requests[0]["messages"][1]["content"]  # the model saw it all
    blob = _stored_bytes()
    assert middle.encode() not in blob and b"survey answer 0" not in blob
    with RunStore() as store:
        rows = store._query("SELECT request FROM requests")
        assert len(rows) == 4
        for row in rows:
            user = json.loads(row["request"])["messages"][1]
            assert "content" not in user and user["content_chars"] > INLINE_DOCUMENT_CHARS
            assert len(user["content_sha256"]) == 64
    fake_llm.requests.clear()
    again = cli(*args, "--context-window", "200000")
    assert again.code == 0 and fake_llm.requests == []  # answered from the store


def test_small_messages_are_kept_whole(tmp_path):
    store = RunStore(tmp_path / "s.sqlite3")
    cache = StoreCache(store)
    request = {"model": "m", "messages": [{"role": "user", "content": "short"}]}
    cache.put("k", request, {"ok": 1}, 0.1)
    kept = store._query("SELECT request FROM requests")[0]["request"]
    assert json.loads(kept) == request
    store.close()


def test_the_upgrade_drops_large_messages_a_released_store_kept(tmp_path):
    path = data_dir() / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(RELEASED_STORE, path)
    secret_middle = _large_context(tmp_path / "old.md")
    big = (tmp_path / "old.md").read_text()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO requests VALUES ('old', '2026-01-01', 'm', ?, '{}', 1, 1, 0.1)",
        (json.dumps({"model": "m", "messages": [{"role": "user", "content": big}]}),),
    )
    conn.commit()
    conn.close()
    assert secret_middle.encode() in _stored_bytes()
    with RunStore() as store:
        kept = json.loads(store._query("SELECT request FROM requests WHERE key = 'old'")[0][0])
        assert kept["messages"][0]["content_chars"] == len(big)
        assert store.count("requests") == 12
    assert secret_middle.encode() not in _stored_bytes()

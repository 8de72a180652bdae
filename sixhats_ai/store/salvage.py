"""Reading the rows a damaged or truncated SQLite file still holds, page by page.

SQLite itself refuses a file cut short ("database disk image is malformed") before a single
row is read, and finds a table's rows only through its interior pages and `sqlite_master`,
any of which may be lost. This reader needs none of them: it visits every page the file
still has, takes each table leaf page's cells (rowid and record) and follows their overflow
chains, so every row whose pages survive is found. Which table a record belongs to is left
to the caller (`recover`), which knows the columns of each.

The file format: https://www.sqlite.org/fileformat2.html (b-tree pages, records, overflow).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER_BYTES = 100  # the database header, at the start of page 1
TABLE_LEAF = 0x0D
DEFAULT_PAGE_SIZE = 4096
WAL_HEADER, WAL_FRAME_HEADER = 32, 24
WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")

Value = int | float | str | bytes | None


class Unreadable(ValueError):
    """A cell whose bytes do not make a record (a damaged page, a chain cut short)."""


@dataclass(frozen=True)
class Cell:
    """One row as a table leaf page holds it: its rowid and its record's values, text
    still as bytes (damaged text is the caller's to judge)."""

    rowid: int
    values: tuple[Value, ...]


def _varint(data: bytes | mmap.mmap, at: int) -> tuple[int, int]:
    """The varint at `at` and the offset after it."""
    value = 0
    for i in range(8):
        if at + i >= len(data):
            raise Unreadable("varint past the end")
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    if at + 8 >= len(data):
        raise Unreadable("varint past the end")
    return (value << 8) | data[at + 8], at + 9


def _value(serial: int, body: bytes) -> tuple[Value, int]:
    """A record value of this serial type read from the start of `body`, and its length."""
    if serial == 0:
        return None, 0
    if 1 <= serial <= 6:
        size = (1, 2, 3, 4, 6, 8)[serial - 1]
        return int.from_bytes(body[:size], "big", signed=True), size
    if serial == 7:
        return struct.unpack(">d", body[:8])[0], 8
    if serial in (8, 9):
        return serial - 8, 0
    if serial >= 12:
        size = (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
        return bytes(body[:size]), size
    raise Unreadable(f"serial type {serial}")


def record_values(payload: bytes) -> tuple[Value, ...]:
    """The values of a record: its header (serial types), then their bodies."""
    header_size, at = _varint(payload, 0)
    if not 0 < header_size <= len(payload):
        raise Unreadable("record header size")
    serials = []
    while at < header_size:
        serial, at = _varint(payload, at)
        serials.append(serial)
    values, body = [], header_size
    for serial in serials:
        value, size = _value(serial, payload[body:])
        if body + size > len(payload):
            raise Unreadable("record shorter than its header says")
        values.append(value)
        body += size
    return tuple(values)


def wal_pages(wal: Path, page_size: int) -> dict[int, bytes]:
    """The newest committed copy of each page in a write-ahead log (`<store>-wal`): a store
    left by a process that was stopped holds its last transactions there. Frames of an
    older log generation (other salts) and after the last commit are left out."""
    try:
        data = wal.read_bytes()
    except OSError:
        return {}
    if len(data) < WAL_HEADER or data[:4] not in WAL_MAGIC:
        return {}
    if int.from_bytes(data[8:12], "big") != page_size:
        return {}
    salts = data[16:24]
    pages: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    frame = WAL_HEADER
    while frame + WAL_FRAME_HEADER + page_size <= len(data):
        header = data[frame : frame + WAL_FRAME_HEADER]
        if header[8:16] != salts:
            break
        body = data[frame + WAL_FRAME_HEADER : frame + WAL_FRAME_HEADER + page_size]
        pending[int.from_bytes(header[:4], "big")] = body
        if int.from_bytes(header[4:8], "big"):  # a commit frame: its transaction is whole
            pages.update(pending)
            pending.clear()
        frame += WAL_FRAME_HEADER + page_size
    return pages


class PageFile:
    """The pages of a file that may be damaged or cut short, read in place (mapped), with
    the newer copies its write-ahead log holds (`wal_pages`) read instead."""

    def __init__(self, data: mmap.mmap, wal: Path | None = None) -> None:
        self.data = data
        size = int.from_bytes(data[16:18], "big") if len(data) >= 18 else 0
        size = 65536 if size == 1 else size
        sound = size >= 512 and size & (size - 1) == 0
        self.page_size = size if sound else DEFAULT_PAGE_SIZE
        reserved = data[20] if len(data) > 20 and sound else 0
        self.usable = self.page_size - reserved
        self.newer = wal_pages(wal, self.page_size) if wal is not None else {}
        # A last page cut short is left out.
        self.pages = max(len(data) // self.page_size, *self.newer, 0)

    def page(self, number: int) -> bytes:
        if number in self.newer:
            return self.newer[number]
        if not 1 <= number <= len(self.data) // self.page_size:
            raise Unreadable(f"page {number} is not in the file")
        start = (number - 1) * self.page_size
        return self.data[start : start + self.page_size]

    def _payload(self, page: bytes, at: int) -> tuple[int, bytes]:
        """The rowid and whole payload of the table leaf cell at `at`, overflow included."""
        size, at = _varint(page, at)
        rowid, at = _varint(page, at)
        usable = self.usable
        most, least = usable - 35, (usable - 12) * 32 // 255 - 23
        if size <= most:
            local = size
        else:
            local = least + (size - least) % (usable - 4)
            local = local if local <= most else least
        parts = [page[at : at + local]]
        got, next_page = local, 0
        if local < size:
            next_page = int.from_bytes(page[at + local : at + local + 4], "big")
        seen: set[int] = set()
        while got < size:
            if next_page in seen:
                raise Unreadable("overflow chain loops")
            seen.add(next_page)
            overflow = self.page(next_page)
            chunk = overflow[4 : 4 + min(usable - 4, size - got)]
            parts.append(chunk)
            got += len(chunk)
            next_page = int.from_bytes(overflow[:4], "big")
        payload = b"".join(parts)
        if len(payload) != size:
            raise Unreadable("payload cut short")
        return rowid if rowid < 2**63 else rowid - 2**64, payload

    def cells(self) -> Iterator[Cell]:
        """Every cell of every table leaf page that still reads as a record."""
        for number in range(2, self.pages + 1):  # page 1 is sqlite_master's
            try:
                page = self.page(number)
            except Unreadable:  # cut off, and not in the log either
                continue
            if page[0] != TABLE_LEAF:
                continue
            count = int.from_bytes(page[3:5], "big")
            for i in range(count):
                pointer = int.from_bytes(page[8 + 2 * i : 10 + 2 * i], "big")
                if not 8 <= pointer < self.usable:
                    continue
                try:
                    rowid, payload = self._payload(page, pointer)
                    yield Cell(rowid, record_values(payload))
                except (Unreadable, IndexError, struct.error):
                    continue


def salvage_cells(path: Path) -> Iterator[Cell]:
    """Every record `path` (and its write-ahead log) still holds in a table leaf page."""
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield from PageFile(data, Path(f"{path}-wal")).cells()

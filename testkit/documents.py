"""Made-up proposals of a given size, for the tests and the benchmarks that need a long one."""

from __future__ import annotations


def proposal(size: int) -> str:
    """A Markdown proposal of about `size` characters, in sections, no sentence repeated."""
    parts, n = ["# Proposal: a four-day week for the support team\n"], 0
    while sum(map(len, parts)) < size:
        if n % 12 == 0:
            parts.append(f"\n## Section {n // 12 + 1}\n\n")
        parts.append(f"Paragraph {n} notes that measure {n * 7 % 101} moved by {n % 13} points. ")
        n += 1
    return "".join(parts)

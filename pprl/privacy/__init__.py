"""Privacy: measure what a linkage schema leaks to known attacks.

Attacks on Bloom-filter encodings (graph matching, frequency, pattern
mining), the privacy report and the privacy-utility frontier live here.
They measure resistance to known attacks; they are not a formal guarantee.
"""

from __future__ import annotations

__all__: list[str] = []

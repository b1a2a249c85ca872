"""Many short texts kept as one buffer: what a batch keeps per letter (a roster's rows, its
files' names) costs about the texts' own bytes instead of a Python string each (≈ 50 bytes
of overhead and 2–4 bytes a character once a text has an accent)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence


class PackedTexts(Sequence):
    """A list of texts that can only grow: each kept as UTF-8 in one buffer."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q")  # where each text ends in _data

    def append(self, text: str) -> None:
        self._data += text.encode("utf-8")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        start = self._ends[index - 1] if index else 0
        return self._data[start:self._ends[index]].decode("utf-8")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PackedTexts):
            return NotImplemented
        return (self._ends, self._data) == (other._ends, other._data)

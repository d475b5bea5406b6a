"""Text encodings: detect a file's encoding and stream it to UTF-8 for the engine.

Chinese exports arrive in UTF-8, UTF-8 with a BOM, GBK/GB18030 (Excel's "CSV" on a Chinese
Windows) and UTF-16 (Excel's "Unicode text"). Detection reads a sample; transcoding streams in
blocks, so a 10 GB file needs no more memory than one block.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from persona.model.errors import SourceError

SAMPLE_BYTES = 1 << 20
BLOCK_BYTES = 16 << 20

_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "utf8": "utf-8",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
}


@dataclass(frozen=True)
class Detected:
    """The encoding a file was read with, and how it was decided."""

    encoding: str
    how: str  # "bom", "detected", "configured"


def normalise_encoding(name: str) -> str:
    """Return the codec Persona uses for a configured encoding name (GBK reads as GB18030)."""
    lowered = codecs.lookup(name).name if name != "auto" else "auto"
    return _ALIASES.get(lowered, _ALIASES.get(name.lower(), lowered))


def detect_encoding(path: Path, configured: str = "auto") -> Detected:
    """Decide the encoding of a text file.

    A byte-order mark wins; then UTF-16 by its zero bytes; then UTF-8 if the sample (or most of
    its non-ASCII lines) decodes; then GB18030 if the sample decodes as common Chinese text;
    then charset-normalizer's best guess among Chinese, Western and other Asian code pages.

    Raises:
        SourceError: when a configured encoding cannot decode the file's start.
    """
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if configured != "auto":
        encoding = normalise_encoding(configured)
        if not _decodes(sample, encoding):
            guess = detect_encoding(path).encoding
            raise SourceError(
                f"{path}: the file is not valid {configured} (its start does not decode); it "
                f"looks like {guess}: set `encoding: {guess}` (or `auto`) for this source"
            )
        return Detected(encoding, "configured")
    if sample.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", "bom")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", "bom")
    if _looks_like_utf16(sample):
        return Detected("utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be", "detected")
    if _decodes(sample, "utf-8") or _mostly_utf8(sample):
        return Detected("utf-8", "detected")
    if _looks_like_chinese(sample):
        return Detected("gb18030", "detected")
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise SourceError(
            f"{path}: cannot tell the text encoding (not UTF-8, UTF-16 or GBK); "
            "set `encoding:` for this source, e.g. `encoding: big5`"
        )
    return Detected(normalise_encoding(str(best.encoding)), "detected")


_CANDIDATES = ["gb18030", "big5", "cp1252", "latin_1", "shift_jis", "euc_kr"]


def _looks_like_chinese(sample: bytes) -> bool:
    """Whether the sample is GBK/GB18030 Chinese: it decodes, and its characters are common ones.

    Common Chinese characters and punctuation are two bytes both at or above 0xA1 (the GB2312
    area); Western text in a single-byte encoding, misread as GB18030, pairs a high byte with an
    ASCII one instead.
    """
    if not _decodes(sample, "gb18030"):
        return False
    text = codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return False
    common = sum(1 for c in wide if all(b >= 0xA1 for b in c.encode("gb18030")[:2]))
    return common >= 0.8 * len(wide)


def _decodes(sample: bytes, encoding: str) -> bool:
    """Whether the sample decodes, ignoring a multi-byte character cut at its end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(sample: bytes) -> bool:
    """Whether most non-ASCII lines are UTF-8: a UTF-8 file with a few lines in another encoding.

    Those lines are then quarantined one by one instead of the whole file being misread.
    """
    whole = sample.splitlines()
    if len(sample) >= SAMPLE_BYTES:
        whole = whole[:-1]  # the last line may be cut mid-character
    lines = [line for line in whole if not line.isascii()]
    if not lines:
        return False
    good = 0
    for line in lines:
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            pass
    return good * 2 > len(lines)


def _looks_like_utf16(sample: bytes) -> bool:
    head = sample[:4096]
    zeros = max(head[1::2].count(0), head[::2].count(0))
    return len(head) >= 4 and zeros > len(head) // 4


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Stream `source` (in `encoding`) to `target` as UTF-8, block by block.

    In byte encodings a line that does not decode is copied byte for byte, so the engine's
    reader rejects that one line as invalid text (it is quarantined with its line number) and
    the rest of the file loads.

    Raises:
        SourceError: when a UTF-16 file does not decode (it cannot be split into lines).
    """
    if encoding.startswith("utf-16"):
        _transcode_utf16(source, target, encoding)
        return
    with source.open("rb") as src, target.open("wb") as dst:
        pending = b""
        while block := src.read(BLOCK_BYTES):
            data = pending + block
            cut = data.rfind(b"\n") + 1
            data, pending = data[:cut], data[cut:]
            dst.write(_transcode_lines(data, encoding))
        dst.write(_transcode_lines(pending, encoding))


def _transcode_lines(data: bytes, encoding: str) -> bytes:
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        pass
    out = []
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode(encoding).encode("utf-8"))
        except UnicodeDecodeError:
            out.append(line)  # stays invalid UTF-8 unless the file mixes in UTF-8 lines
    return b"".join(out)


def _transcode_utf16(source: Path, target: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with source.open("rb") as src, target.open("wb") as dst:
        try:
            while block := src.read(BLOCK_BYTES):
                dst.write(decoder.decode(block).encode("utf-8"))
                done += len(block)
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{source}: not valid {encoding} at byte {done + exc.start:,}; re-save the file "
                "as UTF-8, or set `encoding:` to the encoding it was written in"
            ) from None

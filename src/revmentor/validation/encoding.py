"""Whether a file's bytes are UTF-8 text, checked over the whole file a chunk at a time.

A UTF-16 or Windows-1252 file gets one whole-file error naming its encoding, rather than a
cell-level error on its first accented letter. This module needs no pandas, unlike the
readers that use it: the workflow decodes the site registry while Snakemake reads the
workflow, and a dry run would otherwise import pandas for it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from revmentor.core.problems import Problem, ProblemsError

CHUNK = 1 << 16
UTF8_CHECK = "utf8_encoding"
SAVE_AS_UTF8 = (
    'in Excel, choose File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)" and send that file'
)
_UTF16_BOMS = {b"\xff\xfe": "UTF-16 LE", b"\xfe\xff": "UTF-16 BE"}
#: Bytes of ASCII text in UTF-16 are half NUL: at odd offsets in LE, at even ones in BE.
_UTF16_NUL_SHARE = 0.3


def _encoding_error(shown_as: str, message: str, value: str | None) -> ProblemsError:
    return ProblemsError(
        f"{shown_as}: the file is not UTF-8 text",
        [Problem(None, None, UTF8_CHECK, message, value)],
    )


def _utf16_without_bom(head: bytes) -> str | None:
    """'UTF-16 LE' or 'UTF-16 BE' when the NUL bytes fall as UTF-16 text puts them."""
    half = len(head) // 2
    if not half:
        return None
    at_even = head[0::2].count(0)
    at_odd = head[1::2].count(0)
    if at_odd >= _UTF16_NUL_SHARE * half and at_even == 0:
        return "UTF-16 LE"
    if at_even >= _UTF16_NUL_SHARE * half and at_odd == 0:
        return "UTF-16 BE"
    return None


def check_encoding(chunks: Iterable[bytes], shown_as: str, *, again: Iterable[bytes]) -> bool:
    """Raise one whole-file error unless the bytes are UTF-8; return whether any byte is
    more than whitespace. ``again`` gives the same bytes anew (to try Windows-1252)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    has_text = False
    for chunk in chunks:
        if offset == 0:
            for bom, label in _UTF16_BOMS.items():
                if chunk.startswith(bom):
                    raise _encoding_error(
                        shown_as,
                        f"the file is {label} text (with a byte-order mark), not UTF-8; "
                        + SAVE_AS_UTF8,
                        label,
                    )
        nul = chunk.find(b"\x00")
        if nul >= 0:
            label = _utf16_without_bom(chunk) if offset == 0 else None
            if label is not None:
                raise _encoding_error(
                    shown_as,
                    f"the file is {label} text (without a byte-order mark), not UTF-8; "
                    + SAVE_AS_UTF8,
                    label,
                )
            raise _encoding_error(
                shown_as,
                f"the file holds NUL bytes (the first at byte {offset + nul + 1:,}), so it is "
                "not text; save the sheet as .xlsx, or " + SAVE_AS_UTF8,
                None,
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            # error.object is the decoder's buffer: this chunk after any bytes held over.
            buffer = error.object
            line = lines + buffer.count(b"\n", 0, error.start)
            raise _not_utf8(shown_as, buffer[error.start], line, again) from None
        lines += chunk.count(b"\n")
        has_text = has_text or bool(chunk.strip())
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        # The file ends inside a multi-byte character: cut short, or another encoding.
        raise _not_utf8(shown_as, None, lines, again) from None
    return has_text


def _not_utf8(shown_as: str, byte: int | None, line: int, again: Iterable[bytes]) -> ProblemsError:
    where = (
        f"the first non-UTF-8 byte is 0x{byte:02X} on line {line}"
        if byte is not None
        else f"the file ends inside a character on line {line}"
    )
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        for chunk in again:
            decoder.decode(chunk)
    except UnicodeDecodeError:
        return _encoding_error(
            shown_as,
            f"the file is not UTF-8 text, nor Windows-1252 ({where}); " + SAVE_AS_UTF8,
            None,
        )
    return _encoding_error(
        shown_as,
        "the file is Windows-1252 (Latin-1) text, as Excel's plain 'CSV (Comma delimited)' "
        f"saves it, not UTF-8 ({where}); " + SAVE_AS_UTF8,
        "Windows-1252",
    )


def decode_text(data: bytes, shown_as: str) -> str:
    """UTF-8 text with any BOM removed; one whole-file error naming any other encoding."""
    check_encoding(_chunks_of(data), shown_as, again=_chunks_of(data))
    return data.decode("utf-8-sig")


def _chunks_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]

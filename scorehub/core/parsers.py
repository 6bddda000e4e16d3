"""The API's JSON parser: Django REST framework's, refusing a nesting deeper than any record of this API.

Python's ``json`` module recurses once per ``[`` or ``{``: a body of 5,000 opening brackets exhausts the
interpreter's recursion limit, and the request ended in a 500.  The nesting depth is therefore measured
before the body is parsed at all, and anything deeper than ``MAX_DEPTH`` is refused with a 400.  REST
framework reads a JSON body through ``request.body``, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bounds
the body (and this scan) before the parser runs.

``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` names this parser, so every API view uses it; a view that
sets its own ``parser_classes`` (REST framework's token view does) must be given the defaults again.
"""

from __future__ import annotations

import codecs
import io
import operator
from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Deepest nesting of arrays and objects accepted in a request body.
MAX_DEPTH = 64

_STRUCTURE = b'[]{}"'
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in _STRUCTURE)
_AS_BITS = bytes.maketrans(b"[{]}", b"1100")


def _steps(block: int) -> tuple[int, int]:
    """Depth change over 8 brackets (the bits of ``block``, first bracket highest; 1 opens) and its peak."""
    depth = peak = 0
    for bit in range(7, -1, -1):
        depth += 1 if block >> bit & 1 else -1
        peak = max(peak, depth)
    return depth, peak


_CHANGE, _PEAK = zip(*map(_steps, range(256)), strict=True)


def nesting_depth(utf8: bytes) -> int:
    """How deep ``json.loads`` would nest arrays and objects to read ``utf8`` (UTF-8 encoded JSON).

    Exact for well-formed JSON; for malformed JSON never less than the depth the parser reaches before it
    stops at the error.  Linear and done with whole-buffer operations (a 20 MB body takes about a second):

    1. escapes go first (an escaped backslash, then an escaped quote), then every byte but brackets and
       quotes; quotes with nothing between them go too (they change nothing);
    2. what lies between the 1st and 2nd quote, the 3rd and 4th, ... is inside strings and goes;
    3. the brackets left become bits (1 opens), eight to a byte, and the deepest point is found block by
       block with a table of each byte's depth change and peak.
    """
    structure = utf8.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.replace(b'""', b"").split(b'"')[::2])
    if not brackets:
        return 0
    bits = brackets.translate(_AS_BITS) + b"0" * (-len(brackets) % 8)  # closing brackets pad the last block
    blocks = int(bits, 2).to_bytes(len(bits) // 8, "big")
    depth_before_each = accumulate(map(_CHANGE.__getitem__, blocks), initial=0)
    return max(map(operator.add, depth_before_each, map(_PEAK.__getitem__, blocks)))


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            is_utf8 = codecs.lookup(encoding).name == "utf-8"
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding}) from exc
        # In UTF-8 a bracket or quote byte is always that character (in UTF-16 it may be half of another).
        utf8 = raw if is_utf8 else text.encode()
        if utf8.count(b"[") + utf8.count(b"{") > MAX_DEPTH and nesting_depth(utf8) > MAX_DEPTH:
            raise ParseError(_("The JSON is nested too deeply: at most %(depth)s levels.") % {"depth": MAX_DEPTH})
        return super().parse(io.BytesIO(raw), media_type, parser_context)

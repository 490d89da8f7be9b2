"""Encodings and checksums of text: Base64, hex, URL encoding, SHA-256, MD5 and CRC-32."""

import base64
import binascii
import hashlib
import urllib.parse
import zlib


def base64_encode(text: str) -> str:
    """Encode a text (as UTF-8) in Base64.

    Args:
        text: The text to encode.
    """
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def base64_decode(data: str) -> str:
    """Decode Base64 data back to text (UTF-8).

    Args:
        data: The Base64 string.
    """
    try:
        return base64.b64decode(data.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid Base64 text: {exc}") from None


def sha256_hash(text: str) -> str:
    """The SHA-256 digest of a text (UTF-8), in hexadecimal.

    Args:
        text: The text to hash.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def md5_hash(text: str) -> str:
    """The MD5 digest of a text (UTF-8), in hexadecimal. Fine for checksums, not for security.

    Args:
        text: The text to hash.
    """
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def url_encode(text: str) -> str:
    """Percent-encode a text for use in a URL query value.

    Args:
        text: The text to encode.
    """
    return urllib.parse.quote(text, safe="")


def url_decode(text: str) -> str:
    """Decode a percent-encoded URL component ('+' becomes a space).

    Args:
        text: The encoded text.
    """
    return urllib.parse.unquote_plus(text)


def hex_encode(text: str) -> str:
    """The hexadecimal form of a text's UTF-8 bytes.

    Args:
        text: The text to encode.
    """
    return text.encode("utf-8").hex()


def hex_decode(data: str) -> str:
    """Decode hexadecimal bytes back to text (UTF-8).

    Args:
        data: The hex string, e.g. '68656c6c6f'.
    """
    try:
        return bytes.fromhex(data.strip()).decode("utf-8")
    except ValueError as exc:
        raise ValueError(f"not valid hex-encoded text: {exc}") from None


def crc32_checksum(text: str) -> str:
    """The CRC-32 checksum of a text (UTF-8) as 8 hex digits.

    Args:
        text: The text to checksum.
    """
    return f"{zlib.crc32(text.encode('utf-8')) & 0xFFFFFFFF:08x}"


FUNCTIONS = [base64_encode, base64_decode, sha256_hash, md5_hash, url_encode, url_decode, hex_encode, hex_decode,
             crc32_checksum]

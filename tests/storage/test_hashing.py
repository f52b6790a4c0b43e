"""The transfer checksum is CRC32C as documented, in every variant (file, bytes, stream)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import google_crc32c
import pytest

from dflow_like.storage._hashing import CHUNK, Crc32c, bytes_checksum, content_checksum, file_digest
from dflow_like.storage.local import LocalStorageClient

MIB = 1 << 20
SIZES = [0, 1, 4 * MIB, 4 * MIB + 1, 9 * MIB + 12345]


def reference(data: bytes) -> str:
    """The definition, independently: google-crc32c's one-shot value, 8 hex digits, big-endian."""
    return google_crc32c.value(data).to_bytes(4, "big").hex()


@pytest.fixture(scope="module")
def contents() -> dict[int, bytes]:
    rng = random.Random(7)
    return {size: rng.randbytes(size) for size in SIZES}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"123456789", "e3069283"),  # the standard CRC-32C check value (RFC 3720 / CRC catalogue)
        (b"", "00000000"),
        (bytes(32), "8a9136aa"),  # RFC 3720 B.4: 32 bytes of zeros
        (b"\xff" * 32, "62a8ab43"),  # RFC 3720 B.4: 32 bytes of ones
        (bytes(range(32)), "46dd794e"),  # RFC 3720 B.4: incrementing bytes
    ],
)
def test_known_vectors(tmp_path: Path, data: bytes, expected: str) -> None:
    assert reference(data) == expected
    assert bytes_checksum(data) == expected
    (tmp_path / "f").write_bytes(data)
    assert content_checksum(tmp_path / "f") == expected
    hasher = Crc32c()
    hasher.update(data)
    assert hasher.hexdigest() == expected


def test_small_values_keep_their_leading_zeros() -> None:
    assert google_crc32c.value(b"\t" * 4) == 0x0872AE21
    assert bytes_checksum(b"\t" * 4) == reference(b"\t" * 4) == "0872ae21"


@pytest.mark.parametrize("size", SIZES)
def test_file(tmp_path: Path, contents: dict[int, bytes], size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(contents[size])
    assert content_checksum(path) == reference(contents[size])
    assert content_checksum(str(path)) == reference(contents[size])


@pytest.mark.parametrize("size", SIZES)
def test_bytes(contents: dict[int, bytes], size: int) -> None:
    assert bytes_checksum(contents[size]) == reference(contents[size])


@pytest.mark.parametrize("size", SIZES)
def test_streaming_random_chunks(contents: dict[int, bytes], size: int) -> None:
    data = contents[size]
    rng = random.Random(size)
    hasher = Crc32c()
    position = 0
    while position < len(data):
        step = rng.choice([1, 17, 4095, 65536, CHUNK - 1, CHUNK, 3 * MIB, 5 * MIB])
        hasher.update(data[position : position + step])
        position += step
    assert hasher.hexdigest() == reference(data)


def test_streaming_digest_mid_stream_does_not_end_it() -> None:
    data = bytes(range(256)) * (8 * MIB // 256)
    hasher = Crc32c()
    hasher.update(data[: 4 * MIB])
    assert hasher.hexdigest() == reference(data[: 4 * MIB])
    hasher.update(b"")
    hasher.update(data[4 * MIB :])
    assert hasher.hexdigest() == reference(data)


def test_file_digest_is_plain_hashlib(tmp_path: Path, contents: dict[int, bytes]) -> None:
    data = contents[4 * MIB + 1]
    (tmp_path / "f").write_bytes(data)
    assert file_digest(tmp_path / "f", "md5") == hashlib.md5(data).hexdigest()
    assert file_digest(tmp_path / "f", "sha256") == hashlib.sha256(data).hexdigest()


def test_local_checksum_is_the_crc32c(tmp_path: Path, contents: dict[int, bytes]) -> None:
    client = LocalStorageClient(tmp_path / "store")
    (tmp_path / "f").write_bytes(contents[4 * MIB + 1])
    client.upload("k", str(tmp_path / "f"))
    assert client.checksum("k") == reference(contents[4 * MIB + 1])

"""sync: why central gave no answer, in words an operator can act on (the final line
of `sync run --once` and of `sync register` named a Python exception class)."""

from __future__ import annotations

import socket

import pytest
import requests

from berjasa.processes import free_port
from sync.transport import why_unreachable


def _failure(url: str, timeout: float | tuple[float, float] = 5) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as failed:
        requests.get(url, timeout=timeout)
    return failed.value


def test_a_closed_port_a_name_unknown_and_a_silent_server_are_told_apart():
    assert why_unreachable(_failure(f"http://127.0.0.1:{free_port()}/")).startswith(
        "koneksi ditolak")
    assert why_unreachable(_failure("http://pusat-tidak-ada.invalid/")).startswith(
        "nama alamat pusat tidak dikenal")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        port = silent.getsockname()[1]
        assert why_unreachable(_failure(f"http://127.0.0.1:{port}/", (5, 0.3))) == \
            "pusat tidak menjawab dalam batas waktu"
    finally:
        silent.close()
    for text in (why_unreachable(_failure(f"http://127.0.0.1:{free_port()}/")),):
        assert "Error" not in text and "Exception" not in text

"""A locally generated CA and server certificate for `--tls`, so TLS handshakes are real CPU work.

Clients trust the server by loading `ca.pem` from the directory this writes (`--tls-dir`, or a temporary
directory whose path the CLI prints): `SSL_CERT_FILE=DIR/ca.pem`, or `httpx.Client(verify=ssl_context)`.
`--tls-dir` is created if missing, but not its parents: a mistyped path fails instead of growing a tree.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from fake_llm.errors import ServeError

__all__ = ["TLSFiles", "make_tls_files"]


@dataclass(frozen=True, kw_only=True)
class TLSFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls_files(directory: str = "", *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TLSFiles:
    """Write a fresh CA and a certificate for `hosts` into `directory` (a new temp dir when empty).

    Raises:
        ServeError: the directory cannot be created or written (its parent is missing, it is a file, it is
            read-only or forbidden); the message names it and the fix.
    """
    import trustme  # only --tls needs it; keep plain HTTP start-up light

    try:
        target = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="awaitbench-tls-"))
        target.mkdir(exist_ok=True)
        ca = trustme.CA(organization_name="awaitbench fake_llm")
        cert = ca.issue_cert(*hosts)
        files = TLSFiles(
            ca_path=target / "ca.pem", cert_path=target / "cert.pem", key_path=target / "key.pem"
        )
        ca.cert_pem.write_to_path(str(files.ca_path))
        cert.private_key_pem.write_to_path(str(files.key_path))
        with open(files.cert_path, "wb") as out:
            for blob in cert.cert_chain_pems:
                out.write(blob.bytes())
    except OSError as exc:
        where = f"--tls-dir {directory}" if directory else "--tls (temporary directory)"
        reason = exc.strerror or str(exc)
        raise ServeError(
            f"{where}: cannot write the TLS files there ({reason}); pass a writable directory "
            "whose parent exists"
        ) from None
    return files

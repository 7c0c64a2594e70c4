"""``boxoffice server --certfile --keyfile`` serves HTTPS, scanner page included."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers.servers import ServerProcess
from tests.helpers.stores import migrated_store

pytestmark = pytest.mark.slow


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_the_server_serves_https_with_a_certificate(tmp_path: Path) -> None:
    migrated_store(tmp_path / "server.db").dispose()
    certfile, keyfile = _self_signed(tmp_path)
    server = ServerProcess(tmp_path / "server.db", tmp_path / "server.log",
                           extra_args=("--certfile", str(certfile), "--keyfile", str(keyfile)))
    server.start(time.monotonic() + 60)
    try:
        assert server.url.startswith("https://")
        with httpx.Client(verify=False, timeout=10) as http:
            page = http.get(f"{server.url}/scanner/")
            assert page.status_code == 200 and "Gate scanner" in page.text
            config = http.get(f"{server.url}/api/scanner/config").json()
            assert config["reasons"]["band_void"]["headline"] == "Void band"
    finally:
        server.stop()

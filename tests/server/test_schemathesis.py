"""Property-based requests from the OpenAPI document: never a 5xx, never an off-schema answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from boxoffice.domain.enums import Role
from tests.helpers.seeding import Live

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
])


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_schema_violation(live: Live, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("schemathesis")
    config = tmp_path / "schemathesis.toml"
    # A pull with nothing new waits up to `wait` seconds by design; generated
    # waits would only make the run slow (and time out), so they are fixed at 0.
    config.write_text('[[operations]]\ninclude-path = "/api/sync/changes"\n'
                      'parameters = { "query.wait" = 0 }\n')
    result = subprocess.run(
        [str(cli), "--config-file", str(config), "run", f"{live.url}/openapi.json", "--checks", CHECKS,
         "-H", f"Authorization: Bearer {live.tokens[Role.OWNER]}",
         # logging out would revoke the token the run authenticates with
         "--exclude-path", "/api/auth/logout",
         "--max-examples", "15", "--seed", "20261122", "--no-color"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert " passed" in summary and "failures" not in summary.split("Test cases:")[-1], summary

"""The published schema is valid OpenAPI and a generated client keeps every operation.

It runs once, in the SQLite run: the schema is built from the code alone (no database,
no cache), so the PostgreSQL run would repeat the same ~15 s of validation and code
generation for nothing. Offline: both tools read the schema from a file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from domus.api import api

pytestmark = pytest.mark.once

# Generated clients have no generic binary media type besides octet-stream: map ours to it
# (`*/*`: a stored document, answered in the media type it was uploaded with).
CLIENT_CONFIG = """\
project_name_override: domus-client
package_name_override: domus_client
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
  text/csv: application/octet-stream
  image/gif: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  image/webp: application/octet-stream
  "*/*": application/octet-stream
"""


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory) -> Path:
    # The JSON the live /api/schema/ answers (integer status keys become strings).
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), default=str))
    path = tmp_path_factory.mktemp("openapi") / "schema.json"
    path.write_text(json.dumps(schema))
    return path


def operation_count(schema: dict) -> int:
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(1 for item in schema["paths"].values() for method in item if method in methods)


def test_the_schema_is_valid_openapi(schema_file):
    validate(json.loads(schema_file.read_text()))  # raises on the first violation


def test_a_generated_client_has_one_function_per_operation(schema_file, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(CLIENT_CONFIG)
    output = tmp_path / "client"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            f"--path={schema_file}",
            f"--config={config}",
            f"--output-path={output}",
            "--meta=none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    generated = [
        module
        for module in (output / "api").rglob("*.py")
        if module.name != "__init__.py" and "def sync_detailed(" in module.read_text()
    ]
    expected = operation_count(json.loads(schema_file.read_text()))
    assert expected > 200
    assert len(generated) == expected

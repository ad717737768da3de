"""No credentials in the repository: code, configuration and docs hold no key-shaped strings.

Run logs are scanned by test_lakehouse_faults.py::test_no_key_or_credential_reaches_any_run_log.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults
REPO = Path(__file__).resolve().parents[2]
PATTERNS = {
    "AWS access key id": re.compile(
        r"(?<![A-Z0-9])(AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key\W{0,6}[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"
    ),
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "PII hash key": re.compile(r"LAKEHOUSE_PII_HASH_KEY\s*[=:]\s*['\"]?[0-9a-f]{32,}"),
}


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in listed if (REPO / name).is_file()]


def find_secrets(text: str) -> list[str]:
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]


def test_the_patterns_catch_what_they_are_for():
    key_id = "AKIA" + "Z2" * 8
    secret = "wJalrXUtnFEMI/K7MDENG/" + "b" * 18
    assert find_secrets(f"aws_access_key_id = {key_id}") == ["AWS access key id"]
    assert find_secrets(f'AWS_SECRET_ACCESS_KEY="{secret}"') == ["AWS secret access key"]
    assert find_secrets("export LAKEHOUSE_PII_HASH_KEY=" + "ab" * 32) == ["PII hash key"]
    assert find_secrets('aws_secret_access_key="testing"') == []


def test_no_file_of_the_repository_holds_a_credential():
    files = repository_files()
    assert len(files) > 50
    found = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        kinds = find_secrets(text)
        if kinds:
            found[str(path.relative_to(REPO))] = kinds
    assert found == {}

"""Deploying to the local endpoint and loading a landing onto its S3, for the AWS tests."""

from __future__ import annotations

from pathlib import Path

from lakehouse_assets.cli.deploy import main as deploy_main


def deploy(capsys=None) -> str:
    """`lakehouse deploy apply` with the module's environment; returns what it printed."""
    assert deploy_main(["deploy", "apply"]) == 0
    return capsys.readouterr().out if capsys else ""


def upload_landing(s3, folder: Path, bucket: str, prefix: str, skip: tuple[str, ...] = ()):
    for path in sorted(folder.rglob("*.csv")):
        if path.stem in skip:
            continue
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        s3.upload_file(str(path), bucket, key)


def pipes_objects(s3, bucket: str, prefix: str) -> list[str]:
    page = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_pipes/")
    return [o["Key"] for o in page.get("Contents", [])]

"""The training dataset as a Dagster asset, downstream of the gold sessions' metrics.

Not a Glue job: it reads gold's current version with pyarrow and writes one CSV and its
manifest (`dataset.py`), under `<root>/ml-training-data/<start>_to_<end>/`. Its window is run
config (`start`, `end`; by default the last month up to yesterday). Its check counts the gold
rows of the window again, from gold's files, and compares them with the rows of the written
file read back.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    ConfigurableResource,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from lakehouse_assets.domains.conversas import specs
from lakehouse_assets.settings import Settings

if TYPE_CHECKING:
    from lakehouse_assets.domains.conversas import dataset

DATASET_KEY = AssetKey(["conversas", "ml", "dataset_treinamento"])
GOLD_KEY = AssetKey(["conversas", "gold", specs.GOLD_TABLE])
ROWS_CHECK = "linhas_iguais_ao_gold"


class TrainingData(ConfigurableResource):
    """Where the datasets go: `<lakehouse_root>/ml-training-data/` (a folder or `s3://`)."""

    lakehouse_root: str = Field(default="./.lakehouse", description="Storage root of the lake.")


class DatasetWindow(Config):
    start: str | None = Field(
        default=None,
        description="First day (YYYY-MM-DD, UTC), included. With end; both empty: the last "
        "month up to yesterday.",
    )
    end: str | None = Field(default=None, description="Last day (YYYY-MM-DD, UTC), included.")


def build_training_data_resource(settings: Settings) -> TrainingData:
    return TrainingData(lakehouse_root=settings.root)


def rows_check(written: "dataset.Dataset") -> AssetCheckResult:
    """The written file's data rows against a count of the gold version it was read from."""
    from lakehouse_assets.domains.conversas.dataset import count_csv_rows  # pyarrow: see below

    gold = written.gold
    file_rows = count_csv_rows(written.csv_uri)
    gold_rows = gold.count(written.window)
    return AssetCheckResult(
        check_name=ROWS_CHECK,
        asset_key=DATASET_KEY,
        passed=file_rows == gold_rows,
        severity=AssetCheckSeverity.ERROR,
        metadata={"file_rows": file_rows, "gold_rows": gold_rows},
        description=(
            f"{written.csv_uri} holds {file_rows} row(s); version {gold.version.version} of "
            f"{gold.store.qualified_name} holds {gold_rows} in {written.window.name}"
        ),
    )


def build_dataset_asset() -> AssetsDefinition:
    @asset(
        key=DATASET_KEY,
        deps=[GOLD_KEY],
        group_name="conversas",
        kinds={"csv"},
        owners=["team:conversas-ml"],
        description=(
            "The ML training dataset: the 48 metrics of the sessions created in a window of "
            "days (UTC, both included), one CSV with a header in the training order, and a "
            "manifest.json of the gold version, definitions and upstream snapshots it was "
            "built from. Window: run config start/end, by default the last month up to "
            "yesterday."
        ),
        check_specs=[
            AssetCheckSpec(
                name=ROWS_CHECK,
                asset=DATASET_KEY,
                description=(
                    "The CSV holds exactly as many rows as the gold version it was read from "
                    "holds for the window."
                ),
            )
        ],
    )
    def dataset_treinamento(
        context: AssetExecutionContext, config: DatasetWindow, training_data: TrainingData
    ) -> Iterator:
        # Imported here: pyarrow would cost every Dagster process's start (and `lakehouse run`).
        from lakehouse_assets.domains.conversas.dataset import parse_window, write_dataset

        window = parse_window(config.start, config.end)
        written = write_dataset(training_data.lakehouse_root, window)
        gold = written.gold
        context.log.info(
            f"{written.rows} session(s) of {window.name} from {gold.store.qualified_name} "
            f"v{gold.version.version} -> {written.csv_uri}"
        )
        yield MaterializeResult(
            metadata={
                "dagster/row_count": written.rows,
                "dagster/uri": written.csv_uri,
                "conversas/path": MetadataValue.path(written.csv_uri),
                "conversas/manifest": MetadataValue.path(written.manifest_uri),
                "conversas/window_start": window.start.isoformat(),
                "conversas/window_end": window.end.isoformat(),
                "conversas/gold_table_version": gold.version.version,
                "conversas/definitions_version": specs.DEFINITIONS_VERSION,
            },
            check_results=[rows_check(written)],
        )

    return dataset_treinamento

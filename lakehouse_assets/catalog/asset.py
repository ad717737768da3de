"""The governance asset: after the tables materialize, publish them into the Glue catalog."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from lakehouse_assets.catalog.aws import EndpointNotFoundError
from lakehouse_assets.catalog.export import ExportOptions, export_catalog
from lakehouse_assets.catalog.resource import GlueCatalog
from lakehouse_assets.registry import Registry

CATALOG_ASSET_KEY = AssetKey(["governance", "glue_data_catalog"])


class CatalogExportError(RuntimeError):
    """Some catalog calls failed; the rest was exported."""


def build_catalog_asset(reg: Registry) -> AssetsDefinition:
    @asset(
        key=CATALOG_ASSET_KEY,
        deps=[AssetKey(t.key_path) for t in reg.tables.values()],
        group_name="governance",
        kinds={"glue"},
        description=(
            "The Glue Data Catalog entries of every table, registered as Iceberg tables: "
            "descriptions, owners, schemas, lineage parameters and PII classes."
        ),
        output_required=False,
    )
    def glue_data_catalog(context: AssetExecutionContext, catalog: GlueCatalog):
        try:
            connection = catalog.connection()
        except EndpointNotFoundError as err:
            if catalog.target != "local":
                raise
            # Locally the catalog is optional: runs stay green without a local endpoint.
            context.log.warning(f"catalog export skipped: {err}")
            return
        options = ExportOptions(
            root=catalog.lakehouse_root,
            lake_formation=catalog.lake_formation,
            delete_undefined=catalog.delete_undefined,
            openlineage=catalog.openlineage,
        )
        report = export_catalog(
            reg, connection, options, instance=context.instance, progress=context.log.info
        )
        context.log.info(report.summary())
        if not report.ok:
            raise CatalogExportError(report.summary())
        yield MaterializeResult(
            metadata={
                "catalog/endpoint": report.endpoint,
                "catalog/tables_created": len(report.tables_created),
                "catalog/tables_updated": len(report.tables_updated),
                "catalog/tables_unchanged": len(report.tables_unchanged),
                "catalog/read_calls": report.read_calls,
                "catalog/write_calls": report.write_calls,
                "catalog/undefined_tables": ", ".join(report.undefined_tables) or "none",
                "catalog/openlineage_events": report.openlineage_events,
            }
        )

    return glue_data_catalog

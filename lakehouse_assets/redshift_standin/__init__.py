"""A Redshift Data API stand-in on the local AWS endpoint, running SQL on PostgreSQL.

moto's redshift-data records statements without running them. The stand-in answers
`RedshiftData.*` requests in front of moto (on the Glue stand-in's endpoint) and runs them
on the local PostgreSQL warehouse, Redshift-only syntax translated, `COPY ... FORMAT AS
PARQUET` reading the endpoint's S3. `docs/WAREHOUSE.md` lists what differs from Redshift.
"""

from lakehouse_assets.redshift_standin.app import RedshiftDataStandin

__all__ = ["RedshiftDataStandin"]

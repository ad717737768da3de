"""`lakehouse deploy`: publish the Glue scripts to S3 and create or update the Glue jobs.

`package` builds the content-addressed artefacts, `desired` states what AWS should hold,
`plan` reads what it holds and diffs (read-only), `apply` makes the difference, and
`policy` writes the least-privilege IAM policies of the job role, the Dagster process and
the deployer.
"""

"""`lakehouse local-services`: every local endpoint as a real program on 127.0.0.1.

The AWS endpoint (moto and the Glue stand-in), a PostgreSQL server from the `pgserver` wheel
(source databases and the local warehouse), a MongoDB wire-protocol server from the
`nx-27017` wheel (document sources) and the domains' stand-ins of third-party HTTP APIs. One
supervisor process owns them all and writes their endpoints to
`<root>/_local_services/endpoints.json` (`endpoints.py` reads it cheaply).
"""

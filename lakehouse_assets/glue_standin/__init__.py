"""A Glue stand-in on the local AWS endpoint: job runs that really execute the scripts.

moto answers the Glue job API without running anything (a run "succeeds" at once) and lacks
UpdateJob and BatchStopJobRun. The stand-in answers Glue's job operations in front of moto's
server and runs each job run's script, downloaded from the endpoint's S3, on local PySpark
through the warm runner; everything else goes to moto. `docs/AWS.md` lists what differs from
real Glue.
"""

from lakehouse_assets.glue_standin.app import GlueStandin, script_environment
from lakehouse_assets.glue_standin.server import StandinServer, start_endpoint

__all__ = ["GlueStandin", "StandinServer", "script_environment", "start_endpoint"]

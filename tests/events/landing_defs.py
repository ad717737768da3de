"""The code location of the daemon tests: the definitions for the lake the environment names."""

from lakehouse_assets.definitions import build_definitions
from lakehouse_assets.settings import Settings

defs = build_definitions(Settings.from_env())
